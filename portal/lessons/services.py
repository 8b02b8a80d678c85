"""Lesson fields: the lesson in one sentence, context, what worked, what to do differently."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.content.validation import term, text
from portal.lessons.models import Lesson
from portal.taxonomy.models import JobRole, Phase


def apply_fields(item: Lesson, fields: dict[str, Any]) -> None:
    """Validate a lesson's own fields and write them onto item."""
    item.lesson = text(fields, "lesson", _("de les in één zin"), 300, required=True)
    item.context = text(fields, "context", _("de context"), 4000)
    item.what_worked = text(fields, "what_worked", _("wat werkte"), 4000)
    item.do_differently = text(
        fields, "do_differently", _("wat een volgende keer anders moet"), 4000
    )
    item.phase = term(fields, "phase", Phase, _("fase"))
    item.writer_role = term(fields, "writer_role", JobRole, _("rol van de schrijver"))
