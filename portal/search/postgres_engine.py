"""The PostgreSQL engine: full-text search over the portal's own analysed terms (tsvector + GIN),
so several app servers share one search without a shared disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from portal.search.models import SearchDocument
from portal.search.query import ParsedQuery, is_common
from portal.search.worker_cache import cached

# ts_rank weights for D, C, B, A: about the Whoosh field boosts (attachments < body < summary < title).
WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
# The vectors are made from the analysed text as a document is written; only they are stored.
UPSERT = text(
    "INSERT INTO search_documents (item_id, kind, content_hash, head_vector, vector) "
    "SELECT :id, :kind, :hash, head, head || setweight(to_tsvector('simple', :body), 'C') "
    "|| setweight(to_tsvector('simple', :attachments), 'D') "
    "FROM (SELECT setweight(to_tsvector('simple', :title), 'A') "
    "|| setweight(to_tsvector('simple', :summary || ' ' || :taxonomy), 'B') AS head) AS parts "
    "ON CONFLICT (item_id) DO UPDATE SET kind = excluded.kind, content_hash = excluded.content_hash, "
    "head_vector = excluded.head_vector, vector = excluded.vector"
)
SHARES_TTL = 300.0  # seconds: ANALYZE statistics change slowly


def _group(terms: tuple[str, ...]) -> str:
    """A concept's term as a tsquery: every one of its words."""
    return terms[0] if len(terms) == 1 else "(" + " & ".join(terms) + ")"


