"""The tender kind: how the shared item machinery lists, shows, indexes and facets tenders."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.content.forms import active_terms
from portal.content.kinds import KindSpec, ListFilter
from portal.exports import DATE, INT, Column
from portal.extensions import db, id_among
from portal.taxonomy.models import AmbitionLevel, AwardMethod, Procedure, Theme
from portal.tenders.forms import TenderForm
from portal.tenders.models import Tender
from portal.tenders.services import apply_fields

STATUS_CHOICES = [
    ("in-voorbereiding", _l("In voorbereiding")),
    ("gepubliceerd", _l("Gepubliceerd")),
    ("gegund", _l("Gegund")),
    ("afgerond", _l("Afgerond")),
]


def linked_data(tender: Tender) -> dict:
    """The page is an article about an earlier tender: schema.org Demand (what a buyer sought)
    with its reference, CPV codes, value range and publication date."""
    demand: dict = {"@type": "Demand", "name": tender.title}
    if tender.tender_reference:
        demand["identifier"] = tender.tender_reference
    if tender.cpv_list:
        demand["category"] = [f"CPV {code}" for code in tender.cpv_list]
    if tender.value_min is not None or tender.value_max is not None:
        price: dict = {"@type": "PriceSpecification", "priceCurrency": "EUR"}
        if tender.value_min is not None:
            price["minPrice"] = tender.value_min
        if tender.value_max is not None:
            price["maxPrice"] = tender.value_max
        demand["priceSpecification"] = price
    if tender.publication_date:
        demand["availabilityStarts"] = tender.publication_date.isoformat()
    if tender.tender_url:
        demand["url"] = tender.tender_url
    return {"about": demand}


def facet_values(ids: list[int]) -> dict[int, dict[str, frozenset[str]]]:
    found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in db.session.execute(
        select(Tender.id, Procedure.slug.label("procedure"), AwardMethod.slug.label("award"),
               Tender.instruments, Tender.ambition_levels)
        .outerjoin(Procedure, Procedure.id == Tender.procedure_id)
        .outerjoin(AwardMethod, AwardMethod.id == Tender.award_method_id)
        .where(id_among(Tender.id, ids))
    ):  # fmt: skip
        values = found[row.id]
        if row.procedure:
            values["procedure"].add(row.procedure)
        if row.award:
            values["gunningsmethode"].add(row.award)
        values["instrument"].update(row.instruments.split())
        values["ambitie"].update(row.ambition_levels.split())
    return {i: {name: frozenset(v) for name, v in vs.items() if v} for i, vs in found.items()}


def export_columns() -> tuple[Column, ...]:
    """A tender list's own columns in its download (after the shared ones)."""
    statuses = dict(STATUS_CHOICES)
    theme_names = {theme.slug: theme.label for theme in db.session.scalars(select(Theme))}

    def mvi_themes(tender: Tender) -> list[str]:
        slugs = dict.fromkeys(row.get("theme") for row in tender.mvi if row.get("theme"))
        return [theme_names.get(slug, slug) for slug in slugs]

    return (
        Column(_l("Status"), lambda t: statuses.get(t.tender_status, t.tender_status)),
        Column(_l("Procedure"), lambda t: t.procedure.label if t.procedure else ""),
        Column(_l("Gunningsmethode"), lambda t: t.award_method.label if t.award_method else ""),
        Column(_l("Waarde vanaf (EUR)"), lambda t: t.value_min, INT),
        Column(_l("Waarde tot en met (EUR)"), lambda t: t.value_max, INT),
        Column(_l("MVI-thema's"), mvi_themes),
        Column(_l("Aantal inschrijvingen"), lambda t: t.number_of_bids, INT),
        Column(_l("Publicatiedatum"), lambda t: t.publication_date, DATE),
        Column(_l("Gunningsdatum"), lambda t: t.award_date, DATE),
        Column(_l("MKI-winst winnaar (EUR)"), lambda t: (t.mki_gain or {}).get("eur"), INT),
    )


SPEC = KindSpec(
    key="tender",
    url="aanbestedingen",
    model=Tender,
    label=_l("Voorbeeldaanbesteding"),
    plural=_l("Voorbeeldaanbestedingen"),
    intro=_l(
        "Concrete aanbestedingen van collega's: welke criteria, met welk gewicht, wat de markt "
        "bood en wat het opleverde."
    ),
    badge=_l("Aanbesteding"),
    apply_fields=apply_fields,
    search_boost=1.15,
    form=TenderForm,
    list_filters=(
        ListFilter(
            "status",
            _l("Status van de aanbesteding"),
            _l("Alle"),
            lambda: STATUS_CHOICES,
            lambda value: Tender.tender_status == value,
        ),
        ListFilter(
            "procedure",
            _l("Procedure"),
            _l("Alle procedures"),
            lambda: active_terms(Procedure),
            lambda value: Tender.procedure.has(Procedure.slug == value),
        ),
        ListFilter(
            "ambitie",
            _l("Ambitieniveau"),
            _l("Alle niveaus"),
            lambda: active_terms(AmbitionLevel),
            lambda value: Tender.ambition_levels.contains(value[:30]),
        ),
    ),
    detail_template="tenders/_details.html",
    list_template="tenders/_list_links.html",
    text_fields=("results_md",),
    term_fields=("procedure", "award_method"),
    facet_values=facet_values,
    linked_data=linked_data,
    export_columns=export_columns,
    field_labels={"ocid": _l("OCDS-ocid (van de import)")},
    export_options=lambda: (selectinload(Tender.procedure), selectinload(Tender.award_method)),
)
