"""`make bench-monitor`: the speed of the MVI monitor's pages at 100,000 records on PostgreSQL.

Two child processes, like `make bench` (portal/bench.py):
  build  the database `mvi_bench_monitor` (created when missing; only its own public schema is
         emptied) -> migrations -> the seeded demo (organisations, users, knowledge, demo
         records) -> about 250 more organisations (about 300 in all) -> 100,000 monitor records
         over 2019-2026 with MVI rows, spread unevenly (one large organisation holds 5,000) ->
         VACUUM ANALYZE;
  serve  a fresh app with the page cache switched off answers, through the Flask test client,
         GET /organisaties/<large organisation>/monitor signed in as its member and GET /monitor
         as an anonymous visitor: warmed, then timed (the whole page: queries and template), and
         EXPLAIN ANALYZE of the national overview's queries.

python -m portal.bench_monitor [--records 100000] [--organisations 300] [--requests 100] [--skip-build]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import func, insert, select, text

from portal import create_app
from portal.bench import percentile
from portal.config import PROJECT_ROOT
from portal.extensions import db

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mvi_bench_monitor"
BENCH_DIR = PROJECT_ROOT / "instance" / "bench-monitor"
PASSWORD = "bench-monitor-password-2026"  # noqa: S105 (the bench's own demo accounts)
LARGE = "gemeente-amsterdam"  # the organisation whose monitor is timed
LARGE_MEMBER = "mehmet.yilmaz@amsterdam.nl"  # its member in the demo data
LARGE_RECORDS = 5_000
FIRST_YEAR, LAST_YEAR = 2019, 2026
TARGET_P95_MS = 150.0
# Extra organisations: type slug, size class slug (municipalities), weight.
KINDS = (
    ("gemeente", "tot-20000", 20), ("gemeente", "20000-50000", 30),
    ("gemeente", "50000-100000", 12), ("gemeente", "meer-dan-100000", 6),
    ("provincie", None, 3), ("waterschap", None, 6), ("rijksoverheid", None, 8),
    ("uitvoeringsorganisatie", None, 8), ("overig", None, 7),
)  # fmt: skip
THEME_CHANCES = {
    "social-return": 0.67, "mkb-vriendelijk": 0.48, "circulair": 0.35, "klimaat": 0.33,
    "milieu": 0.25, "ketenverantwoordelijkheid": 0.14, "diversiteit-inclusie": 0.10,
    "innovatie": 0.08,
}  # fmt: skip
VALUES = ((10_000, 50_000), (50_000, 100_000), (100_000, 250_000), (250_000, 500_000),
          (500_000, 1_000_000), (1_000_000, 5_000_000), (5_000_000, 20_000_000))  # fmt: skip


def _app(url: str):
    return create_app(
        {
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": BENCH_DIR,
            "MAIL_DIR": BENCH_DIR / "mail",
            "SEARCH_INDEX_DIR": BENCH_DIR / "search-index",
            "SEARCH_INDEX_ON_COMMIT": False,
            "MAIL_SERVER": "",
            "LOG_ACCESS": False,
            "OUTBOX_DELIVERY": "worker",  # nothing delivered in the background while timing
            "PAGE_CACHE_SECONDS": 0,  # every page rendered by its view: the cache is off
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


# --- child: build -----------------------------------------------------------------------------


def _organisations(rng: random.Random, wanted: int) -> list[int]:
    """Add organisations until there are `wanted`; return every organisation's id."""
    from portal.organisations.models import Organisation
    from portal.taxonomy.models import OrganisationType, SizeClass

    types = {t.slug: t.id for t in db.session.scalars(select(OrganisationType))}
    sizes = {s.slug: s.id for s in db.session.scalars(select(SizeClass))}
    have = db.session.scalar(select(func.count()).select_from(Organisation))
    rows = []
    for n in range(1, max(0, wanted - have) + 1):
        kind, size, _weight = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
        rows.append({
            "slug": f"bench-{kind}-{n:03d}", "name": f"Bench {kind} {n:03d}",
            "type_id": types[kind], "size_class_id": sizes.get(size) if size else None,
            "monitor_benchmark": rng.random() > 0.03,  # a few opt out
        })  # fmt: skip
    if rows:
        db.session.execute(insert(Organisation.__table__), rows)
    return list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))


