"""Parse what a buyer types: words, "quoted phrases", -exclusions and OR (which is the default)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.search.analysis import analyze, expand_query, tokens

MAX_QUERY = 500  # characters; longer input is cut, never an error
# A query word found in more than this share of the texts only re-ranks the texts the rarer words
# matched (a "common terms" query): "aanbesteding" must not make every engine scan every text.
# Each engine reads document frequencies from its own statistics.
COMMON_SHARE = 0.1
COMMON_MIN_TEXTS = 2000  # below this every text is simply scored


def is_common(documents_with_term: float, documents: float) -> bool:
    return documents >= COMMON_MIN_TEXTS and documents_with_term / documents > COMMON_SHARE


_PART_RE = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


@dataclass
class ParsedQuery:
    should: list[str] = field(default_factory=list)  # analysed terms; more matches rank higher
    phrases: list[list[str]] = field(default_factory=list)  # every term of a phrase must match
    exclude: list[str] = field(default_factory=list)
    text: str = ""
    words: list[str] = field(default_factory=list)  # the plain typed words' tokens, in order
    # Terms the concepts add (portal/search/concepts.py: Expansion), at a lower weight.
    related: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.should or self.phrases)

    @property
    def highlight_terms(self) -> set[str]:
        return (
            set(self.should)
            | {t for p in self.phrases for t in p}
            | {t for e in self.related for t in e.terms}
        )

    @property
    def concepts(self) -> list[str]:
        """The names of the concepts that added terms, in order."""
        return list(dict.fromkeys(e.concept for e in self.related))


def parse(raw: str) -> ParsedQuery:
    """Turn raw input into terms; unbalanced quotes and query syntax characters are just text."""
    text = (raw or "")[:MAX_QUERY].strip()
    if text.count('"') % 2:
        text = text.replace('"', " ")
    parsed = ParsedQuery(text=text)
    for neg_phrase, phrase, neg_word, word in _PART_RE.findall(text):
        if phrase or neg_phrase:
            terms = analyze(phrase)
            if neg_phrase:
                parsed.exclude.extend(terms)
            elif terms:
                parsed.phrases.append(terms)
            continue
        if word.upper() == "OR":
            continue
        if neg_word and len(word) > 0:
            parsed.exclude.extend(analyze(word))
        else:
            parsed.should.extend(expand_query(word))
            parsed.words.extend(tokens(word))
    parsed.should = list(dict.fromkeys(parsed.should))
    return parsed
