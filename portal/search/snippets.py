"""Highlighted snippets that show why a result matched; always escaped, marks added after."""

from __future__ import annotations

import re
import unicodedata
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


@lru_cache(maxsize=1024)
def _candidates(terms: frozenset[str]) -> re.Pattern:
    """What a text must hold for any of its words to analyse to one of the terms: a stem differs
    from its word (and a compound part from its compound) at most in its last two letters, so the
    rest of each term appears in the folded text of every text that matches."""
    heads = sorted({term[: max(2, len(term) - 2)] for term in terms}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, heads)))


def _ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")


def snippet(text: str, terms: set[str], *, length: int = 2 * WINDOW) -> Markup | None:
    """A window of text around the first matching word, matches wrapped in <mark>; None if none."""
    if not text or not terms:
        return None
    if not _candidates(frozenset(terms)).search(_ascii_fold(text)):
        return None  # no word can match: skip the word-by-word scan (long attachments)
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
