"""Item forms: the shared fields once, per kind only its own fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms import TextAreaField as BaseTextAreaField
from wtforms.validators import Optional

from portal.forms import FormTokenField, choices, max_length, required
from portal.tenders.models import MAX_BIDS, MAX_CONTRACT_RESULTS, MAX_MVI_ROWS


class TextAreaField(BaseTextAreaField):
    """A textarea whose line breaks are LF, as stored, though browsers send CRLF.

    So an unchanged text counts as many characters as it did and passes its max_length again."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")


STATUS_CHOICES = [
    ("draft", _l("Concept")),
    ("published", _l("Gepubliceerd")),
    ("archived", _l("Gearchiveerd")),
]
VISIBILITY_CHOICES = [
    ("public", _l("Iedereen")),
    ("members", _l("Alleen ingelogde leden")),
    ("group", _l("Alleen één werkgroep")),
]


class ItemForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[required(), max_length(200)])
    summary = TextAreaField(
        _l("Korte samenvatting"),
        validators=[max_length(600)],
        description=_l("Eén tot drie zinnen; verschijnt in lijsten."),
    )
    body = TextAreaField(
        _l("Tekst"),
        validators=[max_length(20000)],
        description=_l("Markdown: ## kopje, - opsomming, **vet**, [link](https://…)."),
    )
    organisation = SelectField(_l("Namens organisatie"), coerce=str, validators=[required()])
    themes = SelectMultipleField(_l("Thema's"), coerce=str)
    product_groups = SelectMultipleField(_l("Productgroepen"), coerce=str)
    co_owners = SelectMultipleField(
        _l("Mede-eigenaren (gezamenlijke inkoop)"),
        coerce=str,
        description=_l(
            "Andere organisaties die deze aanbesteding samen met u deden; hun redacteuren mogen het "
            "item ook bewerken. Een organisatie waarvan u geen redacteur bent, wordt uitgenodigd en "
            "wordt pas mede-eigenaar als een redacteur of beheerder ervan dat accepteert."
        ),
    )
    tags = StringField(
        _l("Tags"),
        render_kw={"list": "tag-suggestions"},
        validators=[max_length(500)],
        description=_l("Vrije trefwoorden, gescheiden door komma's (hoogstens 10)."),
    )
    year = IntegerField(_l("Jaar"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES))
    visibility = SelectField(_l("Wie mag dit zien?"), choices=choices(VISIBILITY_CHOICES))
    group = SelectField(
        _l("Werkgroep (bij 'alleen één werkgroep')"), coerce=str, validators=[Optional()]
    )
    reviewed_at = DateField(
        _l("Laatst gecontroleerd op"),
        validators=[Optional()],
        description=_l("Wanneer is de inhoud voor het laatst nagekeken?"),
    )
    # Shown on the create form only: a second submit of one rendered form makes no second item.
    form_token = FormTokenField()


EMPTY_ROWS = 2  # empty rows under the stored ones on an edit form: room to add without JavaScript


class RepeatingRows(FieldList):
    """Rows of the same sub-form (MVI rows, bids): every filled row is shown, plus empty ones.

    The form shows a fieldset per row headed "row_label n" and a button that adds one row
    (add_label); a row the user empties is not saved. Beyond max_rows filled rows the service
    refuses the save, so a row is never dropped unseen."""

    def __init__(self, unbound_field, label=None, *, row_label, add_label, max_rows, **kwargs):
        super().__init__(unbound_field, label, **kwargs)
        self.row_label = row_label
        self.add_label = add_label
        self.max_rows = max_rows

    def filled(self) -> int:
        """How many rows hold anything (the empty ones are not saved)."""
        return sum(
            1
            for entry in self.entries
            if any(
                not (
                    value is None
                    or value is False
                    or (isinstance(value, str) and not value.strip())
                )
                for value in entry.data.values()
            )
        )

    def show(self, rows: list | None, empty: int = EMPTY_ROWS) -> None:
        """Show rows (the stored values) and `empty` empty rows after them."""
        self.process(None, data=list(rows or []))
        for _ in range(empty):
            self.append_entry()


class RowForm(Form):
    """One row of repeating rows; its messages are Dutch like those of the form around it."""

    class Meta:
        def get_translations(self, form):
            from flask import current_app
            from flask_wtf.i18n import translations

            # As FlaskForm does; None is WTForms' own (English) messages.
            return translations if current_app.config.get("WTF_I18N_ENABLED", True) else None


class MviRow(RowForm):
    theme = SelectField(_l("Thema"), coerce=str, validators=[Optional()])
    instrument = SelectField(_l("Instrument"), coerce=str, validators=[Optional()])
    ambition_level = SelectField(_l("Ambitieniveau"), coerce=str, validators=[Optional()])
    weight_percent = IntegerField(_l("Gewicht (%)"), validators=[Optional()])
    fictive_discount_eur = IntegerField(_l("Fictieve korting (EUR)"), validators=[Optional()])
    note = StringField(_l("Toelichting"), validators=[max_length(1000)])


