"""Search as a service: engine hits, filtered by the same visibility rule as every list, narrowed
by facets, ranked, loaded and given snippets. The search page, the API, the feed, saved-search
alerts and the bench all call `search()` (or `matching()` when they need no page)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, reduce
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from portal.common import whole_number
from portal.content.kinds import kinds
from portal.content.models import Attachment, Item
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.permissions import Actor
from portal.search.concepts import expand
from portal.search.display_names import names
from portal.search.facets import FACET_LABELS, Match, narrow, selection, visible_matches
from portal.search.facets import counts as facet_counts
from portal.search.query import ParsedQuery, parse, split_score
from portal.search.services import MAX_HITS, MAX_HITS_FILTERED, Hits, find
from portal.search.snippets import snippet
from portal.search.spelling import suggest

PER_PAGE = 20
# "Minder passend": when at least this many results match most of the query's distinct words
# (more than half of them), the results that match fewer follow below a divider.
DIVIDER_MIN_STRONG = 3
RECENT_REVIEW_DAYS = 365


MARKDOWN_CHARS = re.compile(r"[#*_>`|\[\]]+")


def boost(reviewed_at: date | None, answered: bool, kind: str) -> float:
    """Modest boosts: the kinds buyers ask for first (their spec's search_boost: the concrete
    examples above questions and events), items their owner confirmed recently (reviewed within
    a year), and questions with an accepted or verified answer."""
    spec = kinds().get(kind)
    factor = spec.search_boost if spec is not None else 1.0
    if answered:
        factor *= 1.2
    if reviewed_at is not None and (date.today() - reviewed_at).days <= RECENT_REVIEW_DAYS:
        factor *= 1.15
    return factor


class OrganisationName(NamedTuple):
    name: str


@dataclass(frozen=True, slots=True)
class Result:
    """A search result as the page, the API and the feed show it: read as plain rows (loading
    ORM objects for twenty results cost more than the queries themselves)."""

    id: int
    kind: str
    slug: str
    title: str
    summary: str
    year: int | None
    external_id: str | None
    updated_at: datetime
    published_at: datetime | None
    organisation: OrganisationName
    body: str  # the body and the kind's own text fields, for the snippet
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, text)


@cache
def _result_statement(kind_keys: tuple[str, ...]):
    """The page's items with their organisation's name, their kind's own text fields and their
    attachments (a row per attachment), for the ids given as `ids` (built once: building it costs
    more than running it)."""
    statement = select(
        Item.id, Item.kind, Item.slug, Item.title, Item.summary, Item.year, Item.external_id,
        Item.updated_at, Item.published_at, Organisation.name, Attachment.original_name,
        Attachment.text, Item.body_md,
    ).join(Organisation, Organisation.id == Item.organisation_id)  # fmt: skip
    # One correlated subquery per kind table, not a join: eight joined tables cost PostgreSQL
    # several times more to plan than to run.
    for spec in (kinds()[key] for key in kind_keys):
        table = spec.model.__table__
        columns = [func.coalesce(table.c[n], "") for n in spec.text_fields if n in table.c]
        if columns:
            joined = reduce(lambda a, b: a.op("||")("\n").op("||")(b), columns)
            statement = statement.add_columns(
                select(joined).where(table.c.id == Item.id).scalar_subquery()
            )
    return (
        statement.outerjoin(Attachment, Attachment.item_id == Item.id)
        .where(Item.id.in_(bindparam("ids", expanding=True)))
        .order_by(Item.id, Attachment.id)
    )


def _load(page: list) -> list[Result]:
    """The page's results in this order (one query)."""
    ids = [m.id for m in page]
    rows: dict[int, tuple] = {}
    attachments: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in db.session.execute(_result_statement(tuple(kinds())), {"ids": ids}):
        rows.setdefault(row[0], row)
        if row[10] is not None:
            attachments[row[0]].append((row[10], row[11]))
    found = []
    for item_id in ids:
        if item_id in rows:
            row = rows[item_id]
            body = "\n".join(text for text in row[12:] if text and text.strip())
            found.append(
                Result(*row[:9], OrganisationName(row[9]), body, tuple(attachments[item_id]))
            )
    return found


