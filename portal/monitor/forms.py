"""Forms of the monitor records: a record, the spreadsheet upload and the year filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, FormField, IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from portal.content.forms import MoneyField, RowForm, TermSelectField
from portal.forms import PortalForm, max_length, required
from portal.taxonomy.models import (
    AmbitionLevel,
    AwardMethod,
    Instrument,
    Procedure,
    ProductGroup,
    Theme,
)

# Rows of MVI the form shows beyond the stored ones (a row left empty is not saved).
EMPTY_MVI_ROWS = 2
MIN_MVI_ROWS = 3


class RecordMviRow(RowForm):
    theme = TermSelectField(_l("Thema"), Theme)
    instrument = TermSelectField(_l("Instrument"), Instrument)
    ambition_level = TermSelectField(_l("Ambitieniveau"), AmbitionLevel)


class RecordForm(PortalForm):
    reference = StringField(
        _l("Referentie"),
        validators=[required(), max_length(100)],
        description=_l("Uw eigen kenmerk, bijvoorbeeld het zaaknummer of TenderNed-kenmerk."),
    )
    title = StringField(_l("Titel"), validators=[required(), max_length(200)])
    year = IntegerField(
        _l("Jaar"),
        validators=[required(), NumberRange(2000, 2100, message=_l("Vul een jaar in."))],
    )
    value_min = MoneyField(_l("Waarde vanaf (EUR)"), validators=[Optional()])
    value_max = MoneyField(_l("Waarde tot (EUR)"), validators=[Optional()])
    product_group = TermSelectField(_l("Productgroep"), ProductGroup)
    cpv_code = StringField(
        _l("CPV-code"),
        validators=[max_length(20)],
        description=_l("8 cijfers, eventueel met controlecijfer."),
    )
    procedure = TermSelectField(_l("Procedure"), Procedure)
    award_method = TermSelectField(_l("Gunningsmethode"), AwardMethod)
    mvi_applied = BooleanField(_l("MVI toegepast"))
    mvi = FieldList(FormField(RecordMviRow), label=_l("Hoe MVI is toegepast"), max_entries=12)
    realised_percent = IntegerField(
        _l("Gerealiseerd in het contract (%)"),
        validators=[Optional()],
        description=_l("Het deel van de MVI-afspraken dat is waargemaakt; later in te vullen."),
    )


class UploadForm(PortalForm):
    file = FileField(
        _l("Spreadsheet (CSV of XLSX)"),
        description=_l("De eerste rij bevat de kolomnamen van het sjabloon."),
    )


class MonitorSettingsForm(PortalForm):
    public = BooleanField(
        _l("Iedereen mag de cijfers van onze monitor zien"),
        description=_l(
            "Dan ziet iedereen de monitor met de cijfers; de registraties zelf blijven alleen "
            "voor uw leden."
        ),
    )
    benchmark = BooleanField(
        _l("Onze aanbestedingen tellen mee in vergelijkingen en het landelijk overzicht"),
        description=_l(
            "Zet dit uit om niet mee te tellen in de vergelijkingen van anderen en het landelijk "
            "overzicht. Uw eigen cijfers blijven gelijk."
        ),
    )