def _records(rng: random.Random, organisation_ids: list[int], large_id: int, count: int) -> None:
    """Add `count` records with MVI rows: LARGE_RECORDS for the large organisation, the rest
    spread unevenly (log-normal weights) over all organisations."""
    from portal.monitor.models import MonitorRecord, MonitorRecordMvi
    from portal.taxonomy.models import AmbitionLevel, AwardMethod, Instrument, Procedure, Theme

    def ids(model) -> dict[str, int]:
        return {t.slug: t.id for t in db.session.scalars(select(model))}

    themes, instruments, levels = ids(Theme), ids(Instrument), ids(AmbitionLevel)
    procedures, awards = list(ids(Procedure).values()), list(ids(AwardMethod).values())
    weights = [rng.lognormvariate(0, 1.0) for _ in organisation_ids]
    owners = [large_id] * min(LARGE_RECORDS, count) + rng.choices(
        organisation_ids, weights=weights, k=max(0, count - LARGE_RECORDS)
    )
    # Each organisation leans its own way: how often it applies MVI.
    lean = {o: rng.uniform(0.25, 0.75) for o in organisation_ids}
    first_id = (db.session.scalar(select(func.max(MonitorRecord.id))) or 0) + 1
    record_rows, mvi_rows = [], []
    for offset, organisation_id in enumerate(owners):
        record_id = first_id + offset
        year = rng.randint(FIRST_YEAR, LAST_YEAR)
        low, high = rng.choice(VALUES)
        share = min(0.95, lean[organisation_id] + 0.025 * (year - 2022.5))
        applied = rng.random() < share
        if applied:
            chosen = [t for t, chance in THEME_CHANCES.items() if rng.random() < chance]
            for theme in chosen or [rng.choice(list(THEME_CHANCES))]:
                mvi_rows.append({
                    "record_id": record_id, "theme_id": themes[theme],
                    "instrument_id": instruments[rng.choices(
                        ("voorschrijven", "aanmoedigen", "uitnodigen"), (55, 35, 10))[0]],
                    "ambition_level_id": levels[rng.choices(
                        ("basis", "significant", "ambitieus"), (50, 35, 15))[0]],
                })  # fmt: skip
        known_value = rng.random() < 0.9
        record_rows.append({
            "id": record_id, "organisation_id": organisation_id,
            "reference": f"BENCH-{record_id}", "title": f"Bench-aanbesteding {record_id}",
            "year": year, "value_min": low if known_value else None,
            "value_max": high if known_value else None, "cpv_code": "",
            "procedure_id": rng.choice(procedures), "award_method_id": rng.choice(awards),
            "mvi_applied": applied, "demo": True,
            "realised_percent": rng.choice((None, 50, 75, 100)) if applied else None,
        })  # fmt: skip
    for start in range(0, len(record_rows), 5_000):
        db.session.execute(insert(MonitorRecord.__table__), record_rows[start : start + 5_000])
    for start in range(0, len(mvi_rows), 5_000):
        db.session.execute(insert(MonitorRecordMvi.__table__), mvi_rows[start : start + 5_000])
    db.session.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('monitor_records', 'id'), max(id))"
            " FROM monitor_records"
        )
    )


def build(url: str, records: int, organisations: int) -> dict[str, Any]:
    from flask_migrate import upgrade

    from portal.bench import _reset_database
    from portal.monitor.models import MonitorRecord, MonitorRecordMvi
    from portal.organisations.models import Organisation
    from portal.seeding import seed

    _reset_database(url, BENCH_DIR)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    app = _app(url)
    rng = random.Random(2026)  # noqa: S311 (bench data)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seed(demo_password=PASSWORD)
        db.session.commit()
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        organisation_ids = _organisations(rng, organisations)
        large_id = db.session.scalar(select(Organisation.id).where(Organisation.slug == LARGE))
        _records(rng, organisation_ids, large_id, records)
        db.session.commit()
        generated = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        count = db.session.scalar(select(func.count()).select_from(MonitorRecord))
        return {
            "seed_s": seeded,
            "generate_s": generated,
            "organisations": len(organisation_ids),
            "records": count,
            "mvi_rows": db.session.scalar(select(func.count()).select_from(MonitorRecordMvi)),
            "large_records": db.session.scalar(
                select(func.count())
                .select_from(MonitorRecord)
                .where(MonitorRecord.organisation_id == large_id)
            ),
        }


# --- child: serve -----------------------------------------------------------------------------


def _timed(client, path: str, requests: int) -> list[float]:
    for _ in range(5):  # warm: connections, templates, the planner's caches
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return times


