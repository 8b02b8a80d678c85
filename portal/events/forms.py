"""The event form: the shared item fields plus this kind's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from portal.content.forms import ItemForm, TextAreaField
from portal.forms import choices, max_length, required

EVENT_TYPE_CHOICES = [
    ("regionale-bijeenkomst", _l("Regionale bijeenkomst")),
    ("marktbijeenkomst", _l("Marktbijeenkomst")),
    ("webinar", _l("Webinar")),
    ("werkgroepoverleg", _l("Werkgroepoverleg")),
]
# The first format is what a datetime-local input expects; the others accept typed values.
LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class EventForm(ItemForm):
    group = SelectField(
        _l("Werkgroep"),
        coerce=str,
        validators=[Optional()],
        description=_l(
            "De werkgroep die de bijeenkomst organiseert (verplicht bij 'alleen één werkgroep'). Openbare bijeenkomsten komen ook in de agenda van de werkgroep."
        ),
    )
    event_type = SelectField(_l("Soort bijeenkomst"), choices=choices(EVENT_TYPE_CHOICES))
    starts_at = DateTimeLocalField(
        _l("Begint op"),
        format=LOCAL_TIME_FORMATS,
        validators=[required()],
        description=_l("Nederlandse tijd, bijvoorbeeld 2026-12-04 13:30."),
    )
    ends_at = DateTimeLocalField(
        _l("Eindigt op"),
        format=LOCAL_TIME_FORMATS,
        validators=[required()],
        description=_l("Nederlandse tijd, bijvoorbeeld 2026-12-04 16:00."),
    )
    location = StringField(
        _l("Plaats"),
        validators=[max_length(300)],
        description=_l(
            "Adres of gebouw. Vul een plaats, een link voor online deelname of allebei in."
        ),
    )
    online_url = StringField(
        _l("Link voor online deelname"),
        validators=[max_length(300)],
        description=_l("Een volledig webadres dat begint met https://."),
    )
    capacity = IntegerField(
        _l("Aantal plaatsen"),
        validators=[Optional()],
        description=_l(
            "Leeg is onbeperkt. Is de bijeenkomst vol, dan komen nieuwe aanmeldingen op de wachtlijst."
        ),
    )
    registration_deadline = DateTimeLocalField(
        _l("Aanmelden kan tot"),
        format=LOCAL_TIME_FORMATS,
        validators=[Optional()],
        description=_l("Optioneel; Nederlandse tijd."),
    )
    agenda = TextAreaField(
        _l("Programma"),
        validators=[max_length(20000)],
        description=_l("Markdown: - 13:30 Welkom, - 13:45 Presentatie …"),
    )
    report = TextAreaField(
        _l("Verslag (na afloop)"),
        validators=[max_length(20000)],
        description=_l("Een kort verslag; presentaties voegt u toe als bijlage."),
    )