def _snippets(result: Result, terms: set[str]) -> list[tuple[str | None, object]]:
    """Why it matched: the summary, or else the body, and the first attachment that matches."""
    found: list[tuple[str | None, object]] = []
    for text in (result.summary, MARKDOWN_CHARS.sub(" ", result.body)):
        piece = snippet(text, terms)
        if piece:
            found.append((None, piece))
            break
    for name, text in result.attachments:
        piece = snippet(text, terms)
        if piece:
            found.append((name, piece))
            break
    return found


class BadSearchError(ValueError):
    """Input that cannot be answered at all (the API says 400, the page says 404)."""


class Hit(NamedTuple):
    result: Result
    score: float
    snippets: list[tuple[str | None, object]]  # (attachment name or None, highlighted text)


@dataclass(frozen=True)
class SearchResult:
    """One page of a search, as the page, the API, the feed and the bench show it."""

    query: ParsedQuery
    selected: dict[str, list[str]]  # facet -> chosen values
    page: int
    pages: int
    sort: str  # "relevantie" or "datum"
    hits: list[Hit]
    total: int  # visible matches after the facets
    counts: dict[str, list[tuple[str, str, int]]]  # facet -> (value, label, count)
    unavailable: bool  # the engine could not answer (the index is being rebuilt)
    capped: bool  # the engine's hit limit was reached
    suggestion: str | None  # "Bedoelde u …?"
    # Position in the whole ranked list where the "minder passend" results start, or None.
    divider: int | None = None

    @property
    def divider_on_page(self) -> int | None:
        """Index in this page's hits before which the "minder passend" heading goes, or None."""
        if self.divider is None:
            return None
        start = (self.page - 1) * PER_PAGE
        if start <= self.divider < start + len(self.hits):
            return self.divider - start
        return 0 if self.divider < start and self.hits else None

    @property
    def is_browsing(self) -> bool:
        """No words, a facet chosen: every visible item with it, newest first."""
        return self.query.is_empty and any(self.selected.values())

    @property
    def is_overview(self) -> bool:
        """No words and no facet: nothing is listed, the facets show what can be browsed."""
        return self.query.is_empty and not any(self.selected.values())


def matching(args, user: Actor) -> tuple[ParsedQuery, list[Match], list[Match], Hits, int]:
    """Parse, ask the engine, keep what user may see, narrow by the chosen facets: the query, the
    visible matches, those passing the facets, the engine's hits and its limit.

    Without words the engine is not asked: with a facet chosen every visible item is a match
    (browsing a theme, kind, organisation ...), without one nothing is (only the overview)."""
    query = expand(parse(args.get("q", "")))
    selected = selection(args)
    filtered = any(selected.values())
    limit = MAX_HITS_FILTERED if filtered else MAX_HITS
    if query.is_empty:
        if not filtered:
            return query, [], [], Hits({}), limit
        matches = visible_matches(None, user)
        return query, matches, narrow(matches, selected), Hits({m.id: 0.0 for m in matches}), 0
    hits = find(query, limit)
    if not hits.scores:
        return query, [], [], hits, limit
    matches = visible_matches(hits.scores, user)
    return query, matches, narrow(matches, selected), hits, limit


def _checked(args) -> tuple[int, str]:
    """The page number and sort asked for; BadSearchError when either is not one."""
    page_number = whole_number(args.get("pagina", "1"), 1, 10_000)
    if page_number is None:
        raise BadSearchError(_("Het paginanummer moet een getal van 1 tot 10.000 zijn."))
    sort = args.get("sorteer", "relevantie")
    if sort not in ("relevantie", "datum"):
        raise BadSearchError(_("Sorteer op relevantie of datum."))
    return page_number, sort


def _ranked(
    found: list[Match], hits: Hits, query: ParsedQuery, sort: str
) -> tuple[dict[int, float], dict[int, float]]:
    """Sort found in the page's order (in place); each one's boosted relevance and coverage.
    Coverage decides first (a text with more of the typed words ranks above one with fewer,
    however often it has them), then the coverage of its title, summary and taxonomy terms; the
    boosts only order texts equal in both."""
    scores, coverage, head = {}, {}, {}
    for m in found:
        coverage[m.id], head[m.id], relevance = split_score(hits.scores[m.id])
        scores[m.id] = relevance * boost(m.reviewed_at, m.answered, *m.values["soort"])
    if sort == "datum" or query.is_empty:  # browsing has no relevance: newest first
        found.sort(key=lambda m: (m.published_at is not None, m.published_at, m.id), reverse=True)
    else:
        found.sort(key=lambda m: (coverage[m.id], head[m.id], scores[m.id], m.id), reverse=True)
    return scores, coverage


