"""Typo tolerance: a typed word the index does not hold ("leerlingenvevoer") also searches for
the nearest indexed words (Levenshtein distance at most MAX_DISTANCE), at a
lower weight, so the results are right without a click; "Bedoelde u …?" stays as a hint.

Each engine finds the candidates in its own vocabulary (Whoosh: its term automaton; PostgreSQL:
`search_lexemes` with fuzzystrmatch and pg_trgm); the same distance and order pick from them here,
so both engines expand a word alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from whoosh.support.levenshtein import levenshtein

from portal.search.query import Expansion, ParsedQuery

MIN_LETTERS = 5  # shorter words (or stems) are never fuzzed: too many neighbours ("mki" ~ "mkb")
MAX_DISTANCE = 2
# A near word shares the typed word's first letters: few typos touch the first letter, and the
# engines then read a small part of their word lists (Whoosh's automaton walked all of them, some
# 100 ms a misspelt word on 20,000 texts).
PREFIX = 1
MAX_WORDS = 4  # unknown words of one query that are expanded
MAX_TERMS = 3  # nearest words per unknown word
WEIGHT = 0.5  # of a typed word


def nearest(term: str, candidates: Iterable[str]) -> list[str]:
    """The closest candidates (at most MAX_DISTANCE edits), nearest first, then alphabetical."""
    scored = []
    for candidate in set(candidates):
        if candidate == term or candidate[:PREFIX] != term[:PREFIX]:
            continue
        edits = levenshtein(term, candidate, limit=MAX_DISTANCE + 1)
        if edits <= MAX_DISTANCE:
            scored.append((edits, candidate))
    return [candidate for _edits, candidate in sorted(scored)[:MAX_TERMS]]


def expand_typos(
    query: ParsedQuery,
    present: Callable[[str], bool],
    neighbours: Callable[[str], Iterable[str]],
) -> ParsedQuery:
    """Add the nearest indexed words of the typed words no indexed text holds (in place)."""
    found = []
    words = 0
    for group in query.groups:
        if words >= MAX_WORDS:
            break
        # Typed and as indexed (its stem): "dimmen" is "dimm", too short to guess at.
        if min(len(group.word), len(group.key)) < MIN_LETTERS or group.word.isdigit():
            continue
        forms = [e.terms[0] for e in query.forms if group.key in e.source]
        if any(present(term) for term in (*group.terms, *forms)):
            continue
        terms = nearest(group.key, neighbours(group.key))
        found.extend(Expansion("", (term,), WEIGHT, term, (group.key,)) for term in terms)
        words += bool(terms)
    query.fuzzy = found
    return query
