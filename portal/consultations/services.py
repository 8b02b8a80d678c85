"""Market-consultation fields: purpose, format, date, questions, participants, outcome."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.consultations.models import FORMATS, STATES, Consultation
from portal.content.validation import choice, iso_date, markdown, text, whole_number


def apply_fields(item: Consultation, fields: dict[str, Any]) -> None:
    """Validate a consultation's own fields and write them onto item."""
    item.purpose = text(fields, "purpose", _("het doel"), 2000)
    item.format = choice(fields, "format", _("de vorm"), FORMATS, "overig")
    item.consultation_date = iso_date(fields, "consultation_date", _("de datum"))
    item.state = choice(fields, "state", _("gepland of gehouden"), STATES, "gehouden")
    item.participation = text(fields, "participation", _("hoe deel te nemen"), 2000)
    item.questions_md, item.questions_html = markdown(fields, "questions", _("de gestelde vragen"))
    item.participants_count = whole_number(
        fields, "participants_count", _("het aantal deelnemers"), high=10000
    )
    item.participants_kind = text(fields, "participants_kind", _("het soort deelnemers"), 300)
    item.outcome_md, item.outcome_html = markdown(fields, "outcome", _("de uitkomst"))
    item.changes_after_md, item.changes_after_html = markdown(
        fields, "changes_after", _("wat er veranderde")
    )
