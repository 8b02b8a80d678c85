"""Concepts: the words buyers type for what the examples call otherwise ("vlees" for
eiwittransitie, EMVI for BPKV), kept in the database and edited by administrators.

A query word (or a run of up to MAX_TERM_WORDS words) that is a term of a concept adds the
concept's other terms to the query at a lower weight than the typed words (ROLE_WEIGHTS), one
step only: a concept is never expanded through another concept, so no loop can grow a query.
Expansion happens at query time in both engines (`ParsedQuery.related`): an edit takes effect
with the next search, without a reindex. At most MAX_EXPANSION term groups are added to a query.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from portal.common import ServiceError, one_line
from portal.extensions import db
from portal.formatting import number
from portal.search.analysis import stem, stop_words, tokens
from portal.search.models import Concept, ConceptTerm
from portal.search.query import Expansion, ParsedQuery

ROLES = ("preferred", "synonym", "abbreviation", "narrower", "related")
# A typed word keeps weight 1; a term found through a concept counts this much. A term reached
# from a narrower or related word counts no more than that word's own role allows. Measured on
# the relevance set: twice these weights lowered nDCG@10 on both engines, these raise it.
ROLE_WEIGHTS = {
    "preferred": 0.3, "synonym": 0.3, "abbreviation": 0.3, "narrower": 0.2, "related": 0.15,
}  # fmt: skip
# Terms that name the concept itself: each belongs to one concept only.
NAMING_ROLES = frozenset({"preferred", "synonym", "abbreviation"})
MAX_TERMS = 50  # per concept, the preferred term included
MAX_TERM_WORDS = 4
MAX_TERM_CHARS = 120
MAX_EXPANSION = 24  # term groups a query gains at most, strongest first
MAX_QUERY_WORDS = 32  # words of a query that are looked up


def term_stems(text: str) -> tuple[str, ...]:
    """The stems a term is matched and searched with (stop words left out, no compound parts)."""
    return tuple(stem(token) for token in tokens(text) if token not in stop_words())


def term_key(text: str) -> str:
    return " ".join(term_stems(text))


def _query_keys(words: list[str]) -> set[str]:
    """Every run of 1..MAX_TERM_WORDS stems of the typed words."""
    stems = [stem(w) for w in words if w not in stop_words()][:MAX_QUERY_WORDS]
    return {
        " ".join(stems[start : start + size])
        for size in range(1, MAX_TERM_WORDS + 1)
        for start in range(len(stems) - size + 1)
    }


def expansions(words: list[str], typed: set[str]) -> list[Expansion]:
    """What the concepts add to a query of these words (tokens), strongest first, capped; terms
    already typed (`typed`, analysed) are not added again."""
    keys = _query_keys(words)
    if not keys:
        return []
    matched = ConceptTerm.__table__.alias("matched")
    other = ConceptTerm.__table__.alias("other")
    rows = db.session.execute(
        select(matched.c.key, matched.c.role, Concept.name, other.c.key, other.c.role, other.c.text)
        .join(Concept, Concept.id == matched.c.concept_id)
        .join(other, other.c.concept_id == matched.c.concept_id)
        .where(matched.c.key.in_(sorted(keys)))
        .order_by(Concept.name, other.c.position)
    ).all()
    # concept -> (weight, words, key) of its strongest typed match (the longer one on a tie)
    strongest: dict[str, tuple[float, int, str]] = {}
    for key, role, name, *_other in rows:
        match = (ROLE_WEIGHTS[role], len(key.split()), key)
        strongest[name] = max(strongest.get(name, (0.0, 0, "")), match)
    found: dict[tuple[str, ...], Expansion] = {}
    for _key, _role, name, other_key, other_role, text in rows:
        terms = tuple(other_key.split())
        if other_key in keys or (len(terms) == 1 and terms[0] in typed):
            continue
        matched_weight, _words, source = strongest[name]
        weight = min(matched_weight, ROLE_WEIGHTS[other_role])
        if terms not in found or found[terms].weight < weight:
            found[terms] = Expansion(name, terms, weight, text, tuple(source.split()))
    ranked = sorted(found.values(), key=lambda e: (-e.weight, e.concept, e.terms))
    return ranked[:MAX_EXPANSION]


def expand(query: ParsedQuery) -> ParsedQuery:
    """The query with its concepts' terms added (in place; returned for convenience)."""
    if query.words:
        query.related = expansions(query.words, set(query.should))
    return query


# --- Checking a concept before it is saved --------------------------------------------------


