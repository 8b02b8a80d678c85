"""The search page: engine hits, filtered by the same visibility rule as every list, with facets."""

from __future__ import annotations

import re

from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal import permissions
from portal.content.kinds import kinds
from portal.content.models import Item, item_product_groups, item_themes
from portal.content.queries import visible_to
from portal.extensions import db
from portal.forms import button_action
from portal.groups.models import WorkingGroup
from portal.organisations.models import Organisation, organisation_regions
from portal.regions.models import Region
from portal.search import bp
from portal.search.documents import body_text
from portal.search.query import parse
from portal.search.services import find
from portal.search.snippets import snippet
from portal.taxonomy.models import OrganisationType, ProductGroup, Theme

PER_PAGE = 20


def _kind_facets() -> dict:
    """Facets on one kind's own fields: (kind model, relationship, slug column)."""
    from portal.criteria.models import Criterion
    from portal.taxonomy.models import AmbitionLevel, AwardMethod, CriterionKind, Procedure
    from portal.tenders.models import Tender

    return {
        "procedure": (Tender, Tender.procedure, Procedure.slug),
        "gunningsmethode": (Tender, Tender.award_method, AwardMethod.slug),
        "ambitie": (Criterion, Criterion.ambition_level, AmbitionLevel.slug),
        "criteriumsoort": (Criterion, Criterion.criterion_kind, CriterionKind.slug),
    }


MARKDOWN_CHARS = re.compile(r"[#*_>`|\[\]]+")
FACETS = (
    "soort",
    "thema",
    "productgroep",
    "organisatietype",
    "regio",
    "jaar",
    "procedure",
    "gunningsmethode",
    "ambitie",
    "criteriumsoort",
)


KIND_FACETS = _kind_facets()


def _filters(query, selected: dict[str, list[str]], skip: str | None = None):
    """OR within a facet, AND across facets (a facet's own counts ignore its own selection)."""
    for name, values in selected.items():
        if not values or name == skip:
            continue
        if name == "soort":
            query = query.where(Item.kind.in_(values))
        elif name == "thema":
            query = query.where(Item.themes.any(Theme.slug.in_(values)))
        elif name == "productgroep":
            query = query.where(Item.product_groups.any(ProductGroup.slug.in_(values)))
        elif name == "organisatietype":
            query = query.where(
                Item.organisation.has(Organisation.type.has(OrganisationType.slug.in_(values)))
            )
        elif name == "regio":
            query = query.where(
                Item.organisation.has(Organisation.regions.any(Region.slug.in_(values)))
            )
        elif name == "jaar":
            years = [int(v) for v in values if v.isdigit()]
            query = query.where(Item.year.in_(years))
        elif name in KIND_FACETS:
            model, relation, column = KIND_FACETS[name]
            query = query.where(
                Item.id.in_(select(model.id).join(relation).where(column.in_(values)))
            )
    return query


