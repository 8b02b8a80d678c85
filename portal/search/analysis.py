"""Dutch text analysis shared by every search engine: the engines index and query the terms this
module produces, so results agree between Whoosh and PostgreSQL.

Steps: lower case and accent folding, tokens, stop words, compound splitting against a vocabulary
(editable list plus taxonomy names), Dutch Snowball stemming; abbreviations and their spelled-out
forms are expanded at query time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
from whoosh.lang import stopwords_for_language
from whoosh.lang.snowball.dutch import DutchStemmer

from portal.config import PROJECT_ROOT

TOKEN_RE = re.compile(r"[a-z0-9]+")
# A plural or genitive 's after a vowel ("dienstauto's", "collega's"): the word without it.
APOSTROPHE_S = re.compile(r"(?<=[a-z])['’`]s\b")
LINKING = ("s", "e", "en")  # tussenklanken: duurzaamheid-s-ambitie, leerling-en-vervoer
MIN_PART = 3
MAX_TOKEN = 60
_stemmer = DutchStemmer()
DOUBLED = frozenset("bdfgklmnprstz")


def fold(text: str) -> str:
    """Lower case without accents: 'Coördinator' -> 'coordinator'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    return [t for t in TOKEN_RE.findall(APOSTROPHE_S.sub("", fold(text))) if len(t) <= MAX_TOKEN]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(fold(w) for w in stopwords_for_language("nl")) | {
        "hoe",
        "wat",
        "welke",
        "waar",
        "wie",
    }


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    if token.isdigit():
        return token
    stemmed = _stemmer.stem(token)
    # Snowball leaves '-ies' plurals ('ambities'); fold them onto the singular stem ('ambitie').
    if stemmed.endswith("ies") and len(stemmed) > 5:
        stemmed = stemmed[:-1]
    # Snowball undoubles only kk, dd and tt after a plural ending: 'waterschappen' would stay
    # 'waterschapp' beside 'waterschap', 'bermen' meets 'berm' but 'stoffen' missed 'stof'.
    if len(stemmed) > 3 and stemmed[-1] == stemmed[-2] and stemmed[-1] in DOUBLED:
        stemmed = stemmed[:-1]
    return stem_exceptions().get(stemmed, stemmed)


# Other forms of a word that Snowball stems apart, searched as word forms (portal.search.query):
# a verb and its noun in -ing, where Snowball keeps -ing on short words ('gunnen' - 'gunning',
# 'aanbesteden' already meets 'aanbesteding'), and -eren beside -atie ('repareren' -
# 'reparatie'). A plural noun is read as its singular first ('gunningen', 'reparaties'). A form
# no text holds is dropped by the engine; some words have two readings ('wegen': roads, or to
# weigh, whose form 'weging' is then searched too).
WORD_FORMS = (("en", "ing", 5), ("ing", "en", 6), ("eren", "atie", 7), ("atie", "eren", 7))
PLURALS = (("ingen", "ing"), ("aties", "atie"))


@lru_cache(maxsize=10_000)
def word_forms(token: str) -> tuple[str, ...]:
    """Give the stems of the folded token's other forms (WORD_FORMS) that differ from its own."""
    own = stem(token)
    for plural, singular in PLURALS:
        if token.endswith(plural):
            token = token[: -len(plural)] + singular
            break
    found = [
        stem(token[: -len(ending)] + other)
        for ending, other, least in WORD_FORMS
        if len(token) >= least and token.endswith(ending)
    ]
    return tuple(dict.fromkeys(form for form in found if form != own))


@lru_cache(maxsize=1)
def stem_exceptions() -> dict[str, str]:
    """stem -> the stem it becomes (seeds/search/stem_exceptions.txt)."""
    found = {}
    path = PROJECT_ROOT / "seeds" / "search" / "stem_exceptions.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        stemmed, sep, target = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            found[fold(stemmed.strip())] = fold(target.strip())
    return found


# An English value in the taxonomy seeds: a whole `key: value` line, or one `key: value` in a
# `{...}` mapping (quoted when it holds a comma).
ENGLISH_SEED_VALUE = re.compile(
    r'^[ \t]*(?:name_en|description_en):.*$|(?:name_en|description_en):[ \t]*(?:"[^"\n]*"|[^,}\n]*)',
    re.MULTILINE,
)


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Known word parts for compound splitting: the editable list plus the taxonomy's words."""
    words = set()
    parts_file = PROJECT_ROOT / "seeds" / "search" / "compound_parts.txt"
    for line in parts_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(fold(line))
    for name in ("themes.yaml", "product_groups.yaml", "procurement.yaml"):
        text = Path(PROJECT_ROOT / "seeds" / "taxonomy" / name).read_text(encoding="utf-8")
        # Dutch words only: English names would split Dutch compounds at English words.
        text = ENGLISH_SEED_VALUE.sub(" ", text)
        words.update(t for t in tokens(text) if len(t) >= 4)
    return frozenset(w for w in words if len(w) >= MIN_PART)


@lru_cache(maxsize=1)
def known_stems() -> frozenset[str]:
    return frozenset(stem(word) for word in vocabulary())


@lru_cache(maxsize=100_000)
def split_compound(token: str) -> tuple[str, ...]:
    """Split a compound into known parts ('levenscycluskosten' -> 'levenscyclus', 'kosten'), or ()."""
    known = vocabulary()
    if len(token) < 2 * MIN_PART + 1:
        return ()

    def known_word(word: str) -> bool:
        return word in known or stem(word) in known_stems()

    def parts(rest: str, depth: int, whole_allowed: bool) -> tuple[str, ...] | None:
        if whole_allowed and known_word(rest):
            return (rest,)
        if depth == 0:
            return None
        for cut in range(len(rest) - MIN_PART, MIN_PART - 1, -1):  # longest known head first
            head, tail = rest[:cut], rest[cut:]
            if head not in known:
                continue
            for link in ("", *LINKING):
                if link and not tail.startswith(link):
                    continue
                rest_tail = tail[len(link) :]
                found = parts(rest_tail, depth - 1, True) if len(rest_tail) >= MIN_PART else None
                if found:
                    return (head, *found)
        return None

    # The whole word may itself be listed (a taxonomy name); its parts are still wanted.
    result = parts(token, 3, False)
    return result if result and len(result) > 1 else ()


def analyze(text: str) -> list[str]:
    """Terms for indexing: every token's stem plus the stems of its compound parts."""
    terms: list[str] = []
    for token in tokens(text):
        if token in stop_words():
            continue
        terms.append(stem(token))
        terms.extend(stem(part) for part in split_compound(token))
    return terms


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """Folded token -> the tokens it stands for, both ways ('mki' <-> 'milieukostenindicator')."""
    data = yaml.safe_load(
        (PROJECT_ROOT / "seeds" / "taxonomy" / "abbreviations.yaml").read_text(encoding="utf-8")
    )
    mapping: dict[str, tuple[str, ...]] = {}
    for short, long in data.items():
        short_token = fold(str(short))
        long_tokens = tuple(t for t in tokens(str(long)) if t not in stop_words())
        mapping[short_token] = long_tokens
        if len(long_tokens) == 1:
            mapping[long_tokens[0]] = (short_token,)
    return mapping


def expand_query(text: str) -> list[str]:
    """Query terms: analysed words plus the analysed forms of abbreviations they stand for."""
    terms = analyze(text)
    for token in tokens(text):
        # The whole spelled-out word only, not its compound parts: 'MKI' must not match every
        # text about 'milieu' or 'kosten'.
        terms.extend(stem(extra) for extra in abbreviations().get(token, ()))
    return list(dict.fromkeys(terms))
