"""The market consultation kind, as the shared item machinery sees it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.consultations.forms import ConsultationForm
from portal.consultations.models import Consultation
from portal.consultations.services import apply_fields
from portal.content.kinds import KindSpec

SPEC = KindSpec(
    key="consultation",
    url="marktconsultaties",
    model=Consultation,
    label=_l("Marktconsultatie"),
    plural=_l("Marktconsultaties"),
    intro=_l("Wat overheden de markt vroegen voor een aanbesteding, en wat er daarna veranderde."),
    badge=_l("Marktconsultatie"),
    apply_fields=apply_fields,
    search_boost=1.15,
    form=ConsultationForm,
    detail_template="consultations/_details.html",
    text_fields=("purpose", "questions_md", "outcome_md", "changes_after_md", "participants_kind"),
    links={"tender": "preceded"},
)
