"""The search page: engine hits, filtered by the same visibility rule as every list, with facets."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, reduce
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode

from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select

from portal import permissions
from portal.common import whole_number
from portal.content.kinds import kinds
from portal.content.models import Attachment, Item
from portal.content.queries import visible_to
from portal.extensions import db
from portal.forms import button_action
from portal.organisations.models import Organisation
from portal.search import bp
from portal.search.facets import FACET_LABELS, narrow, selection, visible_matches
from portal.search.facets import counts as facet_counts
from portal.search.models import SavedSearch
from portal.search.names import names
from portal.search.query import parse
from portal.search.saved import new_match_count
from portal.search.services import MAX_HITS, MAX_HITS_FILTERED, find
from portal.search.snippets import snippet
from portal.sections import add_section

PER_PAGE = 20
RECENT_REVIEW_DAYS = 365


MARKDOWN_CHARS = re.compile(r"[#*_>`|\[\]]+")


# The concrete examples buyers ask for first (tenders, criteria, consultations, lessons) rank a
# little above questions and events that use the same words.
KNOWLEDGE_KINDS = frozenset({"tender", "criterion", "consultation", "lesson"})


def boost(reviewed_at: date | None, answered: bool, kind: str) -> float:
    """Modest boosts: knowledge items over questions and events, items their owner confirmed
    recently (reviewed within a year), and questions with an accepted or verified answer."""
    factor = 1.15 if kind in KNOWLEDGE_KINDS else 1.0
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


class SearchLinks:
    """This search's URL with one facet value switched on or off (back to page 1), or on another
    page: the arguments are read once per page, not once per link."""

    def __init__(self, args) -> None:
        self.base = url_for("search.index")
        self.args = [(k, v) for k, v in args.items(multi=True) if k != "pagina"]
        self.current = self._url(self.args)

    def _url(self, pairs: list[tuple[str, str]]) -> str:
        return f"{self.base}?{urlencode(pairs)}" if pairs else self.base

    def _plus(self, name: str, value: str) -> str:
        joiner = "&" if self.args else "?"
        return f"{self.current}{joiner}{urlencode(((name, value),))}"

    def toggle(self, name: str, value: str) -> str:
        if (name, value) in self.args:
            return self._url([pair for pair in self.args if pair != (name, value)])
        return self._plus(name, value)

    def page(self, number: int) -> str:
        return self._plus("pagina", str(number))


class BadSearchError(ValueError):
    """Input that cannot be answered at all (the API says 400, the page says 404)."""


def run_search(args, user=None, *, with_facets: bool = True) -> dict:
    """The whole search for these URL arguments and this user (default: the visitor)."""
    user = current_user if user is None else user
    raw = args.get("q", "")
    query = parse(raw)
    selected = selection(args)
    page_number = whole_number(args.get("pagina", "1"), 1, 10_000)
    if page_number is None:
        raise BadSearchError(_("Het paginanummer moet een getal van 1 tot 10.000 zijn."))
    sort = args.get("sorteer", "relevantie")
    if sort not in ("relevantie", "datum"):
        raise BadSearchError(_("Sorteer op relevantie of datum."))
    limit = MAX_HITS_FILTERED if any(selected.values()) else MAX_HITS
    hits = find(query, limit)
    results, total, counts = [], 0, {}
    if hits.scores:
        matches = visible_matches(hits.scores, user)
        found = narrow(matches, selected)
        scores = {
            m.id: hits.scores[m.id] * boost(m.reviewed_at, m.answered, *m.values["soort"])
            for m in found
        }
        if sort == "datum":
            found.sort(
                key=lambda m: (m.published_at is not None, m.published_at, m.id), reverse=True
            )
        else:
            found.sort(key=lambda m: (scores[m.id], m.id), reverse=True)
        total = len(found)
        start = (page_number - 1) * PER_PAGE
        terms = query.highlight_terms
        results = [
            (result, scores[result.id], _snippets(result, terms))
            for result in _load(found[start : start + PER_PAGE])
        ]
        if with_facets:
            counts = facet_counts(matches, selected)
    return {
        "query": query, "selected": selected, "page": page_number, "sort": sort, "results": results,
        "total": total, "counts": counts, "unavailable": hits.unavailable,
        "capped": len(hits.scores) >= limit,
        "pages": max(1, (total + PER_PAGE - 1) // PER_PAGE),
        "suggestion": spelling_hint(query.text) if query.text and total < 3 else None,
    }  # fmt: skip


NAMED_PAGES = {"organisatie": "organisations.show", "thema": "taxonomy.theme",
               "productgroep": "taxonomy.product_group", "werkgroep": "groups.show"}  # fmt: skip


def _named(text: str, keys: tuple[str, ...], most: int) -> list[tuple[str, str, str]]:
    """(key, name, URL) of the organisations, themes, product groups or working groups whose name
    holds the text, at most `most` of each, by name."""
    needle = text.lower()[:100]
    known = names()
    found = []
    for key in keys:
        named = sorted((name, slug) for slug, name in known[key].items() if needle in name.lower())
        found += [(key, name, url_for(NAMED_PAGES[key], slug=slug)) for name, slug in named[:most]]
    return found


def _directory(text: str) -> list[tuple[str, str]]:
    """The directory block on page 1: named pages whose name holds the query."""
    if len(text) < 3:
        return []
    keys = ("organisatie", "thema", "productgroep", "werkgroep")
    return [(name, url) for _key, name, url in _named(text, keys, 5)]


@bp.route("/zoeken")
def index():
    try:
        found = run_search(request.args)
    except BadSearchError:
        abort(404)
    query = found["query"]
    links = SearchLinks(request.args)
    return render_template(
        "search/index.html", q=query.text, results=found["results"], total=found["total"],
        counts=found["counts"], selected=found["selected"], page=found["page"], pages=found["pages"],
        sort=found["sort"], unavailable=found["unavailable"], suggestion=found["suggestion"],
        capped=found["capped"],
        directory=_directory(query.text) if found["page"] == 1 else [],
        empty_query=query.is_empty and bool(request.args.get("q", "").strip()),
        toggle_url=links.toggle, page_url=links.page,
        facet_labels={name: str(label) for name, label in FACET_LABELS.items()},
    )  # fmt: skip


@bp.route("/api/search")
def api():
    """JSON: items (id, external_id, kind, title, url, snippet, score), facets and total."""
    try:
        found = run_search(request.args)
    except BadSearchError as error:
        return jsonify(error=_("Ongeldige zoekopdracht"), detail=str(error)), 400
    return jsonify(
        query=found["query"].text,
        total=found["total"],
        page=found["page"],
        pages=found["pages"],
        items=[
            {
                "id": item.id, "external_id": item.external_id, "kind": item.kind, "title": item.title,
                "url": url_for("content.show", spec=item.kind, slug=item.slug, _external=True),
                "snippet": snips[0][1].striptags() if snips else item.summary[:200], "score": round(score, 4),
            }
            for item, score, snips in found["results"]
        ],
        facets={name: [{"value": v, "label": label, "count": n} for v, label, n in rows] for name, rows in found["counts"].items()},
        suggestion=found["suggestion"],
        unavailable=found["unavailable"],
        capped=found["capped"],
    )  # fmt: skip


@bp.route("/zoeken/suggesties")
def suggestions():
    """Type-ahead: titles the visitor may see, organisations, themes and product groups."""
    text = request.args.get("q", "").strip()[:100]
    if len(text) < 2:
        return jsonify(suggestions=[])
    needle = f"%{text.lower()}%"
    labels = {
        "thema": _("Thema"),
        "productgroep": _("Productgroep"),
        "organisatie": _("Organisatie"),
    }
    found: list[dict] = [
        {"label": name, "kind": labels[key], "url": url}
        for key, name, url in _named(text, tuple(labels), 4)
    ]
    titles = select(Item).where(func.lower(Item.title).like(needle), *visible_to(current_user))
    for item in db.session.scalars(titles.order_by(Item.published_at.desc()).limit(6)):
        found.append(
            {
                "label": item.title,
                "kind": item.kind,
                "url": url_for("content.show", spec=item.kind, slug=item.slug),
            }
        )
    return jsonify(suggestions=found[:12])


def spelling_hint(text: str) -> str | None:
    """'Bedoelde u …?' from the portal's own words (public, published items and taxonomy only)."""
    from portal.search.spelling import suggest

    return suggest(text)