class BidRow(RowForm):
    bidder = StringField(_l("Inschrijver"), validators=[max_length(100)])
    price_eur = IntegerField(_l("Prijs (EUR)"), validators=[Optional()])
    quality_score = IntegerField(_l("Kwaliteitsscore"), validators=[Optional()])
    mki_eur = IntegerField(_l("MKI (EUR)"), validators=[Optional()])
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
    procedure = SelectField(_l("Procedure"), coerce=str, validators=[Optional()])
    award_method = SelectField(_l("Gunningsmethode"), coerce=str, validators=[Optional()])
    value_min = IntegerField(_l("Geraamde waarde vanaf (EUR)"), validators=[Optional()])
    value_max = IntegerField(_l("Geraamde waarde tot (EUR)"), validators=[Optional()])
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


class CriterionForm(ItemForm):
    clause_text = TextAreaField(
        _l("Tekst van de eis of het criterium"),
        validators=[required(), max_length(5000)],
        description=_l("Precies zoals in het aanbestedingsdocument, om over te nemen."),
    )
    criterion_kind = SelectField(_l("Soort"), coerce=str, validators=[Optional()])
    ambition_level = SelectField(_l("Ambitieniveau"), coerce=str, validators=[Optional()])
    weighting = TextAreaField(_l("Weging of beoordelingsmethode"), validators=[max_length(1000)])
    verification = TextAreaField(_l("Bewijsmiddel"), validators=[max_length(1000)])
    source = StringField(
        _l("Bron"),
        validators=[max_length(200)],
        description=_l("Eigen tekst, of de criteriaset (bijvoorbeeld MVI-criteriatool)."),
    )
    source_version = StringField(_l("Versie van de bron"), validators=[max_length(50)])


class ConsultationForm(ItemForm):
    purpose = TextAreaField(_l("Doel"), validators=[max_length(2000)])
    format = SelectField(
        _l("Vorm"),
        choices=choices(
            [
                ("rfi", "RFI"),
                ("marktdag", _l("Marktdag")),
                ("een-op-een-gesprekken", _l("Eén-op-één gesprekken")),
                ("schriftelijke-vragenlijst", _l("Schriftelijke vragenlijst")),
                ("overig", _l("Overig")),
            ]
        ),
    )
    consultation_date = DateField(_l("Datum"), validators=[Optional()])
    state = SelectField(
        _l("Gepland of gehouden"),
        choices=choices([("gehouden", _l("Gehouden")), ("gepland", _l("Gepland"))]),
    )
    participation = TextAreaField(
        _l("Hoe neemt u deel? (bij een geplande consultatie)"), validators=[max_length(2000)]
    )
    questions = TextAreaField(_l("Gestelde vragen"), validators=[max_length(20000)])
    participants_count = IntegerField(_l("Aantal deelnemers"), validators=[Optional()])
    participants_kind = StringField(_l("Soort deelnemers"), validators=[max_length(300)])
    outcome = TextAreaField(_l("Uitkomst"), validators=[max_length(20000)])
    changes_after = TextAreaField(
        _l("Wat veranderde er in de aanbesteding?"), validators=[max_length(20000)]
    )


class LessonForm(ItemForm):
    lesson = StringField(_l("De les in één zin"), validators=[required(), max_length(300)])
    context = TextAreaField(_l("Context"), validators=[max_length(4000)])
    what_worked = TextAreaField(_l("Wat werkte"), validators=[max_length(4000)])
    do_differently = TextAreaField(
        _l("Wat zou u een volgende keer anders doen?"), validators=[max_length(4000)]
    )
    phase = SelectField(_l("Fase van de inkoopcyclus"), coerce=str, validators=[Optional()])
    writer_role = SelectField(_l("Uw rol"), coerce=str, validators=[Optional()])


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


FORMS = {
    "tender": TenderForm,
    "criterion": CriterionForm,
    "consultation": ConsultationForm,
    "lesson": LessonForm,
    "event": EventForm,
    "question": ItemForm,  # asked at /vragen/nieuw; edited with the shared fields only
}
SHARED_FIELDS = (
    "csrf_token", "title", "summary", "body", "organisation", "themes", "product_groups", "tags",
    "year", "status", "visibility", "group", "reviewed_at", "co_owners", "form_token",
)  # fmt: skip


class AttachmentForm(FlaskForm):
    file = FileField(_l("Bestand (PDF, DOCX, ODT of XLSX)"), validators=[required()])


class LinkForm(FlaskForm):
    target = StringField(
        _l("Adres of slug van het item"),
        validators=[required(), max_length(300)],
        description=_l("Bijvoorbeeld /aanbestedingen/asfalt-op-mki of alleen asfalt-op-mki."),
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("Wat klopt er niet?"), validators=[required(), max_length(2000)])