def _facet_counts(
    ids: list[int], selected: dict[str, list[str]], user
) -> dict[str, list[tuple[str, str, int]]]:
    """(value, label, count) per facet over the visible matches only."""
    counts: dict[str, list[tuple[str, str, int]]] = {}

    def base(skip: str):
        return _filters(
            select(Item.id).where(Item.id.in_(ids), *visible_to(user)), selected, skip
        ).subquery()

    kind_labels = {key: str(spec.plural) for key, spec in kinds().items()}
    sub = base("soort")
    rows = db.session.execute(
        select(Item.kind, func.count()).where(Item.id.in_(select(sub.c.id))).group_by(Item.kind)
    ).all()
    counts["soort"] = [(kind, kind_labels.get(kind, kind), n) for kind, n in rows]
    for name, table, model, column in (
        ("thema", item_themes, Theme, item_themes.c.theme_id),
        ("productgroep", item_product_groups, ProductGroup, item_product_groups.c.product_group_id),
    ):
        sub = base(name)
        rows = db.session.execute(
            select(model.slug, model.name, func.count()).join(table, column == model.id)
            .where(table.c.item_id.in_(select(sub.c.id))).group_by(model.slug, model.name)
        ).all()  # fmt: skip
        counts[name] = [(slug, label, n) for slug, label, n in rows]
    sub = base("organisatietype")
    rows = db.session.execute(
        select(OrganisationType.slug, OrganisationType.name, func.count()).select_from(Item)
        .join(Organisation, Item.organisation_id == Organisation.id).join(OrganisationType)
        .where(Item.id.in_(select(sub.c.id))).group_by(OrganisationType.slug, OrganisationType.name)
    ).all()  # fmt: skip
    counts["organisatietype"] = [tuple(r) for r in rows]
    sub = base("regio")
    rows = db.session.execute(
        select(Region.slug, Region.name, func.count()).select_from(Item)
        .join(organisation_regions, organisation_regions.c.organisation_id == Item.organisation_id)
        .join(Region, Region.id == organisation_regions.c.region_id)
        .where(Item.id.in_(select(sub.c.id))).group_by(Region.slug, Region.name)
    ).all()  # fmt: skip
    counts["regio"] = [tuple(r) for r in rows]
    sub = base("jaar")
    rows = db.session.execute(
        select(Item.year, func.count())
        .where(Item.id.in_(select(sub.c.id)), Item.year.is_not(None))
        .group_by(Item.year)
    ).all()
    counts["jaar"] = [(str(y), str(y), n) for y, n in sorted(rows, reverse=True)]
    for name, (model, relation, _column) in KIND_FACETS.items():
        sub = base(name)
        term = relation.property.mapper.class_
        rows = db.session.execute(
            select(term.slug, term.name, func.count()).select_from(model).join(relation)
            .where(model.id.in_(select(sub.c.id))).group_by(term.slug, term.name)
        ).all()  # fmt: skip
        counts[name] = [tuple(r) for r in rows]
    for name in counts:
        if name != "jaar":
            counts[name].sort(key=lambda row: (-row[2], row[1]))
    return counts


def _snippets(item: Item, terms: set[str]) -> list[tuple[str, object]]:
    found = []
    for label, text in ((None, item.summary), (None, MARKDOWN_CHARS.sub(" ", body_text(item)))):
        piece = snippet(text, terms)
        if piece:
            found.append((label, piece))
            break
    for attachment in item.attachments:
        piece = snippet(attachment.text, terms)
        if piece:
            found.append((attachment.original_name, piece))
            break
    return found


def toggle_url(name: str, value: str) -> str:
    """This search's URL with one facet value switched on or off (and back to page 1)."""
    args = request.args.to_dict(flat=False)
    args.pop("pagina", None)
    values = args.get(name, [])
    args[name] = [v for v in values if v != value] if value in values else [*values, value]
    return url_for("search.index", **args)


def page_url(number: int) -> str:
    args = request.args.to_dict(flat=False)
    args["pagina"] = [str(number)]
    return url_for("search.index", **args)


class BadSearchError(ValueError):
    """Input that cannot be answered at all (the API says 400, the page says 404)."""


