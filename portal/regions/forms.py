from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField

from portal.forms import PortalForm, choices, max_length, required


class RegionForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(150)])
    kind = SelectField(
        _l("Soort"),
        choices=choices([("netwerk", _l("Regionaal netwerk")), ("provincie", _l("Provincie"))]),
    )
    description = TextAreaField(_l("Beschrijving"), validators=[max_length(2000)])
