"""The criterion form: the shared item fields plus this kind's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from portal.content.forms import ItemForm, TermSelectField, TextAreaField
from portal.forms import max_length, required
from portal.taxonomy.models import AmbitionLevel, CriterionKind


class CriterionForm(ItemForm):
    clause_text = TextAreaField(
        _l("Tekst van de eis of het criterium"),
        validators=[required(), max_length(5000)],
        description=_l("Precies zoals in het aanbestedingsdocument, om over te nemen."),
    )
    criterion_kind = TermSelectField(_l("Soort"), CriterionKind)
    ambition_level = TermSelectField(_l("Ambitieniveau"), AmbitionLevel)
    weighting = TextAreaField(_l("Weging of beoordelingsmethode"), validators=[max_length(1000)])
    verification = TextAreaField(_l("Bewijsmiddel"), validators=[max_length(1000)])
    source = StringField(
        _l("Bron"),
        validators=[max_length(200)],
        description=_l("Eigen tekst, of de criteriaset (bijvoorbeeld MVI-criteriatool)."),
    )
    source_version = StringField(_l("Versie van de bron"), validators=[max_length(50)])
