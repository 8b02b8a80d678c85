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
from portal.search.query import (
    CONCEPT_COVERAGE,
    COVERAGE,
    FUZZY_COVERAGE,
    HEAD_COVERAGE,
    ParsedQuery,
    is_common,
)
from portal.search.typos import MAX_DISTANCE, PREFIX, expand_typos
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
# A text in which two typed words stand next to each other gains this much (ts_rank of one
# word in a title is about 0.6).
PROXIMITY_BONUS = 0.15
SHARES_TTL = 300.0
# Whether any text holds a word, kept per worker this long (at most KNOWN_MOST words): asking
# costs two settings and a look-up through the GIN index on every search. A word a new text
# brings is seen as known within the minute; until then it also searches its near words.
KNOWN_TTL = 60.0
KNOWN_MOST = 20_000
# The indexed words, for typo tolerance (migration 0023): a word of a deleted text may stay, which
# only costs a look-up that finds nothing.
LEXEMES = text(
    "INSERT INTO search_lexemes (term) SELECT DISTINCT unnest(tsvector_to_array(vector)) "
    "FROM search_documents WHERE item_id = ANY(:ids) ON CONFLICT DO NOTHING"
)  # seconds: ANALYZE statistics change slowly


def _group(terms: tuple[str, ...]) -> str:
    """A concept's term as a tsquery: every one of its words."""
    return terms[0] if len(terms) == 1 else "(" + " & ".join(terms) + ")"