class PostgresEngine:
    name = "postgres"

    def __init__(self, engine) -> None:
        self.engine = engine

    @contextmanager
    def writer(self, timeout: float = 30.0) -> Iterator[Session]:
        """A session whose writes commit together; row locks order concurrent workers."""
        with Session(self.engine) as session, session.begin():
            yield session

    @staticmethod
    def apply(session: Session, documents: list[dict[str, str]], deleted_ids: list[str]) -> None:
        """Write the documents' vectors (made here from the analysed text, which is not kept) and
        delete the others, in the writer's transaction."""
        if deleted_ids:
            session.execute(
                delete(SearchDocument).where(
                    SearchDocument.item_id.in_([int(i) for i in deleted_ids])
                )
            )
        if documents:
            session.execute(UPSERT, [{**d, "id": int(d["id"])} for d in documents])

    def available(self) -> bool:
        """The table is part of the schema, so it is there when the database answers (an
        unreachable database raises, as it does for the checks that read it)."""
        with self.engine.connect() as connection:
            connection.execute(select(SearchDocument.item_id).limit(1))
        return True

    @staticmethod
    def delete_except(session: Session, item_ids: set[int]) -> None:
        """Remove the documents of items that no longer exist (the end of a rebuild)."""
        existing = set(session.scalars(select(SearchDocument.item_id)))
        gone = sorted(existing - item_ids)
        for start in range(0, len(gone), 1000):
            session.execute(
                delete(SearchDocument).where(SearchDocument.item_id.in_(gone[start : start + 1000]))
            )

    @staticmethod
    def _shares(connection) -> dict[str, float]:
        """The common lexemes (with their share of documents), from PostgreSQL's own statistics."""

        def load() -> dict[str, float]:
            row = connection.execute(
                text(
                    "SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs, "
                    "(SELECT reltuples FROM pg_class WHERE relname = 'search_documents') AS texts "
                    "FROM pg_stats WHERE tablename = 'search_documents' AND attname = 'vector'"
                )
            ).first()
            if not (row and row.elems):
                return {}
            texts = max(float(row.texts or 0), 0.0)
            return {
                elem: freq for elem, freq in zip(row.elems, row.freqs, strict=False)
                if is_common(freq * texts, texts)
            }  # fmt: skip

        return cached("pg-shares", load, SHARES_TTL)

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """(item id, score): ts_rank of the weighted vector times the share of typed words matched."""
        should = list(query.should)
        required = [t for phrase in query.phrases for t in phrase]
        if not should and not required:
            return []
        wanted = list(dict.fromkeys(should + required))
        with self.engine.connect() as connection:
            shares = self._shares(connection)
            common = [t for t in should if t in shares]
            rare = [t for t in should if t not in common]
            # A concept's term without its common words (as for typed words, they would match
            # most texts); a term of common words only is left out.
            related = [
                replace(e, terms=kept)
                for e in query.related
                if (kept := tuple(t for t in e.terms if t not in shares))
            ]
            # Terms come from the analysis: only [a-z0-9], so they are safe tsquery lexemes.
            groups = [_group(e.terms) for e in related]  # texts with a concept's term match too
            if required:
                matches = [" & ".join(required)]
            elif rare:
                matches = [" | ".join(rare + groups)]
            else:  # only frequent words: texts with all of them, or else any of them
                matches = [
                    " | ".join([f"({' & '.join(common)})", *groups]),
                    " | ".join(common + groups),
                ]
            for match in matches:
                if query.exclude:
                    match = f"({match}) & !({' | '.join(query.exclude)})"
                rows = self._ranked(connection, match, wanted, limit, related)
                if rows:
                    return rows
            return []

    @staticmethod
    def _ranked(
        connection, match: str, wanted: list[str], limit: int, related: list | None = None
    ) -> list[tuple[int, float]]:
        """Tiered: when at least `limit` texts match in their title, summary or taxonomy terms,
        rank just those on that small vector (the heaviest fields decide the top anyway);
        otherwise rank every match on the whole weighted vector.

        A concept's terms (`related`) add their rank times their weight to texts without the
        typed word they stand in for (the best of them per typed word), as the Whoosh engine
        boosts them; the coverage stays the share of typed words matched."""
        params: dict[str, Any] = {
            "q": match, "r": " | ".join(wanted), "n": max(1, len(wanted)), "limit": limit,
        }  # fmt: skip
        params.update({f"t{i}": term for i, term in enumerate(wanted)})
        # Per typed word a concept stands in for: the best of its terms (times its weight),
        # counted only for texts without that word, as the Whoosh engine does.
        sources: dict[tuple[str, ...], list] = {}
        for expansion in related or ():
            sources.setdefault(expansion.source, []).append(expansion)
        extra_rank = []
        for j, (source, group) in enumerate(sources.items()):
            params[f"s{j}"] = " & ".join(source)
            ranks = []
            for i, expansion in enumerate(group):
                params[f"e{j}_{i}"], params[f"w{j}_{i}"] = _group(expansion.terms), expansion.weight
                query = f"to_tsquery('simple', :e{j}_{i})"
                ranks.append(f":w{j}_{i} * ts_rank('{WEIGHTS}', COLUMN, {query})")
            without = f"CASE WHEN COLUMN @@ to_tsquery('simple', :s{j}) THEN 0 ELSE GREATEST("
            # ts_rank divides an OR query's rank by its number of terms: so does this one.
            extra_rank.append(without + ", ".join(ranks) + ") / :n END")
        for column, tier_limit in (("head_vector", limit), ("vector", None)):
            coverage = " + ".join(
                f"({column} @@ to_tsquery('simple', :t{i}))::int" for i in range(len(wanted))
            )
            rank = " + ".join(
                [f"ts_rank('{WEIGHTS}', {column}, r)"]
                + [part.replace("COLUMN", column) for part in extra_rank]
            )
            # Only constants are formatted in; every value is a bound parameter.
            sql = text(
                f"SELECT item_id, ({rank}) * (0.25 + ({coverage})::float / :n) AS score "  # noqa: S608
                "FROM search_documents, to_tsquery('simple', :q) AS q, to_tsquery('simple', :r) AS r "
                f"WHERE {column} @@ q ORDER BY score DESC LIMIT :limit"
            )
            rows = [(int(r.item_id), float(r.score)) for r in connection.execute(sql, params)]
            if tier_limit is None or len(rows) >= tier_limit:
                return rows
        return []

    def hashes(self) -> dict[int, str]:
        """Every indexed item id with the hash of what it was indexed from."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(SearchDocument.item_id, SearchDocument.content_hash))
            return {item_id: content_hash or "" for item_id, content_hash in rows}