@bp.route("/zoeken.atom")
def feed():
    """An Atom feed of any search, newest first (public by nature: only what the reader may see)."""
    args = request.args.copy()
    args["sorteer"] = "datum"
    args.pop("pagina", None)
    try:
        found = run_search(args)
    except BadSearchError:
        abort(404)
    from portal.content.feeds import atom

    page_url = url_for("search.index", **request.args.to_dict(flat=False), _external=True)
    title = found["query"].text or _("alle kennis")
    return atom(title, [item for item, _score, _snips in found["results"]], page_url)


@bp.route("/zoeken/bewaren", methods=["POST"])
@login_required
def save():
    """Keep the current search (its query string comes from the form) with e-mail alerts."""
    from portal.errors import render_error
    from portal.search.saved import save_search

    query_string = request.form.get("zoekopdracht", "")
    # Re-encoded: raw form text in a Location header could hold a line break.
    target = url_for("search.index") + "?" + urlencode(parse_qs(query_string[:2000]), doseq=True)
    return button_action(
        permissions.is_verified_member(current_user),
        lambda: save_search(query_string, request.form.get("naam", ""), actor=current_user),
        _("De zoekopdracht is bewaard. U krijgt bericht bij nieuwe resultaten."),
        target,
        failed=lambda outcome: render_error(outcome.status, outcome.value),
    )


@bp.route("/zoekopdrachten/<int:saved_id>/verwijderen", methods=["POST"])
@login_required
def delete_saved(saved_id: int):
    from portal.search.models import SavedSearch
    from portal.search.saved import delete_saved_search

    saved = db.session.get(SavedSearch, saved_id)
    if saved is None:
        abort(404)
    return button_action(
        permissions.can_delete_saved_search(current_user, saved),
        lambda: delete_saved_search(saved, actor=current_user),
        _("De bewaarde zoekopdracht is verwijderd."),
        url_for("accounts.account"),
    )


@add_section("accounts.account", "search/_account_section.html", order=40)
def _account_saved_searches(user) -> dict:
    saved = db.session.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.name)
    ).all()
    return {"saved_searches": [(s, new_match_count(s, user)) for s in saved]}
