"""Spelling suggestions from the portal's own vocabulary: every indexed word of public, published
items (title, summary, body, the kinds' text fields, tags, organisation, attachments) plus the
taxonomy and the abbreviations, so a hint never reveals a hidden item and never "corrects" a word
the portal knows."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh.spelling import ListCorrector

from portal.content.kinds import kinds
from portal.content.models import Attachment, Item, Tag, item_tags
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.search.analysis import abbreviations, analyze, stop_words, tokens
from portal.search.analysis import vocabulary as compound_parts
from portal.search.worker_cache import cached
from portal.taxonomy.models import VOCABULARIES, ProductGroup, Theme

TTL = 600  # seconds
# Rows read at a time: the public texts of 100,000 items are some 200 MB, fetched whole they were
# the worker's peak memory (a streamed result on PostgreSQL, fetched in batches everywhere).
BATCH = 500


def _public():
    return Item.status == "published", Item.visibility == "public", Item.hidden_at.is_(None)


def _public_texts(session: Session) -> Iterator[str]:
    """All text the index holds of public, published items (the kinds' text fields through their
    specs: columns read as rows, computed ones such as a question's answers through the model),
    BATCH rows at a time."""
    public = _public()
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


def _corrector() -> tuple[ListCorrector, frozenset[str], frozenset[str]]:
    """The corrector, the known words and the analysed terms of those words."""

    def load() -> tuple[ListCorrector, frozenset[str], frozenset[str]]:
        words: set[str] = set()
        # A session of its own: the request's session keeps none of the rows read here.
        with Session(db.engine) as session:
            for text in chain(_taxonomy_texts(session), _public_texts(session)):
                words.update(tokens(text))
        terms = frozenset(term for word in words for term in analyze(word))
        vocabulary = frozenset(w for w in words if len(w) >= 4 and not w.isdigit())
        return ListCorrector(sorted(vocabulary)), frozenset(words), terms

    return cached("spelling", load, TTL)


def is_known(word: str) -> bool:
    """Whether the word is the portal's own, as typed or through its analysed terms (a plural or
    compound whose stems the public texts hold: it matches documents)."""
    _unused, words, terms = _corrector()
    if word in words or word in stop_words():
        return True
    analysed = analyze(word)
    return bool(analysed) and all(term in terms for term in analysed)


def suggest(text: str) -> str | None:
    """The query with unknown words replaced by the closest known word, or None."""
    corrector, _words, _terms = _corrector()
    changed = False
    out = []
    for word in tokens(text)[:12]:
        if len(word) < 4 or is_known(word):
            out.append(word)
            continue
        best = list(corrector.suggest(word, limit=1, maxdist=2))
        if best and best[0] != word:
            out.append(best[0])
            changed = True
        else:
            out.append(word)
    return " ".join(out) if changed else None
