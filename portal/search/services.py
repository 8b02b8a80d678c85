"""The search seam: index on commit, rebuild, check, and query-then-filter-by-permission."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectin_polymorphic, selectinload

from portal.content.models import Attachment, Item
from portal.search.documents import document
from portal.search.names import forget_if_named
from portal.search.postgres_engine import PostgresEngine
from portal.search.query import ParsedQuery
from portal.search.whoosh_engine import IndexUnavailableError, WhooshEngine

log = logging.getLogger(__name__)
MAX_HITS = 300
# With facets chosen, narrowing drops most of the best matches: look further so a filtered common
# query still fills its pages.
MAX_HITS_FILTERED = 1000


def engine_name() -> str:
    """SEARCH_ENGINE, or by default PostgreSQL search on PostgreSQL and Whoosh on SQLite."""
    configured = current_app.config.get("SEARCH_ENGINE") or ""
    if configured in ("whoosh", "postgres"):
        return configured
    return (
        "postgres"
        if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
        else "whoosh"
    )


def engine() -> WhooshEngine | PostgresEngine:
    from portal.extensions import db

    if engine_name() == "postgres":
        return PostgresEngine(db.engine)
    return WhooshEngine(current_app.config["SEARCH_INDEX_DIR"])


def _documents(session: Session, ids: Iterable[int]) -> tuple[list[dict], list[str]]:
    """Documents for the ids that still exist; the rest are deletions."""
    from portal.content.kinds import kinds
    from portal.taxonomy.models import VOCABULARIES

    ids = sorted(set(ids))
    if not session.info.get("terms_loaded"):
        # Many-to-one terms (procedure, phase...) then come from the identity map, not a query each.
        for vocabulary in VOCABULARIES.values():
            session.scalars(select(vocabulary.model)).all()
        session.info["terms_loaded"] = True
    items = session.scalars(
        select(Item)
        .where(Item.id.in_(ids))
        .options(
            selectin_polymorphic(Item, [spec.model for spec in kinds().values()]),
            selectinload(Item.attachments),
            selectinload(Item.themes),
            selectinload(Item.product_groups),
            selectinload(Item.tags),
            selectinload(Item.organisation),
        )
    ).all()
    found = {item.id for item in items}
    return [document(item) for item in items], [str(i) for i in ids if i not in found]


def update_index(ids: Iterable[int]) -> None:
    """Re-index these items from the database (called after a commit, in its own session)."""
    from portal.extensions import db

    ids = set(ids)
    if not ids:
        return
    try:
        search_engine = engine()
        with search_engine.writer() as writer, Session(db.engine) as session:
            documents, deleted = _documents(session, ids)
            search_engine.apply(writer, documents, deleted)
    except Exception:  # the database stays the truth; `flask search check` finds the gap
        log.exception("Zoekindex niet bijgewerkt voor items %s", sorted(ids))


def _collect(session: Session, flush_context) -> None:
    """after_flush (ids are known, the pre-flush lists still stand): remember changed items."""
    changed = session.info.setdefault("search_ids", set())
    flushed = (*session.new, *session.dirty, *session.deleted)
    forget_if_named(flushed)
    for obj in flushed:
        if isinstance(obj, Item) and obj.id is not None:
            changed.add(obj.id)
        elif isinstance(obj, Attachment) and obj.item_id is not None:
            changed.add(obj.item_id)
        elif getattr(obj, "indexed_item_id", None) is not None:  # e.g. an answer: its question
            changed.add(obj.indexed_item_id)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: index after the real commit
    ids = session.info.pop("search_ids", set())
    if ids and has_app_context() and current_app.config.get("SEARCH_INDEX_ON_COMMIT", True):
        update_index(ids)


def _after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("search_ids", None)


def init_index_on_commit() -> None:
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def reindex(batch: int = 500, progress=None) -> int:
    """Rebuild the whole index from the database; return the number of items indexed."""
    from portal.extensions import db

    search_engine = engine()
    search_engine.recreate()
    total = 0
    with search_engine.writer() as writer, Session(db.engine) as session:
        ids = session.scalars(select(Item.id).order_by(Item.id)).all()
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            documents, _deleted = _documents(session, chunk)
            search_engine.apply(writer, documents, [])
            total += len(documents)
            if progress:
                progress(len(chunk))
            session.expunge_all()
            session.info["terms_loaded"] = False
    return total


@dataclass
class CheckReport:
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


def check() -> CheckReport:
    """Items missing from the index, and index entries whose item no longer exists."""
    from portal.extensions import db

    indexed = engine().ids()
    in_db = set(db.session.scalars(select(Item.id)))
    return CheckReport(missing=sorted(in_db - indexed), stale=sorted(indexed - in_db))


@dataclass
class Hits:
    scores: dict[int, float]
    unavailable: bool = False


def find(query: ParsedQuery, limit: int = MAX_HITS) -> Hits:
    """Matching item ids with scores from the engine; the caller filters them by permission."""
    if query.is_empty:
        return Hits({})
    try:
        return Hits(dict(engine().search(query, limit)))
    except IndexUnavailableError:
        return Hits({}, unavailable=True)
