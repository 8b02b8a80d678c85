"""Spelling suggestions ("Bedoelde u …?") from the portal's own vocabulary: every indexed word of
public, published items (title, summary, body, the kinds' text fields, tags, organisation,
attachments) plus the taxonomy and the abbreviations, so a hint never reveals a hidden item and never
"corrects" a word the portal knows.

Reading and tokenising every public text takes seconds to tens of seconds (19 s for 100,000 items on
PostgreSQL), so a search never does it. `refresh()` builds the vocabulary off the request path (the
outbox worker's round and the background sweep, `flask seed`, `flask search reindex`) every REFRESH
seconds and stores it in `spelling_vocabulary`; a request reads only that row's build time, loads
the words when it moved (once per worker and build) and the few words in `spelling_withdrawn`. An
item that stops being public records its words there in its own transaction, so they are never
offered again from that commit on, in every worker; the next build drops them. A site whose
vocabulary was never built gives no hint until the first build (seconds after the first request or
the worker's start)."""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain

from flask import has_app_context
from sqlalchemy import delete, event, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from whoosh.spelling import ListCorrector

from portal.common import as_utc, utcnow
from portal.content.kinds import kinds
from portal.content.models import Attachment, Item, Tag, item_tags
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.outbox.services import on_sweep
from portal.search.analysis import abbreviations, analyze, stop_words, tokens
from portal.search.analysis import vocabulary as compound_parts
from portal.search.models import SpellingVocabulary, SpellingWithdrawn
from portal.taxonomy.models import VOCABULARIES, ProductGroup, Theme

# Seconds between builds: a new public word is offered within REFRESH plus one build (and one
# worker round), well inside the ten minutes each worker kept its own copy before.
REFRESH = 300
# A build that has not finished after this long is taken over (its process died).
LEASE = 600
# Rows read at a time: the public texts of 100,000 items are some 200 MB, fetched whole they were
# the worker's peak memory (a streamed result on PostgreSQL, fetched in batches everywhere).
BATCH = 500
ROW = 1  # the vocabulary's one row


def _public():
    return Item.status == "published", Item.visibility == "public", Item.hidden_at.is_(None)


def _public_texts(session: Session) -> Iterator[str]:
    """All text the index holds of public, published items, BATCH rows at a time."""
    return _texts(session, _public())


def _texts(session: Session, public: tuple, *, expunge: bool = True) -> Iterator[str]:
    """All text the index holds of the items matching these conditions (the kinds' text fields
    through their specs: columns read as rows, computed ones such as a question's answers through
    the model), BATCH rows at a time. expunge: drop the models read (a session of its own)."""
    texts = select(Item.title, Item.summary, Item.body_md).where(*public)
    for row in session.execute(texts.execution_options(yield_per=BATCH)):
        yield "\n".join(text for text in row if text)
    for spec in kinds().values():
        table = spec.model.__table__
        columns = [table.c[name] for name in spec.text_fields if name in table.c]
        if columns:
            joined = select(*columns).join(Item, Item.id == table.c.id).where(*public)
            for row in session.execute(joined.execution_options(yield_per=BATCH)):
                yield "\n".join(text for text in row if text)
        computed = [name for name in spec.text_fields if name not in table.c]
        if computed:
            ids = session.scalars(select(spec.model.id).where(*public)).all()
            for start in range(0, len(ids), BATCH):
                batch = select(spec.model).where(spec.model.id.in_(ids[start : start + BATCH]))
                for item in session.scalars(batch):
                    yield "\n".join(str(getattr(item, name, "") or "") for name in computed)
                if expunge:
                    session.expunge_all()
    on_public = select(Item.id).where(*public)
    tags = select(Tag.name).join(item_tags, item_tags.c.tag_id == Tag.id)
    yield from session.scalars(tags.where(item_tags.c.item_id.in_(on_public)).distinct())
    yield from session.scalars(
        select(Organisation.name)
        .where(Organisation.id.in_(select(Item.organisation_id).where(*public)))
        .distinct()
    )
    yield from session.scalars(
        select(Attachment.text)
        .where(Attachment.item_id.in_(on_public))
        .execution_options(yield_per=BATCH)
    )


def _taxonomy_texts(session: Session) -> Iterator[str]:
    """The names of themes, product groups and every vocabulary, and the abbreviations."""
    models = [Theme, ProductGroup, *(v.model for v in VOCABULARIES.values())]
    for model in dict.fromkeys(models):
        yield from session.scalars(select(model.name))
    for short, long in abbreviations().items():
        yield " ".join((short, *long))
    yield " ".join(compound_parts())


@dataclass(frozen=True)
class Vocabulary:
    corrector: ListCorrector
    words: frozenset[str]  # every word, for "is it the portal's own"
    terms: frozenset[str]  # their analysed terms
    offered: tuple[str, ...]  # the words a hint may offer (4 letters or more, not a number)
    built_at: datetime


