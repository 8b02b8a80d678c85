from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import NumberRange, Optional

from portal.forms import PortalForm, max_length, required


class OrganisationForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(150)])
    type = SelectField(_l("Soort organisatie"), coerce=str, validators=[required()])
    size_class = SelectField(
        _l("Grootteklasse (alleen gemeenten)"), coerce=str, validators=[Optional()]
    )
    regions = SelectMultipleField(
        _l("Regio's"),
        coerce=str,
        description=_l("De provincie en de regionale netwerken waar de organisatie aan meedoet."),
    )
    website = URLField(_l("Website"), validators=[Optional(), max_length(300)])
    description = TextAreaField(_l("Over de organisatie en MVI"), validators=[max_length(2000)])
    email_domains = StringField(
        _l("E-maildomeinen"),
        validators=[max_length(600)],
        description=_l(
            "Gescheiden door komma's, bijvoorbeeld utrecht.nl. Wie zich met zo'n adres aanmeldt, krijgt uw organisatie voorgesteld."
        ),
    )
    coordinator_name = StringField(_l("Naam MVI-coördinator"), validators=[max_length(120)])
    coordinator_email = EmailField(_l("E-mailadres MVI-coördinator"), validators=[max_length(254)])
    coordinator_phone = StringField(_l("Telefoon MVI-coördinator"), validators=[max_length(40)])
    manifest_year = IntegerField(
        _l("Jaar van ondertekening manifest MVI/MVOI"),
        validators=[
            Optional(),
            NumberRange(min=2000, max=2100, message=_l("Vul een jaartal in tussen 2000 en 2100.")),
        ],
    )
