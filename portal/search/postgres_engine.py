"""The PostgreSQL engine: full-text search over the portal's own analysed terms (tsvector + GIN),
so several app servers share one search without a shared disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from portal.search.models import TSVECTOR_SQL, SearchDocument
from portal.search.query import ParsedQuery

# ts_rank weights for D, C, B, A: about the Whoosh field boosts (attachments < body < summary < title).
WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"


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
        if deleted_ids:
            session.execute(
                delete(SearchDocument).where(
                    SearchDocument.item_id.in_([int(i) for i in deleted_ids])
                )
            )
        for document in documents:
            values = {**document, "item_id": int(document["id"])}
            values.pop("id")
            statement = insert(SearchDocument).values(**values)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[SearchDocument.item_id],
                    set_={k: statement.excluded[k] for k in values if k != "item_id"},
                )
            )

    def recreate(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(SearchDocument))

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """(item id, score): ts_rank of the weighted vector times the share of typed words matched."""
        should = list(query.should)
        required = [t for phrase in query.phrases for t in phrase]
        if not should and not required:
            return []
        # Terms come from the analysis: only [a-z0-9], so they are safe tsquery lexemes.
        match = " | ".join(should + required)
        if required:
            match = f"({' & '.join(required)})"
        if query.exclude:
            match = f"({match}) & !({' | '.join(query.exclude)})"
        wanted = list(dict.fromkeys(should + required))
        vector = f"({TSVECTOR_SQL})"
        coverage = " + ".join(
            f"({vector} @@ to_tsquery('simple', :t{i}))::int" for i in range(len(wanted))
        )
        # The WHERE uses the indexed expression itself, so the GIN index serves the match.
        # Only constants are formatted in; every value is a bound parameter.
        select_sql = f"SELECT item_id, ts_rank('{WEIGHTS}', {vector}, q) * (0.25 + ({coverage})::float / :n) AS score"
        from_sql = f"FROM search_documents, to_tsquery('simple', :q) AS q WHERE {vector} @@ q"
        sql = text(f"{select_sql} {from_sql} ORDER BY score DESC LIMIT :limit")
        params: dict[str, Any] = {"q": match, "n": len(wanted), "limit": limit}
        params.update({f"t{i}": term for i, term in enumerate(wanted)})
        with self.engine.connect() as connection:
            return [(int(row.item_id), float(row.score)) for row in connection.execute(sql, params)]

    def ids(self) -> set[int]:
        with self.engine.connect() as connection:
            return set(connection.scalars(select(SearchDocument.item_id)))