def _explain() -> list[str]:
    """EXPLAIN ANALYZE of the national overview's two counting queries, as anonymous sees it:
    their execution times (the full plans go to instance/bench-monitor/explain.txt)."""
    from flask_login import AnonymousUserMixin
    from sqlalchemy.dialects import postgresql

    from portal.monitor import queries

    captured: list = []
    original = db.session.execute

    def capture(statement, *args, **kwargs):
        captured.append(statement)
        return original(statement, *args, **kwargs)

    db.session.execute = capture  # type: ignore[method-assign]
    try:
        queries.national_overview(AnonymousUserMixin())
    finally:
        db.session.execute = original  # type: ignore[method-assign]
    summaries, plans = [], []
    for statement in captured:
        if not hasattr(statement, "compile"):
            continue
        sql = str(
            statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        plan = [row[0] for row in db.session.execute(text(f"EXPLAIN ANALYZE {sql}"))]
        plans.append(sql + "\n" + "\n".join(plan))
        summaries.append(f"{sql.split()[1][:40]:40} {plan[-1].strip()}")
    (BENCH_DIR / "explain.txt").write_text("\n\n".join(plans), encoding="utf-8")
    return summaries


def serve(url: str, requests: int) -> dict[str, Any]:
    app = _app(url)
    with app.app_context():
        member = app.test_client()
        response = member.post("/inloggen", data={"email": LARGE_MEMBER, "password": PASSWORD})
        assert response.status_code == 302, "the large organisation's member could not sign in"
        anonymous = app.test_client()
        organisation = _timed(member, f"/organisaties/{LARGE}/monitor", requests)
        national = _timed(anonymous, "/monitor", requests)
        national_period = _timed(anonymous, "/monitor?van=2022&tot=2024", requests // 2)
        explained = _explain()
    return {
        "requests": requests,
        "organisation": [percentile(organisation, 0.5), percentile(organisation, 0.95),
                         max(organisation), statistics.mean(organisation)],
        "national": [percentile(national, 0.5), percentile(national, 0.95), max(national),
                     statistics.mean(national)],
        "national_period": [percentile(national_period, 0.5),
                            percentile(national_period, 0.95), max(national_period),
                            statistics.mean(national_period)],
        "explain": explained,
    }  # fmt: skip


# --- parent -----------------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "portal.bench_monitor", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(built: dict[str, Any] | None, served: dict[str, Any]) -> list[str]:
    def line(name: str, figures: list[float]) -> str:
        p50, p95, slowest, mean = figures
        mark = "ok" if p95 <= TARGET_P95_MS else "BOVEN DOEL"
        return (
            f"{name:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms ({mark}, doel {TARGET_P95_MS:.0f})"
            f"  max {slowest:6.1f}  gem. {mean:6.1f}"
        )

    lines = ["== MVI-monitor op PostgreSQL (paginacache uit) =="]
    if built:
        lines += [
            f"data             {built['records']:,} registraties ({built['mvi_rows']:,} MVI-rijen) "
            f"van {built['organisations']} organisaties; {LARGE}: {built['large_records']:,}".replace(",", "."),
            f"opbouw           demo {built['seed_s']:.1f} s, generatie {built['generate_s']:.1f} s",
        ]  # fmt: skip
    lines += [
        line(f"/organisaties/{LARGE}/monitor", served["organisation"]),
        line("/monitor (anoniem)", served["national"]),
        line("/monitor?van=2022&tot=2024", served["national_period"]),
        f"verzoeken        {served['requests']} per pagina na 5 om op te warmen, via de Flask-testclient",
        "EXPLAIN ANALYZE  (de queries van /monitor; plannen in instance/bench-monitor/explain.txt)",
        *(f"  {summary}" for summary in served["explain"]),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.bench_monitor")
    parser.add_argument("step", nargs="?", default="all", choices=("all", "build", "serve"))
    parser.add_argument("--url", default=POSTGRES_URL)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=300)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--skip-build", action="store_true", help="time the database built before")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgresql"):
        parser.error("the monitor bench runs on PostgreSQL (--url postgresql+psycopg://...)")
    if args.step == "build":
        print(json.dumps(build(args.url, args.records, args.organisations)))
        return 0
    if args.step == "serve":
        print(json.dumps(serve(args.url, args.requests)))
        return 0
    built = None
    if not args.skip_build:
        print(f"database, demodata en {args.records} registraties ...", flush=True)
        built = _child("build", "--url", args.url, "--records", str(args.records),
                       "--organisations", str(args.organisations))  # fmt: skip
    print("meten ...", flush=True)
    served = _child("serve", "--url", args.url, "--requests", str(args.requests))
    print("\n".join(report(built, served)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