class _TsQueries:
    """The distinct tsqueries of one ranking statement, each parsed once in its first row (a
    MATERIALIZED CTE) and named by an alias there; their text is a bound parameter."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self._aliases: dict[str, str] = {}

    def alias(self, query: str) -> str:
        if query not in self._aliases:
            name = f"x{len(self._aliases)}"
            self._aliases[query] = name
            self.params[name] = query
        return self._aliases[query]

    @property
    def columns(self) -> str:
        return ", ".join(f"to_tsquery('simple', :{a}) AS {a}" for a in self._aliases.values())


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
            session.execute(LEXEMES, {"ids": [int(d["id"]) for d in documents]})

    def available(self) -> bool:
        """The table is part of the schema, so it is there when the database answers (an
        unreachable database raises, as it does for the checks that read it)."""
        with self.engine.connect() as connection:
            connection.execute(select(SearchDocument.item_id).limit(1))
        return True

    @staticmethod
    def delete_except(session: Session, item_ids: set[int]) -> None:
        """Remove the documents of items that no longer exist, and the words no document holds
        any more (the end of a rebuild)."""
        existing = set(session.scalars(select(SearchDocument.item_id)))
        gone = sorted(existing - item_ids)
        for start in range(0, len(gone), 1000):
            session.execute(
                delete(SearchDocument).where(SearchDocument.item_id.in_(gone[start : start + 1000]))
            )
        session.execute(
            text(
                "DELETE FROM search_lexemes WHERE term NOT IN "
                "(SELECT DISTINCT unnest(tsvector_to_array(vector)) FROM search_documents)"
            )
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
        """(item id, score): the coverage (distinct typed words matched; through a concept's
        term or a typo's nearest word for less) first, then ts_rank of the weighted vector with
        the concepts' terms and a bonus for typed words next to each other in the text."""
        should = list(query.should)
        required = [t for phrase in query.phrases for t in phrase]
        if not should and not required:
            return []
        wanted = list(dict.fromkeys(should + required))
        with self.engine.connect() as connection:
            shares = self._shares(connection)
            # A word PostgreSQL's statistics call common is held by thousands of texts: only the
            # others are looked up (finding every text of a common word costs ~5 ms).
            typed = {t for group in query.groups for t in group.terms}
            typed |= {e.terms[0] for e in query.forms}
            known = {t for t in typed if t in shares} | self._known(
                connection, [t for t in typed if t not in shares]
            )
            # A word form no text holds is left out (Whoosh leaves it out by its frequency).
            query.forms = [e for e in query.forms if e.terms[0] in known]
            expand_typos(
                query,
                lambda term: term in known,
                lambda term: self._neighbours(connection, term),
            )
            common = [t for t in should if t in shares]
            rare = [t for t in should if t not in common]
            # A concept's term without its common words (as for typed words, they would match
            # most texts); a term of common words only is left out.
            related = [
                replace(e, terms=kept)
                for e in query.alternatives
                if (kept := tuple(t for t in e.terms if t not in shares))
            ]
            # Terms come from the analysis: only [a-z0-9], so they are safe tsquery lexemes.
            groups = [_group(e.terms) for e in related]  # texts with a concept's term match too
            if required:
                match = " & ".join(required)
            elif rare or not common:
                match = " | ".join(rare + groups)
            else:
                # Only frequent words: texts with all of them, or else any of them; and the
                # texts with a concept's term (never instead of those with the typed words).
                every = " & ".join(common)
                held = len(common) == 1 or bool(self._known(connection, [every]))
                match = " | ".join([f"({every})" if held else " | ".join(common), *groups])
            if query.exclude:
                match = f"({match}) & !({' | '.join(query.exclude)})"
            return self._ranked(connection, match, wanted, limit, related, query)

    @staticmethod
    def _known(connection, terms: list[str]) -> set[str]:
        """Which of the terms (or `a & b` queries) an indexed text holds, all in one statement. Through the GIN index
        only: for a word it thinks rare the planner would read the table until a match, every
        vector of it when the word is absent (seconds on 100,000 texts). Not from
        `search_lexemes`, which keeps the words of deleted texts until a rebuild. Each answer is
        kept per worker for KNOWN_TTL."""
        kept: dict[str, bool] = cached("pg-known", dict, KNOWN_TTL)
        # .get: another thread may clear the kept answers between a test and a read.
        answers = {term: held for term in terms if (held := kept.get(term)) is not None}
        asked = sorted(set(terms) - answers.keys())
        if asked:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            try:
                held = set(
                    connection.scalars(
                        text(
                            "SELECT t FROM unnest(CAST(:terms AS text[])) AS t WHERE EXISTS "
                            "(SELECT 1 FROM search_documents "
                            "WHERE vector @@ to_tsquery('simple', t))"
                        ),
                        {"terms": asked},
                    )
                )
            finally:
                connection.execute(text("SET LOCAL enable_seqscan = on"))
            answers.update((term, term in held) for term in asked)
            if len(kept) + len(asked) > KNOWN_MOST:
                kept.clear()
            kept.update((term, answers[term]) for term in asked)
        return {term for term, holds in answers.items() if holds}

    @staticmethod
    def _neighbours(connection, term: str) -> list[str]:
        """Indexed words at most MAX_DISTANCE edits from the term (fuzzystrmatch), the most
        similar first (pg_trgm); typos.nearest picks from them as from Whoosh's."""
        return list(
            connection.scalars(
                text(
                    "SELECT term FROM search_lexemes WHERE length(term) BETWEEN :lo AND :hi "
                    "AND left(term, :prefix) = left(:t, :prefix) "
                    "AND levenshtein_less_equal(term, :t, :most) <= :most "
                    "ORDER BY similarity(term, :t) DESC, term LIMIT 50"
                ),
                {"t": term, "lo": len(term) - MAX_DISTANCE, "hi": len(term) + MAX_DISTANCE,
                 "most": MAX_DISTANCE, "prefix": PREFIX},
            )
        )  # fmt: skip

    @staticmethod
    def _ranked(
        connection,
        match: str,
        wanted: list[str],
        limit: int,
        related: list | None = None,
        query: ParsedQuery | None = None,
    ) -> list[tuple[int, float]]:
        """Tiered: when at least `limit` texts match in their title, summary or taxonomy terms,
        rank just those on that small vector (the heaviest fields decide the top anyway);
        otherwise rank every match on the whole weighted vector.

        The score is COVERAGE per typed word the text holds (a part of it for a word only a
        concept's term or a typo's nearest word stands in for) plus the relevance: ts_rank, the
        alternatives' rank times their weight (as the Whoosh engine adds their BM25F scores),
        and a bonus per pair of typed words that stand next to each other.

        Every tsquery is parsed once per statement (`to_tsquery` is only STABLE: written in the
        ranking expressions it was parsed again for each of the thousands of matching rows)."""
        queries = _TsQueries()
        params: dict[str, Any] = {"n": max(1, len(wanted)), "limit": limit, "near": PROXIMITY_BONUS}
        matched, typed = queries.alias(match), queries.alias(" | ".join(wanted))
        sources: dict[tuple[str, ...], list] = {}
        for expansion in related or ():
            sources.setdefault(expansion.source, []).append(expansion)
        extra_rank = []
        for j, group in enumerate(sources.values()):
            # ts_rank of an OR query is the mean of its lexemes' ranks: the one-word terms of a
            # weight are ranked together, times their number; a term of several words alone.
            by_weight: dict[float, list[str]] = {}
            ranks = []
            for expansion in group:
                if len(expansion.terms) == 1:
                    by_weight.setdefault(expansion.weight, []).append(expansion.terms[0])
                else:
                    by_weight.setdefault(expansion.weight, [])
                    ranks.append((expansion.weight, 1, queries.alias(_group(expansion.terms))))
            for weight, terms in by_weight.items():
                if terms:
                    ranks.append((weight, len(terms), queries.alias(" | ".join(terms))))
            parts = []
            for i, (weight, count, alias) in enumerate(ranks):
                params[f"w{j}_{i}"] = weight * count
                parts.append(f":w{j}_{i} * ts_rank('{WEIGHTS}', COLUMN, {alias})")
            # ts_rank divides an OR query's rank by its number of terms: so does this one.
            # Their mean, as in the Whoosh engine.
            extra_rank.append(f"({' + '.join(parts)}) / :n / {len(group)}")
        # Coverage: per typed word, the full share when the text has it, else a part when it has
        # a term that stands in for it.
        coverage = []
        for g, group in enumerate(query.groups if query else ()):
            shares: dict[float, list[str]] = {1.0: [_group(whole) for whole in group.wholes]}
            for e in related or ():
                if group.key in e.source:
                    share = CONCEPT_COVERAGE if e.concept else FUZZY_COVERAGE
                    shares.setdefault(share, []).append(_group(e.terms))
            for column, scale, name in (
                ("COLUMN", COVERAGE, "c"), ("head_vector", HEAD_COVERAGE, "d"),
                ("ts_filter(head_vector, '{a}')", HEAD_COVERAGE, "t"),
            ):  # fmt: skip
                options = []
                for h, (share, terms) in enumerate(sorted(shares.items(), reverse=True)):
                    if share > 0 and terms:
                        alias = queries.alias(" | ".join(terms))
                        params[f"{name}{g}_{h}"] = scale * share
                        options.append(f"({column} @@ {alias})::int * :{name}{g}_{h}")
                if options:
                    coverage.append(
                        options[0] if len(options) == 1 else f"GREATEST({', '.join(options)})"
                    )
        near = [
            f"(COLUMN @@ {queries.alias(f'{first} <{gap}> {second}')})::int * :near"
            for first, second, gap in (query.pairs if query else ())
        ]
        held = [queries.alias(term) for term in wanted]
        params.update(queries.params)

        def relevance(of: str) -> str:
            ranks = [f"ts_rank('{WEIGHTS}', {of}, {typed})", *extra_rank]
            return " + ".join(ranks).replace("COLUMN", of)

        # A text's whole vector is mostly stored out of line (TOAST): the first step reads it
        # once per row as `doc` (a copy), not once per ts_rank and per test (~15 % of its time).
        for column, tier_limit, doc in (
            ("head_vector", limit, "head_vector"),
            ("vector", None, "vector || ''::tsvector"),
        ):
            score = " + ".join([relevance(column), *coverage, *near]).replace("COLUMN", column)
            share = " + ".join(f"(doc @@ {alias})::int" for alias in held)
            # Two steps: the best `limit` texts by the rank times the share of typed words they
            # hold (what the engine ranked by before), then only those by coverage, the
            # heading's coverage and relevance: the coverage's many tests run on `limit` rows.
            first = f"({relevance('doc')}) * (0.25 + ({share})::float / :n)"
            # Only constants and aliases are formatted in; every value is a bound parameter.
            sql = text(
                f"WITH tsq AS MATERIALIZED (SELECT {queries.columns}) "  # noqa: S608
                f"SELECT item_id, {score} AS score FROM ("
                f"SELECT item_id FROM (SELECT item_id, {doc} AS doc FROM search_documents, tsq "
                f"WHERE {column} @@ {matched} OFFSET 0) AS found, tsq "
                f"ORDER BY {first} DESC LIMIT :limit) AS best "
                "JOIN search_documents USING (item_id), tsq ORDER BY score DESC, item_id"
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
