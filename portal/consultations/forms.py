"""The consultation form: the shared item fields plus this kind's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from portal.content.forms import ItemForm, TextAreaField
from portal.forms import choices, max_length


class ConsultationForm(ItemForm):
    purpose = TextAreaField(_l("Doel"), validators=[max_length(2000)])
    format = SelectField(
        _l("Vorm"),
        choices=choices(
            [
                ("rfi", "RFI"),
                ("marktdag", _l("Marktdag")),
                ("een-op-een-gesprekken", _l("Eén-op-één gesprekken")),
                ("schriftelijke-vragenlijst", _l("Schriftelijke vragenlijst")),
                ("overig", _l("Overig")),
            ]
        ),
    )
    consultation_date = DateField(_l("Datum"), validators=[Optional()])
    state = SelectField(
        _l("Gepland of gehouden"),
        choices=choices([("gehouden", _l("Gehouden")), ("gepland", _l("Gepland"))]),
    )
    participation = TextAreaField(
        _l("Hoe neemt u deel? (bij een geplande consultatie)"), validators=[max_length(2000)]
    )
    questions = TextAreaField(_l("Gestelde vragen"), validators=[max_length(20000)])
    participants_count = IntegerField(_l("Aantal deelnemers"), validators=[Optional()])
    participants_kind = StringField(_l("Soort deelnemers"), validators=[max_length(300)])
    outcome = TextAreaField(_l("Uitkomst"), validators=[max_length(20000)])
    changes_after = TextAreaField(
        _l("Wat veranderde er in de aanbesteding?"), validators=[max_length(20000)]
    )
