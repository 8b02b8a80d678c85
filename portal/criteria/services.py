"""Criterion fields: the clause text to reuse, its kind, ambition level and scoring."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.content.validation import term, text
from portal.criteria.models import Criterion
from portal.taxonomy.models import AmbitionLevel, CriterionKind


def apply_fields(item: Criterion, fields: dict[str, Any]) -> None:
    """Validate a criterion's own fields and write them onto item."""
    item.clause_text = text(
        fields, "clause_text", _("de tekst van de eis of het criterium"), 5000, required=True
    )
    item.criterion_kind = term(fields, "criterion_kind", CriterionKind, _("soort"))
    item.ambition_level = term(fields, "ambition_level", AmbitionLevel, _("ambitieniveau"))
    item.weighting = text(fields, "weighting", _("de weging"), 1000)
    item.verification = text(fields, "verification", _("het bewijsmiddel"), 1000)
    item.source = text(fields, "source", _("de bron"), 200)
    item.source_version = text(fields, "source_version", _("de versie"), 50)