def collect() -> tuple[list[str], list[str]]:
    """Read every public text and the taxonomy: the sorted words and their sorted analysed terms
    (the slow part: seconds per 10,000 items)."""
    words: set[str] = set()
    # A session of its own: the caller's session keeps none of the rows read here.
    with Session(db.engine) as session:
        for text in chain(_taxonomy_texts(session), _public_texts(session)):
            words.update(tokens(text))
    terms = {term for word in words for term in analyze(word)}
    return sorted(words), sorted(terms)


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _claim(now: datetime, force: bool) -> str | None:
    """Take the vocabulary's row for a build when one is due and nobody else is building; commit
    the claim (so other processes see it) and return the runner's name, or None."""
    state = db.session.execute(
        select(SpellingVocabulary.built_at, SpellingVocabulary.claimed_at).where(
            SpellingVocabulary.id == ROW
        )
    ).first()
    db.session.rollback()  # a read of its own, not kept open while the build runs
    if state is None:
        db.session.add(SpellingVocabulary(id=ROW))
        try:
            db.session.commit()
        except IntegrityError:  # another process made it first
            db.session.rollback()
    elif not force:
        built, claimed = (as_utc(v) if v else None for v in state)
        if built is not None and now - built < timedelta(seconds=REFRESH):
            return None
        if claimed is not None and now - claimed < timedelta(seconds=LEASE):
            return None
    runner = _runner()
    free = or_(
        SpellingVocabulary.claimed_at.is_(None),
        SpellingVocabulary.claimed_at < now - timedelta(seconds=LEASE),
    )
    taken = db.session.execute(
        update(SpellingVocabulary)
        .where(SpellingVocabulary.id == ROW, free)
        .values(claimed_at=now, claimed_by=runner)
    )
    db.session.commit()
    return runner if taken.rowcount == 1 else None


