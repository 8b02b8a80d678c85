"""The lesson form: the shared item fields plus this kind's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from portal.content.forms import ItemForm, TermSelectField, TextAreaField
from portal.forms import max_length, required
from portal.taxonomy.models import JobRole, Phase


class LessonForm(ItemForm):
    lesson = StringField(_l("De les in één zin"), validators=[required(), max_length(300)])
    context = TextAreaField(_l("Context"), validators=[max_length(4000)])
    what_worked = TextAreaField(_l("Wat werkte"), validators=[max_length(4000)])
    do_differently = TextAreaField(
        _l("Wat zou u een volgende keer anders doen?"), validators=[max_length(4000)]
    )
    phase = TermSelectField(_l("Fase van de inkoopcyclus"), Phase)
    writer_role = TermSelectField(_l("Uw rol"), JobRole)
