"""The search page: engine hits, filtered by the same visibility rule as every list, with facets."""

from __future__ import annotations

import re

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.content.kinds import kinds
from portal.content.models import Item, item_product_groups, item_themes
from portal.content.queries import visible_to
from portal.extensions import db
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
MARKDOWN_CHARS = re.compile(r"[#*_>`|\[\]]+")
FACETS = ("soort", "thema", "productgroep", "organisatietype", "regio", "jaar")


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
    return query


def _facet_counts(
    ids: list[int], selected: dict[str, list[str]]
) -> dict[str, list[tuple[str, str, int]]]:
    """(value, label, count) per facet over the visible matches only."""
    counts: dict[str, list[tuple[str, str, int]]] = {}

    def base(skip: str):
        return _filters(
            select(Item.id).where(Item.id.in_(ids), *visible_to(current_user)), selected, skip
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


@bp.route("/zoeken")
def index():
    raw = request.args.get("q", "")
    query = parse(raw)
    selected = {name: request.args.getlist(name)[:20] for name in FACETS}
    page_raw = request.args.get("pagina", "1")
    if not page_raw.isdigit() or not 1 <= int(page_raw) <= 10_000:
        abort(404)
    page_number = int(page_raw)
    sort = request.args.get("sorteer", "relevantie")
    hits = find(query)
    results, total, counts = [], 0, {}
    if hits.scores:
        ids = list(hits.scores)
        visible = _filters(
            select(Item).where(Item.id.in_(ids), *visible_to(current_user)), selected
        )
        items = db.session.scalars(visible).all()
        if sort == "datum":
            items.sort(key=lambda i: (i.published_at is not None, i.published_at), reverse=True)
        else:
            items.sort(key=lambda i: hits.scores[i.id], reverse=True)
        total = len(items)
        start = (page_number - 1) * PER_PAGE
        terms = query.highlight_terms
        results = [(item, _snippets(item, terms)) for item in items[start : start + PER_PAGE]]
        counts = _facet_counts(ids, selected)
    needle = query.text.lower()[:100]
    directory = []
    if needle and len(needle) >= 3 and page_number == 1:
        for model, endpoint in ((Organisation, "organisations.show"), (Theme, "taxonomy.theme"),
                                (ProductGroup, "taxonomy.product_group"), (WorkingGroup, "groups.show")):  # fmt: skip
            for row in db.session.scalars(
                select(model).where(func.lower(model.name).contains(needle)).limit(5)
            ):
                directory.append((row.name, url_for(endpoint, slug=row.slug)))
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "search/index.html", q=query.text, results=results, total=total, counts=counts, selected=selected,
        page=page_number, pages=pages, sort=sort, unavailable=hits.unavailable, directory=directory,
        empty_query=query.is_empty and bool(raw.strip()), toggle_url=toggle_url, page_url=page_url,
        facet_labels={"soort": _("Soort"), "thema": _("Thema"), "productgroep": _("Productgroep"),
                      "organisatietype": _("Soort organisatie"), "regio": _("Regio"), "jaar": _("Jaar")},
    )  # fmt: skip