def refresh(*, force: bool = False) -> bool:
    """Build the vocabulary and store it when REFRESH seconds have passed since the last build (or
    force), unless another process is building it; return whether this call stored it.

    Commits db.session (the claim first, so other processes see it): call it with nothing pending.
    Withdrawn words recorded before the build began are dropped with it (the build read their
    items as they are now); those recorded while it ran stay until the next one."""
    started = utcnow()
    runner = _claim(started, force)
    if runner is None:
        return False
    try:
        seen = db.session.scalars(select(SpellingWithdrawn.id)).all()
        db.session.rollback()
        words, terms = collect()
        stored = db.session.execute(
            update(SpellingVocabulary)
            .where(SpellingVocabulary.id == ROW, SpellingVocabulary.claimed_by == runner)
            .values(words="\n".join(words), terms="\n".join(terms), built_at=started,
                    claimed_at=None, claimed_by="")
        )  # fmt: skip
        if stored.rowcount != 1:  # the lease ran out and another process took the build over
            db.session.rollback()
            return False
        for start in range(0, len(seen), BATCH):
            db.session.execute(
                delete(SpellingWithdrawn).where(
                    SpellingWithdrawn.id.in_(seen[start : start + BATCH])
                )
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        db.session.execute(
            update(SpellingVocabulary)
            .where(SpellingVocabulary.id == ROW, SpellingVocabulary.claimed_by == runner)
            .values(claimed_at=None, claimed_by="")
        )
        db.session.commit()
        raise
    return True


@on_sweep
def refresh_when_due() -> None:
    """Worker housekeeping: rebuild the spelling vocabulary every REFRESH seconds."""
    refresh()


_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> Vocabulary
# engine -> (the kept Vocabulary, the withdrawn words, it without them): filtered once per set
_LESS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _load(built_at: datetime) -> Vocabulary:
    words, terms = db.session.execute(
        select(SpellingVocabulary.words, SpellingVocabulary.terms).where(
            SpellingVocabulary.id == ROW
        )
    ).one()
    known = [w for w in words.split("\n") if w]
    offered = tuple(w for w in known if len(w) >= 4 and not w.isdigit())
    return Vocabulary(
        ListCorrector(list(offered)), frozenset(known),
        frozenset(t for t in terms.split("\n") if t), offered, built_at,
    )  # fmt: skip


def vocabulary() -> Vocabulary | None:
    """The stored vocabulary without the words withdrawn since it was built (None: never built).

    Two small queries per call (the build time, the withdrawn words); the words themselves are read
    once per worker and build, and filtered once per build and set of withdrawn words."""
    # The withdrawn words first: a build that commits between the two reads has dropped only
    # withdrawals its words leave out, and its build time then loads those words.
    withdrawn = frozenset(db.session.scalars(select(SpellingWithdrawn.word).distinct()))
    built_at = db.session.scalar(
        select(SpellingVocabulary.built_at).where(SpellingVocabulary.id == ROW)
    )
    if built_at is None:
        return None
    engine = db.engine
    with _LOCK:
        kept = _KEPT.get(engine)
    if kept is None or kept.built_at != built_at:
        kept = _load(built_at)
        with _LOCK:
            _KEPT[engine] = kept
            _LESS.pop(engine, None)  # the older build's filtered copy: not kept beside this one
    if not withdrawn:
        return kept
    with _LOCK:
        less = _LESS.get(engine)
    if less is not None and less[0] is kept and less[1] == withdrawn:
        return less[2]
    offered = tuple(w for w in kept.offered if w not in withdrawn)
    filtered = replace(kept, corrector=ListCorrector(list(offered)), words=kept.words - withdrawn,
                       offered=offered)  # fmt: skip
    with _LOCK:
        _LESS[engine] = (kept, withdrawn, filtered)
    return filtered


def _is_known(word: str, known: Vocabulary) -> bool:
    """Whether the word is the portal's own, as typed or through its analysed terms (a plural or
    compound whose stems the public texts hold: it matches documents)."""
    if word in known.words or word in stop_words():
        return True
    analysed = analyze(word)
    return bool(analysed) and all(term in known.terms for term in analysed)


def suggest(text: str) -> str | None:
    """The query with unknown words replaced by the closest known word, or None (also while the
    vocabulary was never built)."""
    known = vocabulary()
    if known is None:
        return None
    changed = False
    out = []
    for word in tokens(text)[:12]:
        if len(word) < 4 or _is_known(word, known):
            out.append(word)
            continue
        best = list(known.corrector.suggest(word, limit=1, maxdist=2))
        if best and best[0] != word:
            out.append(best[0])
            changed = True
        else:
            out.append(word)
    return " ".join(out) if changed else None


# Items that stop being public: their words leave the hints with the commit that withdraws them.


def _before(item: Item, name: str):
    """The attribute's value before this flush (its public value when the old one was never
    loaded: the item then counts as withdrawn, the safe side)."""
    history = inspect(item).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.added:  # set without its old value loaded: assume it was public (withdraw)
        return {"status": "published", "visibility": "public", "hidden_at": None}[name]
    return getattr(item, name)


def _is_public(status, visibility, hidden_at) -> bool:
    return status == "published" and visibility == "public" and hidden_at is None


def _old_words(item: Item) -> set[str]:
    """The words of the item's texts (and tags) that this flush replaced: the stored vocabulary
    may hold them, and reading the item at commit finds only the new ones."""
    state = inspect(item)
    words: set[str] = set()
    for name in ("title", "summary", "body_md", *chain.from_iterable(
        spec.text_fields for spec in kinds().values()
    )):  # fmt: skip
        if name in state.attrs:
            for old in state.attrs[name].history.deleted:
                if isinstance(old, str):
                    words.update(tokens(old))
    if "tags" in state.attrs:
        for tag in state.attrs["tags"].history.deleted:
            words.update(tokens(inspect(tag).dict.get("name") or ""))  # loads nothing
    return words


def _note_withdrawn(session: Session, _flush_context) -> None:
    """after_flush (the old values still known): remember items that were public and are not,
    and the words a public item's edit replaced (a later flush may withdraw it)."""
    for obj in session.dirty:
        if not isinstance(obj, Item) or obj.id is None:
            continue
        was = _is_public(*(_before(obj, n) for n in ("status", "visibility", "hidden_at")))
        if not was:
            continue
        old = _old_words(obj)
        if old:
            session.info.setdefault("spelling_old_words", {}).setdefault(obj.id, set()).update(old)
        if not _is_public(obj.status, obj.visibility, obj.hidden_at):
            session.info.setdefault("spelling_withdrawn", set()).add(obj.id)


def _record_withdrawn(session: Session) -> None:
    """before_commit: store the withdrawn items' words in the same transaction."""
    if session.in_nested_transaction() or not has_app_context():
        return
    session.flush()
    ids = session.info.pop("spelling_withdrawn", None)
    old_words = session.info.pop("spelling_old_words", {})
    if not ids:
        return
    words: set[str] = set().union(*(old_words.get(i, ()) for i in ids))
    for text in _texts(session, (Item.id.in_(sorted(ids)),), expunge=False):
        words.update(tokens(text))
    if words:
        now = utcnow()
        session.execute(
            insert(SpellingWithdrawn), [{"word": w, "withdrawn_at": now} for w in sorted(words)]
        )


def _forget_withdrawn(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("spelling_withdrawn", None)
        session.info.pop("spelling_old_words", None)


def init_withdrawals() -> None:
    """Listen for items that stop being public (every session)."""
    if not event.contains(Session, "after_flush", _note_withdrawn):
        event.listen(Session, "after_flush", _note_withdrawn)
        event.listen(Session, "before_commit", _record_withdrawn)
        event.listen(Session, "after_soft_rollback", _forget_withdrawn)
