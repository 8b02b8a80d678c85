"""The tender kind: how the shared item machinery lists, shows, indexes and facets tenders."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.content.forms import active_terms
from portal.content.kinds import KindSpec, ListFilter
from portal.extensions import db, id_among
from portal.taxonomy.models import AmbitionLevel, AwardMethod, Procedure
from portal.tenders.forms import TenderForm
from portal.tenders.models import Tender
from portal.tenders.services import apply_fields

STATUS_CHOICES = [
    ("in-voorbereiding", _l("In voorbereiding")),
    ("gepubliceerd", _l("Gepubliceerd")),
    ("gegund", _l("Gegund")),
    ("afgerond", _l("Afgerond")),
]


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
    text_fields=("results_md",),
    term_fields=("procedure", "award_method"),
    facet_values=facet_values,
)
