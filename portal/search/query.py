"""Parse what a buyer types: words, "quoted phrases", -exclusions and OR (which is the default)."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

from portal.search.analysis import (
    abbreviations,
    analyze,
    expand_query,
    split_compound,
    stem,
    stop_words,
    tokens,
    word_forms,
)

MAX_QUERY = 500  # characters; longer input is cut, never an error
# A query word found in more than this share of the texts only re-ranks the texts the rarer words
# matched (a "common terms" query): "aanbesteding" must not make every engine scan every text.
# Each engine reads document frequencies from its own statistics.
COMMON_SHARE = 0.1
COMMON_MIN_TEXTS = 2000  # below this every text is simply scored


def is_common(documents_with_term: float, documents: float) -> bool:
    return documents >= COMMON_MIN_TEXTS and documents_with_term / documents > COMMON_SHARE


# Coverage: a text that matches more of a query's distinct words ranks above one that matches
# fewer, however often. The typed word (its stem, all parts of a compound, all words of what an
# abbreviation stands for) covers it wholly; a typo's nearest indexed word nearly so; a concept's
# term (eiwittransitie for "vlees") this much. One part of a compound ("werk" of werkkleding) or
# one word of a spelled-out abbreviation ("inschrijving" of EMVI) covers nothing, but these still
# add to the relevance that orders texts of equal coverage.
FUZZY_COVERAGE = 0.9  # a typo's nearest word, or another form of the word ("gunning")
CONCEPT_COVERAGE = 0.5
# Scores carry the coverage as COVERAGE per word, then the coverage of the heading fields (title,
# summary, taxonomy terms: what the text is about) as HEAD_COVERAGE per word, on top of the
# relevance, which never reaches it: sorting by score sorts by coverage, then by the heading's
# coverage, then by relevance (split_score takes them apart again). Shares are tenths.
COVERAGE = 1_000_000.0
HEAD_COVERAGE = 1_000.0
MAX_GROUPS = 32  # distinct typed words a query is ranked by (the rest still match)
# Proximity: two typed words that stand next to each other in a text add a bonus.
MAX_PAIRS = 8
# Another form of a typed word (analysis.word_forms: "gunning" for "gunnen") counts as a typo's
# nearest word does: this weight in the relevance, FUZZY_COVERAGE of the coverage.
FORM_WEIGHT = 0.5
MAX_FORMS = 8  # per query


@dataclass(frozen=True)
class Group:
    """One distinct typed word: the terms that stand for it (its stem, its compound parts, the
    abbreviation it spells) and the stem that concepts and typo expansion name it by."""

    key: str
    terms: tuple[str, ...]
    word: str = ""  # as typed (folded)
    # Each way the text can hold the word whole: its stem, all its compound's parts
    # (werkkleding: werk and kleding), all words of the abbreviation's other form.
    wholes: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Expansion:
    """Terms that stand in for a typed word (a concept's term, a typo's nearest indexed word,
    another form of the word): every stem of `terms` must match, counted `weight`."""

    concept: str  # the concept's name; "" for a typo's or a word form's expansion
    terms: tuple[str, ...]
    weight: float
    text: str = ""  # the term as the administrator wrote it (a typo's or form's: its stem)
    # The typed word(s) it stands in for: its share of their coverage counts only for texts
    # without them (a text with the typed word covers it wholly); its relevance adds, at its
    # weight, in every text that holds it.
    source: tuple[str, ...] = ()


def split_score(score: float) -> tuple[float, float, float]:
    """(coverage, the heading's coverage, relevance) of an engine's score."""
    coverage = math.floor(score / COVERAGE * 10 + 1e-6) / 10
    rest = score - coverage * COVERAGE
    head = math.floor(rest / HEAD_COVERAGE * 10 + 1e-6) / 10
    return coverage, head, max(0.0, rest - head * HEAD_COVERAGE)


_PART_RE = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')

# A question's frame: "hoe pak ik een marktconsultatie aan", "hoe weeg ik social return mee",
# "hoeveel duurder is ...". These words say how the buyer asks, not what about; searched, they
# count as distinct words and lift texts that happen to hold them ("pak", "weeg" stems to "weg",
# roads) above texts about the subject. Left out of a query that starts as a question; in
# "in plaats van" (whose "plaats" stems to "plat") everywhere.
QUESTION_STARTS = frozenset(
    {"hoe", "hoeveel", "wat", "welke", "welk", "waar", "waarom", "wanneer", "wie", "kan", "kun",
     "kunnen", "mag", "moet", "moeten", "is", "zijn", "heeft", "hebben"}
)  # fmt: skip
QUESTION_FRAME = frozenset(
    {"hoeveel", "waarom", "wanneer", "welk", "pak", "pakken", "aan", "weeg", "wegen", "mee",
     "krijg", "krijgen", "zorg", "zorgen", "zet", "zetten", "neem", "nemen", "kom", "komen",
     "doe", "doen", "ga", "gaan", "om", "kun", "mag", "moet"}
)  # fmt: skip


def _frame(words: list[tuple[str, ...]]) -> set[int]:
    """Positions of the plain words that are only the question's frame (see QUESTION_FRAME)."""
    flat = [tokens[0] if len(tokens) == 1 else "" for tokens in words]
    skipped = {
        i for i in range(1, len(flat) - 1)
        if flat[i] == "plaats" and flat[i - 1] == "in" and flat[i + 1] == "van"
    }  # fmt: skip
    if flat and flat[0] in QUESTION_STARTS:
        skipped |= {i for i, token in enumerate(flat) if token in QUESTION_FRAME}
    return skipped


@dataclass
class ParsedQuery:
    should: list[str] = field(default_factory=list)  # analysed terms; more matches rank higher
    phrases: list[list[str]] = field(default_factory=list)  # every term of a phrase must match
    exclude: list[str] = field(default_factory=list)
    text: str = ""
    words: list[str] = field(default_factory=list)  # the plain typed words' tokens, in order
    # Terms the concepts add (portal/search/concepts.py: Expansion), at a lower weight.
    related: list = field(default_factory=list)
    # Nearest indexed words for typed words the index does not hold (Expansion, portal/search/
    # typos.py), at a lower weight.
    fuzzy: list = field(default_factory=list)
    # Other forms of the typed words (analysis.word_forms), at a lower weight.
    forms: list = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)  # distinct typed words, for coverage
    # Adjacent typed words' stems and how far apart they stand in a text that has them together.
    pairs: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.should or self.phrases)

    @property
    def highlight_terms(self) -> set[str]:
        return (
            set(self.should)
            | {t for p in self.phrases for t in p}
            | {t for e in self.alternatives for t in e.terms}
        )

    @property
    def alternatives(self) -> list:
        """Concept terms, typo expansions and word forms: what may stand in for a typed word."""
        return [*self.related, *self.fuzzy, *self.forms]

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
    parts = _PART_RE.findall(text)
    plain = [i for i, (_np, _p, neg, word) in enumerate(parts) if word and not neg]
    frame = {plain[i] for i in _frame([tuple(tokens(parts[j][3])) for j in plain])}
    for position, (neg_phrase, phrase, neg_word, word) in enumerate(parts):
        if position in frame:
            continue
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
    _structure(parsed)
    return parsed


