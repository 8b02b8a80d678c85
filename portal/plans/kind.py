"""The action plan kind, as the shared item machinery sees it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.content.kinds import KindSpec
from portal.plans.forms import PlanForm
from portal.plans.models import Plan
from portal.plans.queries import detail_context
from portal.plans.services import apply_fields
from portal.taxonomy.models import JobRole, Theme

SPEC = KindSpec(
    key="plan",
    url="actieplannen",
    model=Plan,
    label=_l("Actieplan"),
    plural=_l("Actieplannen"),
    intro=_l(
        "MVI-actieplannen van collega's: ambities per thema, SMART-doelen met hun voortgang uit "
        "de monitor, acties met een eigenaar, en de aanbestedingen die ze uitvoeren. Neem een "
        "plan over als begin van uw eigen plan."
    ),
    badge=_l("Actieplan"),
    apply_fields=apply_fields,
    form=PlanForm,
    detail_context=detail_context,
    detail_template="plans/_details.html",
    actions_template="plans/_actions.html",
    text_fields=("ambitions_text", "goals_text", "actions_text"),
    # A plan is carried out by tenders, criteria and lessons.
    links={"tender": "carried_out_by", "criterion": "carried_out_by", "lesson": "carried_out_by"},
    field_terms={"theme": Theme, "owner_role": JobRole},
)
