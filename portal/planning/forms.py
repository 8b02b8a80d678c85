"""Forms of the tender calendar: a planned tender, the spreadsheet import, the list's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Optional

from portal.content.forms import VISIBILITY_CHOICES, TextAreaField
from portal.forms import PortalForm, choices, max_length, required

QUARTER_CHOICES = [
    ("1", _l("1e kwartaal (jan–mrt)")),
    ("2", _l("2e kwartaal (apr–jun)")),
    ("3", _l("3e kwartaal (jul–sep)")),
    ("4", _l("4e kwartaal (okt–dec)")),
]


class PlanForm(PortalForm):
    """The choices of product group, region, themes and group are filled in by the view; the
    service checks every value, so a choice outside them gets its Dutch message there."""

    title = StringField(_l("Titel"), validators=[required(), max_length(200)])
    description = TextAreaField(
        _l("Korte omschrijving"),
        validators=[max_length(2000)],
        description=_l("Wat u gaat inkopen en wat u met MVI wilt bereiken."),
    )
    product_group = SelectField(_l("Productgroep"), coerce=str, validate_choice=False)
    cpv_code = StringField(
        _l("CPV-code (optioneel)"),
        validators=[max_length(20)],
        description=_l("8 cijfers, eventueel met controlecijfer."),
    )
    year = StringField(_l("Jaar van publicatie"), validators=[required(), max_length(4)])
    quarter = SelectField(
        _l("Kwartaal van publicatie"), choices=choices(QUARTER_CHOICES), validate_choice=False
    )
    contract_start = StringField(
        _l("Start van het contract (optioneel)"),
        validators=[Optional(), max_length(10)],
        description=_l("Datum als jjjj-mm-dd."),
    )
    value_min = StringField(
        _l("Geraamde waarde vanaf (EUR, optioneel)"), validators=[max_length(15)]
    )
    value_max = StringField(_l("Geraamde waarde tot (EUR, optioneel)"), validators=[max_length(15)])
    region = SelectField(
        _l("Regio"),
        coerce=str,
        validate_choice=False,
        description=_l("Leeg: de regio's van uw organisatie."),
    )
    themes = SelectMultipleField(_l("Beoogde MVI-thema's"), coerce=str, validate_choice=False)
    contact_role = StringField(
        _l("Contactpersoon (functie)"),
        validators=[max_length(120)],
        description=_l(
            "Bijvoorbeeld 'inkoopadviseur'. Namen worden pas gedeeld als u belangstelling accepteert."
        ),
    )
    visibility = SelectField(
        _l("Wie mag dit zien?"), choices=choices(VISIBILITY_CHOICES), validate_choice=False
    )
    group = SelectField(
        _l("Werkgroep (bij 'alleen één werkgroep')"), coerce=str, validate_choice=False
    )
    reference = StringField(
        _l("Referentie (optioneel)"),
        validators=[max_length(100)],
        description=_l("Uw eigen kenmerk; een import werkt de geplande aanbesteding daarmee bij."),
    )


class ImportForm(PortalForm):
    file = FileField(
        _l("Spreadsheet (CSV of XLSX)"),
        description=_l("De eerste rij bevat de kolomnamen van het sjabloon."),
    )
