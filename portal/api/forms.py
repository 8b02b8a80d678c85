"""The account page's form for a new personal API token."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from portal.common import utcnow
from portal.forms import PortalForm, max_length, required

DEFAULT_DAYS = 90


class TokenForm(PortalForm):
    name = StringField(
        _l("Naam"),
        validators=[required(), max_length(80)],
        description=_l("Waarvoor u het token gebruikt, bijvoorbeeld ‘koppeling contractbeheer’."),
    )
    scope = SelectField(
        _l("Mag"),
        choices=[
            SelectChoice("read", _l("alleen lezen")),
            SelectChoice("write", _l("lezen en schrijven")),
        ],
        default="read",
        validators=[required()],
    )
    expires_on = DateField(
        _l("Geldig tot en met"),
        validators=[required()],
        default=lambda: utcnow().date() + timedelta(days=DEFAULT_DAYS),
        description=_l("Hoogstens een jaar vanaf vandaag."),
    )