def split_terms(text: str | None) -> list[str]:
    """One term per line; blank lines and repeats (in any case or accents) left out."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        term = one_line(line)
        if term:
            found.setdefault(" ".join(tokens(term)) or term, term)
    return list(found.values())


def clean_concept(values: dict, concept: Concept | None = None) -> list[tuple[str, str]]:
    """(role, text) of every term of the concept these form values describe, checked; raise
    ServiceError with a Dutch message naming the problem (and its field) otherwise."""
    name = one_line(values.get("name"))
    terms = [("preferred", name)] + [
        (role, text) for role in ROLES[1:] for text in split_terms(values.get(role))
    ]
    if len(terms) > MAX_TERMS:
        raise ServiceError(
            _("Een begrip heeft hoogstens %(most)d termen; dit heeft er %(count)s. Verdeel de "
              "termen over kleinere begrippen.", most=MAX_TERMS, count=number(len(terms))),
        )  # fmt: skip
    field_of = {"preferred": "name"}
    keys: dict[str, str] = {}
    for role, text in terms:
        field = field_of.get(role, role)
        if len(text) > MAX_TERM_CHARS:
            raise ServiceError(
                _("Een term heeft hoogstens %(most)d tekens: ‘%(term)s…’.",
                  most=MAX_TERM_CHARS, term=text[:40]), field=field,
            )  # fmt: skip
        stems = term_stems(text)
        if not stems:
            raise ServiceError(
                _("‘%(term)s’ is een stopwoord (of bestaat alleen uit stopwoorden): daarop wordt "
                  "niet gezocht. Kies een woord met betekenis.", term=text), field=field,
            )  # fmt: skip
        if len(stems) > MAX_TERM_WORDS:
            raise ServiceError(
                _("Een term heeft hoogstens %(most)d woorden: ‘%(term)s’.",
                  most=MAX_TERM_WORDS, term=text), field=field,
            )  # fmt: skip
        key = " ".join(stems)
        if key in keys:
            raise ServiceError(
                _("‘%(term)s’ staat twee keer in dit begrip (ook als ‘%(other)s’).",
                  term=text, other=keys[key]), field=field,
            )  # fmt: skip
        keys[key] = text
    _check_unique_names(terms, concept)
    _check_no_loop(name, terms, concept)
    return terms


def _others(concept: Concept | None):
    statement = select(ConceptTerm.key, ConceptTerm.role, ConceptTerm.text, Concept.name).join(
        Concept, Concept.id == ConceptTerm.concept_id
    )
    if concept is not None and concept.id is not None:
        statement = statement.where(ConceptTerm.concept_id != concept.id)
    return db.session.execute(statement).all()


def _check_unique_names(terms: list[tuple[str, str]], concept: Concept | None) -> None:
    """A preferred term, synonym or abbreviation names one concept only."""
    named = {
        key: name for key, role, _text, name in _others(concept) if role in NAMING_ROLES
    }  # fmt: skip
    for role, text in terms:
        owner = named.get(term_key(text)) if role in NAMING_ROLES else None
        if owner is not None:
            raise ServiceError(
                _("‘%(term)s’ hoort al bij het begrip ‘%(concept)s’. Een woord kan bij één "
                  "begrip de voorkeursterm, een synoniem of een afkorting zijn.",
                  term=text, concept=owner),
                field="name" if role == "preferred" else role,
            )  # fmt: skip


def _check_no_loop(name: str, terms: list[tuple[str, str]], concept: Concept | None) -> None:
    """Refuse a concept that is, through its narrower terms, narrower than itself (A → B → A)."""
    rows = _others(concept)
    concept_of = {key: owner for key, role, _text, owner in rows if role in NAMING_ROLES}
    concept_of.update({term_key(text): name for role, text in terms if role in NAMING_ROLES})
    narrower: dict[str, set[str]] = defaultdict(set)
    for key, role, _text, owner in rows:
        if role == "narrower" and key in concept_of:
            narrower[owner].add(concept_of[key])
    for role, text in terms:
        target = concept_of.get(term_key(text))
        if role == "narrower" and target is not None and target != name:
            narrower[name].add(target)
    # Depth-first from this concept: a path back to it is a loop.
    path = [name]

    def visit(current: str, seen: set[str]) -> list[str] | None:
        for nxt in sorted(narrower.get(current, ())):
            if nxt == name:
                return [*path, name]
            if nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                found = visit(nxt, seen)
                if found:
                    return found
                path.pop()
        return None

    loop = visit(name, {name})
    if loop:
        raise ServiceError(
            _("Deze begrippen verwijzen in een kring naar elkaar: %(loop)s. Een begrip kan niet "
              "smaller zijn dan zichzelf; haal één van de smallere termen weg.",
              loop=" → ".join(loop)), field="narrower",
        )  # fmt: skip


def concepts_of_words(text: str) -> list[str]:
    """The concepts (names) whose terms the words of text are, by name."""
    keys = _query_keys(tokens(text))
    if not keys:
        return []
    return list(
        db.session.scalars(
            select(Concept.name)
            .join(ConceptTerm, ConceptTerm.concept_id == Concept.id)
            .where(ConceptTerm.key.in_(sorted(keys)))
            .distinct()
            .order_by(Concept.name)
        )
    )


def uncovered_words(text: str) -> list[str]:
    """The meaningful words of text that are no concept's term (to suggest a new concept)."""
    words = [w for w in tokens(text) if w not in stop_words()]
    if not words:
        return []
    known = set(
        db.session.scalars(
            select(ConceptTerm.key).where(ConceptTerm.key.in_(sorted(_query_keys(words))))
        )
    )
    covered = {stem_ for key in known for stem_ in key.split()}
    return [w for w in words if stem(w) not in covered]