def run_search(args, user=None, *, with_facets: bool = True) -> dict:
    """The whole search for these URL arguments and this user (default: the visitor)."""
    user = current_user if user is None else user
    raw = args.get("q", "")
    query = parse(raw)
    selected = {name: args.getlist(name)[:20] for name in FACETS}
    page_raw = args.get("pagina", "1")
    if not page_raw.isdigit() or not 1 <= int(page_raw) <= 10_000:
        raise BadSearchError(_("Het paginanummer moet een getal van 1 tot 10.000 zijn."))
    page_number = int(page_raw)
    sort = args.get("sorteer", "relevantie")
    if sort not in ("relevantie", "datum"):
        raise BadSearchError(_("Sorteer op relevantie of datum."))
    hits = find(query)
    results, total, counts = [], 0, {}
    if hits.scores:
        ids = list(hits.scores)
        visible = _filters(select(Item).where(Item.id.in_(ids), *visible_to(user)), selected)
        items = db.session.scalars(visible).all()
        if sort == "datum":
            items.sort(key=lambda i: (i.published_at is not None, i.published_at), reverse=True)
        else:
            items.sort(key=lambda i: hits.scores[i.id], reverse=True)
        total = len(items)
        start = (page_number - 1) * PER_PAGE
        terms = query.highlight_terms
        results = [
            (item, hits.scores[item.id], _snippets(item, terms))
            for item in items[start : start + PER_PAGE]
        ]
        counts = _facet_counts(ids, selected, user) if with_facets else {}
    return {
        "query": query, "selected": selected, "page": page_number, "sort": sort, "results": results,
        "total": total, "counts": counts, "unavailable": hits.unavailable,
        "pages": max(1, (total + PER_PAGE - 1) // PER_PAGE),
        "suggestion": spelling_hint(query.text) if query.text and total < 3 else None,
    }  # fmt: skip


def _directory(text: str) -> list[tuple[str, str]]:
    needle = text.lower()[:100]
    found = []
    if len(needle) >= 3:
        for model, endpoint in ((Organisation, "organisations.show"), (Theme, "taxonomy.theme"),
                                (ProductGroup, "taxonomy.product_group"), (WorkingGroup, "groups.show")):  # fmt: skip
            for row in db.session.scalars(
                select(model).where(func.lower(model.name).contains(needle)).limit(5)
            ):
                found.append((row.name, url_for(endpoint, slug=row.slug)))
    return found


def _facet_labels() -> dict[str, str]:
    return {
        "soort": _("Soort"), "thema": _("Thema"), "productgroep": _("Productgroep"),
        "organisatietype": _("Soort organisatie"), "regio": _("Regio"), "jaar": _("Jaar"),
        "procedure": _("Procedure"), "gunningsmethode": _("Gunningsmethode"),
        "ambitie": _("Ambitieniveau"), "criteriumsoort": _("Soort criterium"),
    }  # fmt: skip


@bp.route("/zoeken")
def index():
    try:
        found = run_search(request.args)
    except BadSearchError:
        abort(404)
    query = found["query"]
    return render_template(
        "search/index.html", q=query.text, results=found["results"], total=found["total"],
        counts=found["counts"], selected=found["selected"], page=found["page"], pages=found["pages"],
        sort=found["sort"], unavailable=found["unavailable"], suggestion=found["suggestion"],
        directory=_directory(query.text) if found["page"] == 1 else [],
        empty_query=query.is_empty and bool(request.args.get("q", "").strip()),
        toggle_url=toggle_url, page_url=page_url,
        facet_labels=_facet_labels(),
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
    )  # fmt: skip


@bp.route("/zoeken/suggesties")
def suggestions():
    """Type-ahead: titles the visitor may see, organisations, themes and product groups."""
    text = request.args.get("q", "").strip()[:100]
    if len(text) < 2:
        return jsonify(suggestions=[])
    needle = f"%{text.lower()}%"
    found: list[dict] = []
    for model, endpoint, kind in (
        (Theme, "taxonomy.theme", _("Thema")), (ProductGroup, "taxonomy.product_group", _("Productgroep")),
        (Organisation, "organisations.show", _("Organisatie")),
    ):  # fmt: skip
        for row in db.session.scalars(
            select(model).where(func.lower(model.name).like(needle)).order_by(model.name).limit(4)
        ):
            found.append(
                {"label": row.name, "kind": str(kind), "url": url_for(endpoint, slug=row.slug)}
            )
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
    body = render_template(
        "search/feed.xml", q=found["query"].text, results=found["results"],
        self_url=request.url, page_url=url_for("search.index", **request.args.to_dict(flat=False), _external=True),
    )  # fmt: skip
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.route("/zoeken/bewaren", methods=["POST"])
@login_required
def save():
    """Keep the current search (its query string comes from the form) with e-mail alerts."""
    from portal.search.saved import save_search

    query_string = request.form.get("zoekopdracht", "")
    target = url_for("search.index") + "?" + query_string[:2000]
    return button_action(
        permissions.is_verified_member(current_user),
        lambda: save_search(query_string, request.form.get("naam", ""), actor=current_user),
        _("De zoekopdracht is bewaard. U krijgt bericht bij nieuwe resultaten."),
        target,
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
