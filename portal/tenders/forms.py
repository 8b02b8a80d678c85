"""The tender form: the shared item fields plus this kind's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, FormField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from portal.content.forms import (
    ItemForm,
    MoneyField,
    RepeatingRows,
    RowForm,
    TermSelectField,
    TextAreaField,
)
from portal.forms import choices, max_length
from portal.taxonomy.models import AmbitionLevel, AwardMethod, Instrument, Procedure, Theme
from portal.tenders.models import MAX_BIDS, MAX_CONTRACT_RESULTS, MAX_MVI_ROWS


class MviRow(RowForm):
    theme = TermSelectField(_l("Thema"), Theme)
    instrument = TermSelectField(_l("Instrument"), Instrument)
    ambition_level = TermSelectField(_l("Ambitieniveau"), AmbitionLevel)
    weight_percent = IntegerField(_l("Gewicht (%)"), validators=[Optional()])
    fictive_discount_eur = MoneyField(_l("Fictieve korting (EUR)"), validators=[Optional()])
    note = StringField(_l("Toelichting"), validators=[max_length(1000)])


class BidRow(RowForm):
    bidder = StringField(_l("Inschrijver"), validators=[max_length(100)])
    price_eur = MoneyField(_l("Prijs (EUR)"), validators=[Optional()])
    quality_score = IntegerField(_l("Kwaliteitsscore"), validators=[Optional()])
    mki_eur = MoneyField(_l("MKI (EUR)"), validators=[Optional()])
    winner = BooleanField(_l("Winnaar"))


class ContractRow(RowForm):
    promised = StringField(_l("Toegezegd"), validators=[max_length(500)])
    realised = StringField(_l("Gerealiseerd"), validators=[max_length(500)])


class TenderForm(ItemForm):
    cpv_codes = StringField(
        _l("CPV-codes"),
        validators=[max_length(400)],
        description=_l("8 cijfers, eventueel met controlecijfer; gescheiden door spaties."),
    )
    procedure = TermSelectField(_l("Procedure"), Procedure)
    award_method = TermSelectField(_l("Gunningsmethode"), AwardMethod)
    value_min = MoneyField(_l("Geraamde waarde vanaf (EUR)"), validators=[Optional()])
    value_max = MoneyField(_l("Geraamde waarde tot (EUR)"), validators=[Optional()])
    duration_months = IntegerField(_l("Looptijd (maanden)"), validators=[Optional()])
    publication_date = DateField(_l("Publicatiedatum"), validators=[Optional()])
    award_date = DateField(_l("Gunningsdatum"), validators=[Optional()])
    tender_reference = StringField(_l("Kenmerk TenderNed/TED"), validators=[max_length(100)])
    tender_url = StringField(_l("Link naar TenderNed/TED"), validators=[max_length(300)])
    tender_status = SelectField(
        _l("Status van de aanbesteding"),
        choices=choices(
            [
                ("in-voorbereiding", _l("In voorbereiding")),
                ("gepubliceerd", _l("Gepubliceerd")),
                ("gegund", _l("Gegund")),
                ("afgerond", _l("Afgerond")),
            ]
        ),
    )
    mvi = RepeatingRows(
        FormField(MviRow),
        label=_l("Hoe MVI is toegepast (per thema)"),
        row_label=_l("MVI-rij"),
        add_label=_l("Nog een MVI-rij toevoegen"),
        max_rows=MAX_MVI_ROWS,
    )
    number_of_bids = IntegerField(_l("Aantal inschrijvingen"), validators=[Optional()])
    bids = RepeatingRows(
        FormField(BidRow),
        label=_l("Inschrijvingen (prijs en duurzaamheid)"),
        row_label=_l("Inschrijving"),
        add_label=_l("Nog een inschrijving toevoegen"),
        max_rows=MAX_BIDS,
    )
    results = TextAreaField(
        _l("Resultaten"),
        validators=[max_length(20000)],
        description=_l(
            "De duurzaamheidswinst van de winnaar ten opzichte van de andere inschrijvingen."
        ),
    )
    contract_results = RepeatingRows(
        FormField(ContractRow),
        label=_l("Contractfase: toegezegd en gerealiseerd"),
        row_label=_l("Contractresultaat"),
        add_label=_l("Nog een contractresultaat toevoegen"),
        max_rows=MAX_CONTRACT_RESULTS,
    )
    contact_name = StringField(_l("Contactpersoon"), validators=[max_length(120)])
    contact_email = StringField(_l("E-mailadres contactpersoon"), validators=[max_length(254)])