def _wholes(word: str) -> tuple[tuple[str, ...], ...]:
    """The ways a text holds the typed word whole (see Group.wholes)."""
    found = [(stem(word),)]
    parts = tuple(dict.fromkeys(stem(part) for part in split_compound(word)))
    if parts:
        found.append(parts)
    spelled = tuple(stem(t) for t in abbreviations().get(word, ()))
    if spelled:
        found.append(spelled)
    return tuple(dict.fromkeys(found))


def _structure(parsed: ParsedQuery) -> None:
    """The distinct typed words (groups) and the adjacent pairs of them, for coverage and
    proximity; stop words are skipped, as the analysis skips them in texts."""
    meaningful = [w for w in parsed.words if w not in stop_words()]
    seen: dict[str, Group] = {}
    for word in meaningful:
        terms = tuple(expand_query(word))
        if terms and stem(word) not in seen and len(seen) < MAX_GROUPS:
            seen[stem(word)] = Group(stem(word), terms, word, _wholes(word))
    parsed.groups = list(seen.values())
    # Each typed word's other forms (of every word a group stands for: "gun gunnen"), unless
    # typed themselves; they stand in for the group as a typo's nearest word does.
    forms: dict[str, Expansion] = {}
    for word in meaningful:
        if stem(word) not in seen:  # beyond MAX_GROUPS
            continue
        for form in word_forms(word):
            if form not in parsed.should and form not in forms and len(forms) < MAX_FORMS:
                forms[form] = Expansion("", (form,), FORM_WEIGHT, form, (stem(word),))
    parsed.forms = list(forms.values())
    pairs: dict[tuple[str, str], int] = {}
    for first, second in itertools.pairwise(meaningful):
        if len(pairs) >= MAX_PAIRS:
            break
        if stem(first) != stem(second):
            # In a text the analysis puts a compound's parts right after it: the next word
            # then stands that many positions further.
            pairs.setdefault((stem(first), stem(second)), 1 + len(split_compound(first)))
    for phrase in parsed.phrases:
        for first, second in itertools.pairwise(phrase):
            if len(pairs) < MAX_PAIRS and first != second:
                pairs.setdefault((first, second), 1)
    parsed.pairs = [(first, second, gap) for (first, second), gap in pairs.items()]
