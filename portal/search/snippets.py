"""Highlighted snippets that show why a result matched; always escaped, marks added after."""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from portal.search.analysis import fold, split_compound, stem

WORD_RE = re.compile(r"\w+", re.UNICODE)
WINDOW = 90


@lru_cache(maxsize=200_000)
def _stems(word: str) -> frozenset[str]:
    """The terms one written word stands for (itself and its compound parts), analysed once."""
    token = fold(word)
    return frozenset((stem(token), *(stem(part) for part in split_compound(token))))


def _matches(word: str, terms: set[str]) -> bool:
    return not _stems(word).isdisjoint(terms)


def snippet(text: str, terms: set[str], *, length: int = 2 * WINDOW) -> Markup | None:
    """A window of text around the first matching word, matches wrapped in <mark>; None if none."""
    if not text or not terms:
        return None
    first = next((m for m in WORD_RE.finditer(text) if _matches(m.group(), terms)), None)
    if first is None:
        return None
    start = max(0, first.start() - WINDOW)
    end = min(len(text), start + length)
    window = text[start:end]
    out, cursor = [], 0
    for match in WORD_RE.finditer(window):
        if _matches(match.group(), terms):
            out.append(escape(window[cursor : match.start()]))
            out.append(Markup("<mark>%s</mark>") % match.group())
            cursor = match.end()
    out.append(escape(window[cursor:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return escape(prefix) + Markup("").join(out) + escape(suffix)
