"""The search seam: index on commit, rebuild, check, and query-then-filter-by-permission."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, selectin_polymorphic, selectinload

from portal.content.kinds import kinds
from portal.content.models import Attachment, Item
from portal.extensions import db
from portal.outbox.delivery import nudge
from portal.outbox.models import OutboxMessage
from portal.outbox.services import handles, on_sweep, record
from portal.pagecache import move_generation
from portal.permissions import Actor, authorized_by, can_edit_concepts
from portal.search.concepts import clean_concept, term_key
from portal.search.display_names import forget_if_named
from portal.search.documents import document, source_hash
from portal.search.models import Concept, ConceptTerm
from portal.search.postgres_engine import PostgresEngine
from portal.search.query import ParsedQuery
from portal.search.whoosh_engine import IndexUnavailableError, RebuildRunningError, WhooshEngine
from portal.search.worker_cache import forget
from portal.taxonomy.models import VOCABULARIES

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

    if engine_name() == "postgres":
        return PostgresEngine(db.engine)
    return WhooshEngine(current_app.config["SEARCH_INDEX_DIR"])


def _documents(session: Session, ids: Iterable[int]) -> tuple[list[dict], list[str]]:
    """Documents for the ids that still exist; the rest are deletions."""
    ids = sorted(set(ids))
    items = _items(session, ids)
    found = {item.id for item in items}
    return [document(item) for item in items], [str(i) for i in ids if i not in found]


def _items(session: Session, ids: Iterable[int]) -> list[Item]:
    """The items with everything their documents are made of, in few queries."""

    if not session.info.get("terms_loaded"):
        # Many-to-one terms (procedure, phase...) then come from the identity map, not a query each.
        for vocabulary in VOCABULARIES.values():
            session.scalars(select(vocabulary.model)).all()
        session.info["terms_loaded"] = True
    return session.scalars(
        select(Item)
        .where(Item.id.in_(list(ids)))
        .options(
            selectin_polymorphic(Item, [spec.model for spec in kinds().values()]),
            selectinload(Item.attachments),
            selectinload(Item.themes),
            selectinload(Item.product_groups),
            selectinload(Item.tags),
            selectinload(Item.organisation),
        )
    ).all()


def update_index(ids: Iterable[int]) -> None:
    """Re-index these items from the database (the outbox's "index" handler), raising when the
    index cannot take them now, so the outbox retries. A missing or damaged Whoosh index is rebuilt
    whole from the database, never replaced by one with only these items."""

    ids = set(ids)
    if not ids:
        return
    search_engine = engine()
    try:
        with search_engine.writer() as writer, Session(db.engine) as session:
            documents, deleted = _documents(session, ids)
            search_engine.apply(writer, documents, deleted)
    except IndexUnavailableError:
        log.warning("Zoekindex ontbreekt of is beschadigd: hij wordt herbouwd")
        reindex()
        return
    move_generation()  # kept search pages answered from the index as it was


@handles("index")
def _deliver_index_update(payload: dict, session: Session) -> None:
    update_index(payload["item_ids"])


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


def _before_commit(session: Session) -> None:
    """Index the transaction's changes as part of it: on PostgreSQL the documents are written in
    this very transaction; for Whoosh an outbox row is, delivered after the commit."""
    if session.in_nested_transaction() or not has_app_context():
        return
    if not current_app.config.get("SEARCH_INDEX_ON_COMMIT", True):
        session.info.pop("search_ids", None)
        return
    session.flush()
    while ids := session.info.pop("search_ids", set()):
        if engine_name() == "postgres":
            documents, deleted = _documents(session, ids)
            PostgresEngine.apply(session, documents, deleted)
        else:
            record("index", {"item_ids": sorted(ids)}, session)
        session.flush()


def _after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("search_ids", None)


def init_index_on_commit() -> None:
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def reindex(batch: int = 500, progress=None) -> int:
    """Rebuild the whole index from the database; return the number of items indexed.

    Whoosh: a new build beside the live index, swapped in at the end (searches keep answering from
    the old one, writes keep going to it), then the updates recorded meanwhile are applied again.
    PostgreSQL: every document rewritten in batches of their own transaction, then the documents of
    deleted items removed; searches see a whole index throughout. Kept pages, and what each worker
    keeps of the index, are forgotten after.
    """
    try:
        return _reindex(batch, progress)
    finally:
        move_generation()
        forget()  # what the workers keep of the old index (which words it holds, its statistics)


def _reindex(batch: int, progress) -> int:
    search_engine = engine()
    total = 0
    with Session(db.engine) as session:
        ids = session.scalars(select(Item.id).order_by(Item.id)).all()

        def batches():
            nonlocal total
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch]
                documents, _deleted = _documents(session, chunk)
                yield documents
                total += len(documents)
                if progress:
                    progress(len(chunk))
                session.expunge_all()
                session.info["terms_loaded"] = False

        if isinstance(search_engine, PostgresEngine):
            for documents in batches():
                with Session(db.engine) as writer, writer.begin():
                    PostgresEngine.apply(writer, documents, [])
            with Session(db.engine) as writer, writer.begin():
                PostgresEngine.delete_except(writer, set(ids))
            return total
        with search_engine.rebuild_lock():
            since = session.scalar(select(func.max(OutboxMessage.id))) or 0
            session.rollback()
            with search_engine.build() as writer:
                for documents in batches():
                    search_engine.apply(writer, documents, [])
            meanwhile: set[int] = set()
            for payload in session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.topic == "index", OutboxMessage.id > since
                )
            ):
                meanwhile.update(payload.get("item_ids") or [])
    if meanwhile:
        update_index(meanwhile)
    return total


@on_sweep
def rebuild_when_missing() -> None:
    """Worker housekeeping: a missing or damaged Whoosh index is rebuilt from the database."""
    search_engine = engine()
    if search_engine.available():
        return
    try:
        log.warning("Zoekindex ontbreekt of is beschadigd: herbouwen")
        reindex()
    except RebuildRunningError:
        pass


@dataclass
class CheckReport:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(
        default_factory=list
    )  # indexed from other text than the database holds
    extra: list[int] = field(default_factory=list)  # in the index, no longer in the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check(batch: int = 500) -> CheckReport:
    """Compare the index with the database, item by item, by the hash of each document's text."""

    indexed = engine().hashes()
    report = CheckReport()
    with Session(db.engine) as session:
        ids = session.scalars(select(Item.id).order_by(Item.id)).all()
        for start in range(0, len(ids), batch):
            for item in _items(session, ids[start : start + batch]):
                if item.id not in indexed:
                    report.missing.append(item.id)
                elif indexed[item.id] != source_hash(item):
                    report.stale.append(item.id)
            session.expunge_all()
            session.info["terms_loaded"] = False
    report.extra = sorted(set(indexed) - set(ids))
    return report


def fix(report: CheckReport) -> None:
    """Re-index what check() found missing or stale and drop what it found extra."""
    update_index([*report.missing, *report.stale, *report.extra])


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
        nudge()
        return Hits({}, unavailable=True)
    except Exception:  # a segment damaged in a way its manifest missed: say so, never "0 results"
        if engine_name() != "whoosh":
            raise
        if engine().reads():
            # The index reads; this query failed (a fault in building it). Rebuilding would not
            # help, and one stranger repeating the query would rebuild the index again and again.
            log.exception("Zoekvraag kon niet worden uitgevoerd")
            return Hits({}, unavailable=True)
        log.exception("Zoekindex onleesbaar")
        engine().mark_damaged()
        nudge()
        return Hits({}, unavailable=True)


# --- Concepts (query expansion; no reindex needed: they are applied when a query is parsed) ---


def _apply_concept(concept: Concept, values: dict, terms: list[tuple[str, str]]) -> Concept:
    concept.name = terms[0][1]
    concept.note = (values.get("note") or "").strip()[:500]
    wanted = {(term_key(text), role, text): n for n, (role, text) in enumerate(terms)}
    kept = {(t.key, t.role, t.text): t for t in concept.terms}
    for key, term in kept.items():
        if key not in wanted:
            concept.terms.remove(term)
    db.session.flush()  # removed terms go before new ones take their keys
    for (key, role, text), position in wanted.items():
        term = kept.get((key, role, text))
        if term is None:
            concept.terms.append(ConceptTerm(key=key, role=role, text=text, position=position))
        else:
            term.position = position
    db.session.flush()
    return concept


@authorized_by(can_edit_concepts)
def create_concept(values: dict, *, actor: Actor) -> Concept:
    """Create a concept from the form's values (name; synonym, abbreviation, narrower and
    related as one term per line; note); ServiceError with a Dutch message for a refused term."""
    terms = clean_concept(values)
    concept = Concept(name=terms[0][1], note="")
    db.session.add(concept)
    return _apply_concept(concept, values, terms)


@authorized_by(can_edit_concepts)
def update_concept(concept: Concept, values: dict, *, actor: Actor) -> Concept:
    """Replace the concept's terms and note with the form's values, checked like a new one."""
    return _apply_concept(concept, values, clean_concept(values, concept))


@authorized_by(can_edit_concepts)
def delete_concept(concept: Concept, *, actor: Actor) -> None:
    """Delete the concept: the next search no longer expands with it."""
    db.session.delete(concept)
    db.session.flush()
