"""The criterion kind: how the shared item machinery lists, shows, indexes and facets criteria."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.content.forms import active_terms
from portal.content.kinds import KindSpec, ListFilter
from portal.criteria.basket import basket_ids
from portal.criteria.forms import CriterionForm
from portal.criteria.models import Criterion
from portal.criteria.services import apply_fields
from portal.extensions import db, id_among
from portal.taxonomy.models import AmbitionLevel, CriterionKind


def facet_values(ids: list[int]) -> dict[int, dict[str, frozenset[str]]]:
    found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in db.session.execute(
        select(Criterion.id, CriterionKind.slug.label("kind"), AmbitionLevel.slug.label("ambition"))
        .outerjoin(CriterionKind, CriterionKind.id == Criterion.criterion_kind_id)
        .outerjoin(AmbitionLevel, AmbitionLevel.id == Criterion.ambition_level_id)
        .where(id_among(Criterion.id, ids))
    ):  # fmt: skip
        if row.kind:
            found[row.id]["criteriumsoort"].add(row.kind)
        if row.ambition:
            found[row.id]["ambitie"].add(row.ambition)
    return {i: {name: frozenset(v) for name, v in vs.items()} for i, vs in found.items()}


def detail_context(item: Criterion, user) -> dict:
    return {"in_basket": item.id in basket_ids()}


SPEC = KindSpec(
    key="criterion",
    url="criteria",
    model=Criterion,
    label=_l("Criterium of eis"),
    plural=_l("Criteria en eisen"),
    intro=_l(
        "Eisen, gunningscriteria en contractbepalingen om te hergebruiken, met hun weging en "
        "bewijsmiddel."
    ),
    badge=_l("Criterium"),
    apply_fields=apply_fields,
    search_boost=1.15,
    form=CriterionForm,
    list_filters=(
        ListFilter(
            "ambitie",
            _l("Ambitieniveau"),
            _l("Alle niveaus"),
            lambda: active_terms(AmbitionLevel),
            lambda value: Criterion.ambition_level.has(AmbitionLevel.slug == value),
        ),
        ListFilter(
            "soort",
            _l("Soort"),
            _l("Alle soorten"),
            lambda: active_terms(CriterionKind),
            lambda value: Criterion.criterion_kind.has(CriterionKind.slug == value),
        ),
    ),
    detail_context=detail_context,
    detail_template="criteria/_details.html",
    actions_template="criteria/_actions.html",
    text_fields=("clause_text", "weighting", "verification"),
    term_fields=("criterion_kind", "ambition_level"),
    facet_values=facet_values,
    links={"tender": "used_in"},
)
