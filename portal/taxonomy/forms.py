from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from portal.forms import PortalForm, choices, max_length, required
from portal.taxonomy.models import OrganisationType, Procedure, ProductGroup, Theme, Vocabulary


class TermForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(150)])
    description = TextAreaField(_l("Beschrijving"), validators=[max_length(2000)])
    name_en = StringField(
        _l("Engelse naam"),
        validators=[max_length(150)],
        description=_l("Voor de Engelse pagina's; leeg laten toont daar de Nederlandse naam."),
        render_kw={"lang": "en"},
    )
    description_en = TextAreaField(
        _l("Engelse beschrijving"), validators=[max_length(2000)], render_kw={"lang": "en"}
    )
    position = IntegerField(
        _l("Volgorde"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=10000, message=_l("De volgorde is een getal van 0 tot 10000.")),
        ],
    )
    is_active = BooleanField(
        _l("In gebruik"),
        default=True,
        description=_l(
            "Termen die niet meer in gebruik zijn, blijven bij bestaande items staan maar zijn niet meer te kiezen."
        ),
    )


class ThemeForm(TermForm):
    is_core = BooleanField(_l("Een van de zes MVOI-thema's"))


class ProductGroupForm(TermForm):
    cluster = SelectField(_l("Productcluster"), coerce=str, validators=[required()])
    cpv_codes = StringField(
        _l("CPV-codes"),
        validators=[max_length(400)],
        description=_l(
            "8 cijfers, eventueel met controlecijfer (45233220-7); hoofdcode eerst, gescheiden door spaties."
        ),
    )
    confirmed = BooleanField(_l("Naam bevestigd tegen de MVI-criteriatool"))


class ProcedureForm(TermForm):
    threshold = SelectField(
        _l("Drempel"),
        choices=choices(
            [
                ("boven", _l("Boven de Europese drempel")),
                ("onder", _l("Onder de drempel")),
                ("overig", _l("Overig")),
            ]
        ),
    )


class OrganisationTypeForm(TermForm):
    has_size_class = BooleanField(_l("Heeft een grootteklasse (naar inwoners)"))


def form_class_for(vocabulary: Vocabulary) -> type[TermForm]:
    """Return the form for a vocabulary: the shared fields plus only what its model adds."""
    return {
        Theme: ThemeForm,
        ProductGroup: ProductGroupForm,
        Procedure: ProcedureForm,
        OrganisationType: OrganisationTypeForm,
    }.get(vocabulary.model, TermForm)