def divider_at(found: list[Match], coverage: dict[int, float], query: ParsedQuery, sort: str):
    """Where the "minder passend" results start in found (ranked), or None: only when at least
    DIVIDER_MIN_STRONG results match more than half of two or more typed words, and some do not.
    The weaker results are still listed, so a search is never empty because of it."""
    words = len(query.groups)
    if sort != "relevantie" or words < 2 or query.phrases:
        return None
    strong = sum(1 for m in found if coverage.get(m.id, 0.0) > words / 2)
    if strong < DIVIDER_MIN_STRONG or strong == len(found):
        return None
    return strong


def search(args, user: Actor, *, with_facets: bool = True) -> SearchResult:
    """The whole search for these URL arguments and this reader; BadSearchError for arguments
    that cannot be answered at all."""
    selected = selection(args)
    page_number, sort = _checked(args)
    query, matches, found, hits, limit = matching(args, user)
    if query.is_empty and not any(selected.values()):
        # The overview: what every visible item offers to browse, without listing any.
        matches = visible_matches(None, user) if with_facets else []
    scores, coverage = _ranked(found, hits, query, sort)
    total = len(found)
    divider = divider_at(found, coverage, query, sort)
    start = (page_number - 1) * PER_PAGE
    terms = query.highlight_terms
    page = [
        Hit(result, scores[result.id], _snippets(result, terms))
        for result in _load(found[start : start + PER_PAGE])
    ]
    return SearchResult(
        query=query, selected=selected, page=page_number,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE), sort=sort, hits=page, total=total,
        counts=facet_counts(matches, selected) if with_facets and (hits.scores or matches) else {},
        unavailable=hits.unavailable, capped=bool(limit) and len(hits.scores) >= limit,
        suggestion=spelling_hint(query.text) if query.text and total < 3 else None,
        divider=divider,
    )  # fmt: skip


@dataclass(frozen=True)
class WholeResult:
    """Every result of a search in the page's order, as (item id, score): for downloads."""

    query: ParsedQuery
    selected: dict[str, list[str]]
    sort: str
    ranked: list[tuple[int, float]]
    total: int  # visible matches after the facets (more than ranked when cut at `most`)
    unavailable: bool
    capped: bool  # the engine's hit limit was reached

    @property
    def is_overview(self) -> bool:
        return self.query.is_empty and not any(self.selected.values())


def check_facets(selected: dict[str, list[str]]) -> None:
    """BadSearchError naming the first chosen facet value that does not exist (the page simply
    finds nothing for it; a download must not be an empty file that looks like an answer)."""
    known = names()
    for facet, values in selected.items():
        for value in values:
            if facet == "soort":
                exists = value in kinds()
            elif facet == "jaar":
                exists = whole_number(value, 1, 9999) is not None
            else:
                exists = value in known.get(facet, {})
            if not exists:
                raise BadSearchError(
                    _("Onbekende waarde voor %(filter)s: ‘%(value)s’.",
                      filter=FACET_LABELS[facet], value=value)
                )  # fmt: skip


def search_all(args, user: Actor, *, most: int) -> WholeResult:
    """Every result (at most `most`) of the search these URL arguments describe, for this
    reader, in the page's order; BadSearchError also for unknown facet values. The page number
    is checked like the page's, but a download holds every page."""
    selected = selection(args)
    _page, sort = _checked(args)
    check_facets(selected)
    query, _matches, found, hits, limit = matching(args, user)
    scores, _coverage = _ranked(found, hits, query, sort)
    return WholeResult(
        query=query, selected=selected, sort=sort,
        ranked=[(m.id, scores[m.id]) for m in found[:most]], total=len(found),
        unavailable=hits.unavailable, capped=bool(limit) and len(hits.scores) >= limit,
    )  # fmt: skip


def spelling_hint(text: str) -> str | None:
    """'Bedoelde u …?' from the portal's own words (public, published items and taxonomy only)."""
    return suggest(text)
