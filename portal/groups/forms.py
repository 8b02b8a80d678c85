from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField

from portal.forms import PortalForm, max_length, required


class GroupForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(150)])
    description = TextAreaField(_l("Beschrijving"), validators=[max_length(2000)])
    is_closed = BooleanField(
        _l("Besloten werkgroep"),
        description=_l("Buitenstaanders zien alleen naam en beschrijving en vragen toegang aan."),
    )
    regions = SelectMultipleField(
        _l("Regio's"), coerce=str, description=_l("Laat leeg voor een landelijke werkgroep.")
    )
