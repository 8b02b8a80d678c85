"""Spelling suggestions from the portal's own vocabulary: words of public, published items and
taxonomy names only, so a hint never reveals a hidden item."""

from __future__ import annotations

import time

from sqlalchemy import select
from whoosh.spelling import ListCorrector

from portal.content.models import Item
from portal.extensions import db
from portal.search.analysis import stop_words, tokens
from portal.taxonomy.models import ProductGroup, Theme

_CACHE: dict[str, object] = {"at": 0.0, "corrector": None, "words": frozenset()}
TTL = 600  # seconds


def _corrector() -> tuple[ListCorrector, frozenset[str]]:
    if _CACHE["corrector"] is None or time.monotonic() - float(_CACHE["at"]) > TTL:
        words: set[str] = set()
        public = select(Item.title, Item.summary).where(
            Item.status == "published", Item.visibility == "public"
        )
        for title, summary in db.session.execute(public):
            words.update(tokens(f"{title} {summary}"))
        for model in (Theme, ProductGroup):
            for (name,) in db.session.execute(select(model.name)):
                words.update(tokens(name))
        vocabulary = frozenset(w for w in words if len(w) >= 4 and not w.isdigit())
        _CACHE.update(
            at=time.monotonic(), corrector=ListCorrector(sorted(vocabulary)), words=vocabulary
        )
    return _CACHE["corrector"], _CACHE["words"]  # type: ignore[return-value]


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


def forget() -> None:
    _CACHE.update(corrector=None)
