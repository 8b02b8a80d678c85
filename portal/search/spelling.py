"""Spelling suggestions from the portal's own vocabulary: words of public, published items and
taxonomy names only, so a hint never reveals a hidden item."""

from __future__ import annotations

from sqlalchemy import select
from whoosh.spelling import ListCorrector

from portal.content.models import Item
from portal.extensions import db
from portal.search.analysis import stop_words, tokens
from portal.search.worker_cache import cached
from portal.taxonomy.models import ProductGroup, Theme

TTL = 600  # seconds


def _corrector() -> tuple[ListCorrector, frozenset[str]]:
    def load() -> tuple[ListCorrector, frozenset[str]]:
        words: set[str] = set()
        public = select(Item.title, Item.summary).where(
            Item.status == "published", Item.visibility == "public", Item.hidden_at.is_(None)
        )
        for title, summary in db.session.execute(public):
            words.update(tokens(f"{title} {summary}"))
        for model in (Theme, ProductGroup):
            for (name,) in db.session.execute(select(model.name)):
                words.update(tokens(name))
        vocabulary = frozenset(w for w in words if len(w) >= 4 and not w.isdigit())
        return ListCorrector(sorted(vocabulary)), vocabulary

    return cached("spelling", load, TTL)


def suggest(text: str) -> str | None:
    """The query with unknown words replaced by the closest known word, or None."""
    corrector, words = _corrector()
    changed = False
    out = []
    for word in tokens(text)[:12]:
        if word in words or word in stop_words() or len(word) < 4:
            out.append(word)
            continue
        best = list(corrector.suggest(word, limit=1, maxdist=2))
        if best and best[0] != word:
            out.append(best[0])
            changed = True
        else:
            out.append(word)
    return " ".join(out) if changed else None
