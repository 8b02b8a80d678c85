"""The search page: engine hits, filtered by the same visibility rule as every list, with facets."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.content.feeds import atom
from portal.content.models import Item
from portal.content.queries import visible_to
from portal.errors import render_error
from portal.exports import dated_name, export_response
from portal.extensions import db
from portal.forms import button_action, handle_form
from portal.pagecache import cache_pages, not_this_page, on_hit
from portal.search import insights as search_insights
from portal.search.concepts import (
    MAX_EXPANSION,
    MAX_TERMS,
    ROLE_WEIGHTS,
    concepts_of_words,
    expand,
    uncovered_words,
)
from portal.search.display_names import names
from portal.search.downloads import result_table
from portal.search.facets import FACET_LABELS
from portal.search.forms import ConceptForm
from portal.search.models import Concept, SavedSearch
from portal.search.query import parse
from portal.search.saved import delete_saved_search, new_match_count, save_search
from portal.search.searching import PER_PAGE, BadSearchError, search
from portal.search.services import create_concept, delete_concept, update_concept
from portal.sections import add_section

bp = Blueprint("search", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py


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
        found = search(request.args, current_user)
    except BadSearchError:
        abort(404)
    if found.unavailable:
        not_this_page()  # the index is being rebuilt: send the results again once it is back
    query = found.query
    if query.text and found.page == 1 and permissions.can_count_search(current_user):
        search_insights.count_search(query.text, found.total)
        on_hit(search_insights.count_search, query.text, found.total)
    links = SearchLinks(request.args)
    return render_template(
        "search/index.html", q=query.text, results=found.hits, total=found.total,
        counts=found.counts, selected=found.selected, page=found.page, pages=found.pages,
        sort=found.sort, unavailable=found.unavailable, suggestion=found.suggestion,
        capped=found.capped, concepts=query.concepts, divider=found.divider_on_page,
        first_number=(found.page - 1) * PER_PAGE + 1,
        directory=_directory(query.text) if found.page == 1 else [],
        empty_query=query.is_empty and bool(request.args.get("q", "").strip()),
        browsing=found.is_browsing, overview=found.is_overview,
        toggle_url=links.toggle, page_url=links.page,
        facet_labels={name: str(label) for name, label in FACET_LABELS.items()},
    )  # fmt: skip


@bp.route("/zoeken/open/<int:item_id>")
def open_result(item_id: int):
    """A result's link: count that a result of this query was opened, then go to the item (a
    redirect, so it needs no JavaScript; the query text is all that is kept)."""
    item = db.get_or_404(Item, item_id)
    if not permissions.can_view_item(current_user, item):
        abort(404)
    query = request.args.get("q", "")
    if query and permissions.can_count_search(current_user):
        search_insights.count_opened(query)
    return redirect(url_for("content.show", spec=item.kind, slug=item.slug))


@bp.route("/zoeken.<any(csv, xlsx):file_format>")
def export(file_format: str):
    """Every result of this search the reader may see (not one page) as CSV or XLSX."""
    try:
        whole, rows, columns = result_table(request.args, current_user)
    except BadSearchError as error:
        return render_error(400, str(error))
    if whole.unavailable:
        return render_error(503, _("De zoekindex wordt opnieuw opgebouwd. Probeer het over een paar minuten opnieuw."))  # fmt: skip
    if whole.is_overview:
        return render_error(400, _("Typ een zoekvraag of kies een filter; daarna kunt u de resultaten downloaden."))  # fmt: skip
    return export_response(
        file_format, rows, columns, dated_name("zoekresultaten"), title=_("Zoekresultaten")
    )


@bp.route("/api/search")
def api():
    """JSON: items (id, external_id, kind, title, url, snippet, score), facets and total."""
    try:
        found = search(request.args, current_user)
    except BadSearchError as error:
        return jsonify(error=_("Ongeldige zoekopdracht"), detail=str(error)), 400
    if found.unavailable:
        not_this_page()
    return jsonify(
        query=found.query.text,
        total=found.total,
        page=found.page,
        pages=found.pages,
        items=[
            {
                "id": item.id, "external_id": item.external_id, "kind": item.kind, "title": item.title,
                "url": url_for("content.show", spec=item.kind, slug=item.slug, _external=True),
                "snippet": snips[0][1].striptags() if snips else item.summary[:200], "score": round(score, 4),
            }
            for item, score, snips in found.hits
        ],
        facets={name: [{"value": v, "label": label, "count": n} for v, label, n in rows] for name, rows in found.counts.items()},
        suggestion=found.suggestion,
        message=_("Typ een zoekvraag, of kies een filter (soort, thema, productgroep, organisatie …) om alle kennis daarover te bekijken.") if found.is_overview else None,
        unavailable=found.unavailable,
        capped=found.capped,
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


@bp.route("/zoeken.atom")
def feed():
    """An Atom feed of any search, newest first (public by nature: only what the reader may see)."""
    args = request.args.copy()
    args["sorteer"] = "datum"
    args.pop("pagina", None)
    try:
        found = search(args, current_user)
    except BadSearchError:
        abort(404)
    if found.unavailable:
        not_this_page()
    page_url = url_for("search.index", **request.args.to_dict(flat=False), _external=True)
    title = found.query.text or _("alle kennis")
    return atom(title, [hit.result for hit in found.hits], page_url)


@bp.route("/zoeken/bewaren", methods=["POST"])
@login_required
def save():
    """Keep the current search (its query string comes from the form) with e-mail alerts."""
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


# --- Administrators: concepts and search insights -------------------------------------------


def _concept_or_404(concept_id: int) -> Concept:
    concept = db.get_or_404(Concept, concept_id)
    if not permissions.can_edit_concepts(current_user):
        abort(403)
    return concept


@bp.route("/beheer/begrippen")
@login_required
def concepts():
    if not permissions.can_edit_concepts(current_user):
        abort(403)
    rows = db.session.scalars(
        select(Concept).options(selectinload(Concept.terms)).order_by(Concept.name)
    ).all()
    trial = request.args.get("probeer", "").strip()[:200]
    tried = expand(parse(trial)) if trial else None
    return render_template(
        "search/concepts.html", concepts=rows, trial=trial, tried=tried,
        max_expansion=MAX_EXPANSION,
    )  # fmt: skip


@bp.route("/beheer/begrippen/nieuw", methods=["GET", "POST"])
@login_required
def create_concept_page():
    if not permissions.can_edit_concepts(current_user):
        abort(403)
    form = ConceptForm()
    proposed = request.args.get("q", "").strip()[:200]
    known: list[str] = []
    if proposed and request.method == "GET":
        # From the search insights: the query's words that no concept holds yet.
        known = concepts_of_words(proposed)
        form.name.data = " ".join(uncovered_words(proposed)) or None
    outcome = handle_form(form, lambda: create_concept(form.values(), actor=current_user))
    if outcome.done:
        flash(_("Het begrip ‘%(name)s’ is opgeslagen; het geldt meteen bij het zoeken.",
                name=outcome.value.name), "success")  # fmt: skip
        return redirect(url_for("search.concepts"))
    return render_template(
        "search/concept_edit.html", form=form, concept=None, proposed=proposed, known=known,
        max_terms=MAX_TERMS, weights=ROLE_WEIGHTS,
    ), outcome.status  # fmt: skip


@bp.route("/beheer/begrippen/<int:concept_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit_concept(concept_id: int):
    concept = _concept_or_404(concept_id)
    form = ConceptForm()
    if request.method == "GET":
        form.fill(concept)
    outcome = handle_form(form, lambda: update_concept(concept, form.values(), actor=current_user))
    if outcome.done:
        flash(_("Het begrip ‘%(name)s’ is opgeslagen; het geldt meteen bij het zoeken.",
                name=concept.name), "success")  # fmt: skip
        return redirect(url_for("search.concepts"))
    return render_template(
        "search/concept_edit.html", form=form, concept=concept, proposed="", known=[],
        max_terms=MAX_TERMS, weights=ROLE_WEIGHTS,
    ), outcome.status  # fmt: skip


@bp.route("/beheer/begrippen/<int:concept_id>/verwijderen", methods=["POST"])
@login_required
def delete_concept_page(concept_id: int):
    concept = db.get_or_404(Concept, concept_id)
    name = concept.name
    return button_action(
        permissions.can_edit_concepts(current_user),
        lambda: delete_concept(concept, actor=current_user),
        _("Het begrip ‘%(name)s’ is verwijderd.", name=name),
        url_for("search.concepts"),
    )


@bp.route("/beheer/zoekinzicht")
@login_required
def insights():
    if not permissions.can_view_search_insights(current_user):
        abort(403)
    not_this_page()  # the counts change without moving the page generation
    period = request.args.get("periode", "90")
    if period not in search_insights.PERIODS:
        period = "90"
    return render_template(
        "search/insights.html", found=search_insights.insights(period),
        periods=search_insights.PERIODS, raw_days=search_insights.RAW_EVENT_DAYS,
    )  # fmt: skip
