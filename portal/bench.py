"""`make bench`: search quality and speed, measured on this machine.

Per engine, two child processes (so the serving process's memory is its own):
  build  fresh database -> demo data -> nDCG@10 on the relevance set -> generated corpus ->
         timed full index build and index size;
  serve  a fresh app, warmed, answers every query through the Flask test client (the whole page:
         visibility filter, facets, snippets, template) and times the raw engine call beside it.

python -m portal.bench [--whoosh-items 20000] [--postgres-items 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.consultations.models import Consultation
from portal.content.models import Attachment, Item, item_product_groups, item_themes
from portal.criteria.models import Criterion
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.lessons.models import Lesson
from portal.organisations.models import Organisation
from portal.search.concepts import expand
from portal.search.query import parse
from portal.search.searching import search_all
from portal.search.services import MAX_HITS, reindex
from portal.search.services import engine as search_engine
from portal.seeding import seed
from portal.taxonomy.models import (
    AmbitionLevel,
    AwardMethod,
    CriterionKind,
    Procedure,
    ProductGroup,
    Theme,
)
from portal.tenders.models import Tender

RELEVANCE_FILE = PROJECT_ROOT / "seeds" / "search" / "relevance.yaml"
BENCH_DIR = PROJECT_ROOT / "instance" / "bench"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mvi_bench"
# Queries beyond the relevance set, in buyers' own words, so at least 50 are timed.
EXTRA_QUERIES = [
    "aanbesteding", "duurzaam", "circulair", "social return", "energie", "inkoop", "gemeente",
    "schoonmaak", "catering", "vervoer", "bouw", "asfalt beton", "ict hardware", "meubilair",
    "marktconsultatie", "lessen", "gunningscriterium", "contractmanagement", "monitoring",
    "biobased", "emissieloos", "werkgelegenheid", "kinderarbeid", "ketenverantwoordelijkheid",
    '"fictieve korting"', "aanbesteding -asfalt", "co2 prestatieladder", "levenscyclus kosten",
    "hoe betrek ik de markt vroeg", "wat is een goede weging voor duurzaamheid",
]  # fmt: skip
KINDS = ("tender", "criterion", "consultation", "lesson")
TITLE_HEADS = {
    "tender": ["Europese aanbesteding", "Raamovereenkomst", "Meervoudig onderhandse aanbesteding",
               "Openbare aanbesteding", "Dynamisch aankoopsysteem", "Innovatiepartnerschap"],
    "criterion": ["Gunningscriterium", "Minimumeis", "Contractbepaling", "Selectie-eis",
                  "Geschiktheidseis"],
    "consultation": ["Marktconsultatie", "Marktdialoog", "Informatiebijeenkomst", "Request for information"],
    "lesson": ["Les", "Geleerde les", "Wat wij leerden", "Evaluatie"],
}  # fmt: skip


def load_relevance() -> list[dict[str, Any]]:
    return yaml.safe_load(RELEVANCE_FILE.read_text(encoding="utf-8"))


def queries() -> list[str]:
    return [row["query"] for row in load_relevance()] + EXTRA_QUERIES


def ndcg_at_10(ranked: list[str], judgments: dict[str, int]) -> float:
    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:10]))

    ideal = dcg(sorted(judgments.values(), reverse=True))
    return dcg([judgments.get(key, 0) for key in ranked]) / ideal if ideal else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


# --- child: build -----------------------------------------------------------------------------


def _app(engine: str, url: str, directory: Path):

    return create_app(
        {
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": directory,
            "MAIL_DIR": directory / "mail",
            "UPLOAD_DIR": directory / "uploads",
            "SEARCH_INDEX_DIR": directory / "search-index",
            "SEARCH_ENGINE": engine,
            "SEARCH_INDEX_ON_COMMIT": False,
            "MAIL_SERVER": "",
            # The bench times searching: a page the cache kept for 30 s would time the cache (the
            # warm pass ends within 30 s on a fast run, and the page p50 came out at 1 ms).
            "PAGE_CACHE_SECONDS": 0,
            # The report, not a line per timed request.
            "LOG_LEVEL": "WARNING",
        }
    )


def _reset_database(url: str, directory: Path) -> None:
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite:///"):
        shutil.rmtree(directory, ignore_errors=True)  # database, journal and index together
        directory.mkdir(parents=True)
        return
    server_url, name = url.rsplit("/", 1)
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _sentences() -> list[str]:
    """Dutch sentences from the demo knowledge and the source documents."""
    import re

    texts = [
        " ".join(str(row.get(k, "")) for k in ("summary", "body"))
        for row in map(
            json.loads,
            (PROJECT_ROOT / "seeds" / "knowledge.jsonl").read_text(encoding="utf-8").splitlines(),
        )
    ]
    sources = PROJECT_ROOT.parent / "shared" / "sources"
    if sources.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(sources.glob("0*.txt"))]
    found = []
    for text_ in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", re.sub(r"[#*_>`|\[\]]+", " ", text_)):
            sentence = " ".join(sentence.split())
            if 40 <= len(sentence) <= 300:
                found.append(sentence)
    return found


def _relevance(app) -> dict[str, Any]:
    from flask_login import AnonymousUserMixin
    from werkzeug.datastructures import MultiDict

    scores, ceilings, top3 = [], [], {}
    with app.test_request_context():
        external = {i: e or "" for i, e in db.session.execute(select(Item.id, Item.external_id))}
        for row in load_relevance():
            # Every result in the page's order (the page shows the first twenty of these).
            found = search_all(MultiDict({"q": row["query"]}), AnonymousUserMixin(), most=MAX_HITS)
            ranked = [external[item_id] for item_id, _score in found.ranked]
            judgments = {str(k): int(v) for k, v in row["judgments"].items()}
            scores.append(ndcg_at_10(ranked, judgments))
            top3[row["query"]] = ranked[:3]
            # The ceiling of ranking alone: the same results, best judged first.
            ceilings.append(
                ndcg_at_10(sorted(ranked, key=lambda e: -judgments.get(e, 0)), judgments)
            )
    below = sorted(
        (round(score, 2), row["query"])
        for score, row in zip(scores, load_relevance(), strict=True)
        if score < 0.5
    )
    return {
        "queries": len(scores), "ndcg10": statistics.mean(scores), "worst": min(scores),
        "ceiling": statistics.mean(ceilings),
        "below_half": below, "top3": top3,
    }  # fmt: skip


def agreement(first: dict[str, list[str]], second: dict[str, list[str]]) -> float:
    """The share of queries for which both engines give the same top 3 (the same items, in any
    order: equal scores may swap)."""
    shared = [q for q in first if q in second]
    same = sum(1 for q in shared if set(first[q]) == set(second[q]))
    return same / len(shared) if shared else 0.0


def _generate(count: int, seed: int = 2026) -> float:
    """Insert count published-ish items of all kinds with Dutch text; return seconds taken."""
    from sqlalchemy import insert

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (demo text, not security)
    sentences = _sentences()
    orgs = db.session.execute(select(Organisation.id, Organisation.name)).all()
    themes = db.session.scalars(select(Theme.id)).all()
    groups = db.session.execute(select(ProductGroup.id, ProductGroup.name)).all()
    working_groups = db.session.scalars(select(WorkingGroup.id)).all()
    procedures = db.session.scalars(select(Procedure.id)).all()
    awards = db.session.scalars(select(AwardMethod.id)).all()
    ambitions = db.session.scalars(select(AmbitionLevel.id)).all()
    criterion_kinds = db.session.scalars(select(CriterionKind.id)).all()
    next_id = (db.session.scalar(select(db.func.max(Item.id))) or 0) + 1
    now = datetime.now(UTC)
    batch = 2000

    def paragraph(n: int) -> str:
        return " ".join(rng.choice(sentences) for _ in range(n))

    for start in range(0, count, batch):
        items, themes_rows, group_rows, attachments = [], [], [], []
        per_kind: dict[str, list[dict]] = {kind: [] for kind in KINDS}
        for number in range(start, min(count, start + batch)):
            item_id = next_id + number
            kind = KINDS[number % 4]
            org_id, org_name = rng.choice(orgs)
            group_id, group_name = rng.choice(groups)
            year = rng.randint(2012, 2026)
            title = f"{rng.choice(TITLE_HEADS[kind])} {group_name.lower()} {org_name} {year}"
            body = "## Aanleiding\n" + paragraph(4) + "\n\n## Aanpak\n" + paragraph(6)
            visibility = rng.choices(["public", "members", "group"], [85, 10, 5])[0]
            published = now - timedelta(days=rng.randint(0, 4000))
            items.append({
                "id": item_id, "kind": kind, "slug": f"bench-{kind}-{item_id}", "title": title[:200],
                "summary": paragraph(2), "body_md": body, "body_html": f"<p>{escape(body)}</p>",
                "organisation_id": org_id, "year": year,
                "status": rng.choices(["published", "draft"], [95, 5])[0],
                "visibility": visibility,
                "group_id": rng.choice(working_groups) if visibility == "group" else None,
                "external_id": f"bench-{item_id}", "created_at": published, "updated_at": published,
                "published_at": published,
                "reviewed_at": date.today() - timedelta(days=rng.randint(0, 2000)),
                "view_count": 0, "useful_count": 0,
            })  # fmt: skip
            for theme_id in rng.sample(themes, rng.randint(1, 2)):
                themes_rows.append({"item_id": item_id, "theme_id": theme_id})
            group_rows.append({"item_id": item_id, "product_group_id": group_id})
            if kind == "tender":
                per_kind[kind].append({
                    "id": item_id, "procedure_id": rng.choice(procedures),
                    "award_method_id": rng.choice(awards), "results_md": paragraph(2),
                    "tender_status": "afgerond", "mvi": [], "bids": [], "contract_results": [],
                })  # fmt: skip
                if rng.random() < 0.2:  # attachments for some tenders
                    text_ = paragraph(40)
                    attachments.append({
                        "item_id": item_id, "original_name": f"Gunningsrapport {year}.pdf",
                        "stored_name": uuid.uuid4().hex, "file_kind": "pdf",
                        "content_type": "application/pdf", "size": len(text_), "text": text_,
                        "text_readable": True, "created_at": published,
                    })  # fmt: skip
            elif kind == "criterion":
                per_kind[kind].append({
                    "id": item_id, "clause_text": paragraph(2), "weighting": paragraph(1),
                    "criterion_kind_id": rng.choice(criterion_kinds),
                    "ambition_level_id": rng.choice(ambitions),
                })  # fmt: skip
            elif kind == "consultation":
                per_kind[kind].append({"id": item_id, "purpose": paragraph(2)})
            else:
                per_kind[kind].append({"id": item_id, "lesson": paragraph(1)[:300]})
        db.session.execute(insert(Item.__table__), items)
        for kind, model in (
            ("tender", Tender),
            ("criterion", Criterion),
            ("consultation", Consultation),
            ("lesson", Lesson),
        ):
            if per_kind[kind]:
                db.session.execute(insert(model.__table__), per_kind[kind])
        db.session.execute(insert(item_themes), themes_rows)
        db.session.execute(insert(item_product_groups), group_rows)
        if attachments:
            db.session.execute(insert(Attachment.__table__), attachments)
        db.session.commit()
        print(f"  {min(count, start + batch):>7} items gegenereerd", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _index_size(engine: str, directory: Path) -> int:
    from sqlalchemy import text

    if engine == "postgres":
        return int(db.session.scalar(text("SELECT pg_total_relation_size('search_documents')")))
    live = (directory / "search-index" / "live").resolve()  # the build in use, not the previous
    return sum(p.stat().st_size for p in live.glob("*"))


def build(engine: str, url: str, directory: Path, items: int) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    _reset_database(url, directory)
    directory.mkdir(parents=True, exist_ok=True)
    app = _app(engine, url, directory)
    with app.app_context():
        upgrade()
        # The demo data `make run` shows, community included (the accounts are the bench's own).
        seed(demo_password=uuid.uuid4().hex)
        db.session.commit()
        reindex()
        relevance = _relevance(app)
        generate_seconds = _generate(items)
        started = time.perf_counter()
        indexed = reindex(batch=1000)
        seconds = time.perf_counter() - started
        if engine == "postgres":
            # What autovacuum does after a bulk load, done now so it does not run during `serve`.
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        return {
            "relevance": relevance,
            "items": indexed,
            "generate_s": generate_seconds,
            "index_s": seconds,
            "rate": indexed / seconds,
            "index_bytes": _index_size(engine, directory),
        }


# --- child: serve -----------------------------------------------------------------------------


def serve(engine: str, url: str, directory: Path, repeat: int) -> dict[str, Any]:

    app = _app(engine, url, directory)
    portal_ms: list[float] = []
    raw_ms: list[float] = []
    texts = queries()
    with app.app_context():
        client = app.test_client()
        for text_ in texts:  # warm: caches, connections, index files
            assert client.get("/zoeken", query_string={"q": text_}).status_code == 200
        # Raw and portal in separate passes over all queries, so each query finds the caches in
        # the same state in both (run one right after the other and the second finds it warm).
        for _ in range(repeat):
            for text_ in texts:
                started = time.perf_counter()
                search_engine().search(expand(parse(text_)), MAX_HITS)
                raw_ms.append((time.perf_counter() - started) * 1000)
            for text_ in texts:
                started = time.perf_counter()
                response = client.get("/zoeken", query_string={"q": text_})
                portal_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    return {
        "queries": len(texts),
        "portal_p50": percentile(portal_ms, 0.5),
        "portal_p95": percentile(portal_ms, 0.95),
        "raw_p50": percentile(raw_ms, 0.5),
        "raw_p95": percentile(raw_ms, 0.95),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- parent -----------------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "portal.bench", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


TARGETS = {"whoosh": (60.0, 200.0), "postgres": (40.0, 150.0)}


def report(engine: str, items: int, built: dict[str, Any], served: dict[str, Any]) -> list[str]:
    p50, p95 = TARGETS[engine]
    overhead = served["portal_p50"] / served["raw_p50"] - 1 if served["raw_p50"] else 0.0

    def mark(ok: bool) -> str:
        return "ok" if ok else "BOVEN DOEL"

    rel = built["relevance"]
    return [
        f"== {engine} ({items:,} gegenereerde items + demodata) ==".replace(",", "."),
        f"relevantie       nDCG@10 {rel['ndcg10']:.3f} over {rel['queries']} vragen (laagste {rel['worst']:.2f})",
        *(f"  onder 0,5      {score:.2f} {query}" for score, query in rel["below_half"]),
        f"  plafond        {rel['ceiling']:.3f}: dezelfde treffers, op volgorde van het oordeel",
        f"corpus maken     {built['generate_s']:.1f} s",
        f"index bouwen     {built['items']} items in {built['index_s']:.1f} s = {built['rate']:.0f} items/s",
        f"indexgrootte     {built['index_bytes'] / 1e6:.1f} MB",
        f"portal /zoeken   p50 {served['portal_p50']:.1f} ms ({mark(served['portal_p50'] <= p50)}, doel {p50:.0f})"
        f"  p95 {served['portal_p95']:.1f} ms ({mark(served['portal_p95'] <= p95)}, doel {p95:.0f})",
        f"kale engine      p50 {served['raw_p50']:.1f} ms  p95 {served['raw_p95']:.1f} ms",
        f"overhead portal  {overhead * 100:.0f}% op p50 ({mark(overhead <= 0.30)}, doel 30%)",
        f"geheugen worker  {served['max_rss_mb']:.0f} MB max RSS ({mark(served['max_rss_mb'] <= 300)}, doel 300)",
        f"vragen getimed   {served['queries']} x herhaald, warm, via de Flask-testclient",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.bench")
    parser.add_argument("step", nargs="?", default="all", choices=("all", "build", "serve"))
    parser.add_argument("--engine", choices=("whoosh", "postgres"))
    parser.add_argument("--engines", default="whoosh,postgres")
    parser.add_argument("--whoosh-items", type=int, default=20_000)
    parser.add_argument("--postgres-items", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--items", type=int, default=0)
    parser.add_argument("--url", default="")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.step == "build":
        print(json.dumps(build(args.engine, args.url, BENCH_DIR / args.engine, args.items)))
        return 0
    if args.step == "serve":
        print(json.dumps(serve(args.engine, args.url, BENCH_DIR / args.engine, args.repeat)))
        return 0
    lines = []
    top3: dict[str, dict[str, list[str]]] = {}
    for engine in args.engines.split(","):
        items = args.whoosh_items if engine == "whoosh" else args.postgres_items
        url = (
            f"sqlite:///{BENCH_DIR / engine / 'bench.db'}"
            if engine == "whoosh"
            else args.postgres_url
        )
        print(f"[{engine}] database, demodata, relevantie en {items} items ...", flush=True)
        built = _child("build", "--engine", engine, "--url", url, "--items", str(items))
        print(f"[{engine}] zoeken meten ...", flush=True)
        served = _child("serve", "--engine", engine, "--url", url, "--repeat", str(args.repeat))
        lines += [*report(engine, items, built, served), ""]
        top3[engine] = built["relevance"]["top3"]
    if len(top3) == 2:
        share = agreement(*top3.values())
        lines.append(
            f"engines eens     dezelfde top-3 bij {share * 100:.0f}% van de vragen "
            f"({'ok' if share >= 0.9 else 'ONDER DOEL'}, doel 90%)"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
