"""Item forms: the shared fields once, per kind only its own fields."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from sqlalchemy import select
from wtforms import (
    DateField,
    FieldList,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms import TextAreaField as BaseTextAreaField
from wtforms.validators import Optional

from portal.extensions import db
from portal.forms import FormTokenField, PortalForm, choices, max_length, required


class TextAreaField(BaseTextAreaField):
    """A textarea whose line breaks are LF, as stored, though browsers send CRLF.

    So an unchanged text counts as many characters as it did and passes its max_length again."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")


class MoneyField(IntegerField):
    """An amount in whole euros (shown as money, e.g. in the version history)."""


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


class ItemForm(PortalForm):
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
    # Create form only (later files are added on the item's page).
    attachments = MultipleFileField(
        _l("Bijlagen (optioneel)"),
        description=_l(
            "PDF, DOCX, ODT of XLSX, hoogstens 5 tegelijk. Wordt één bestand geweigerd, dan wordt "
            "niets opgeslagen en kiest u de bestanden opnieuw."
        ),
    )


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
        for _row in range(empty):
            self.append_entry()


class RowForm(Form):
    """One row of repeating rows; its messages are Dutch like those of the form around it."""

    class Meta:
        def get_translations(self, form):
            from flask import current_app
            from flask_wtf.i18n import translations

            # As FlaskForm does; None is WTForms' own (English) messages.
            return translations if current_app.config.get("WTF_I18N_ENABLED", True) else None


SHARED_FIELDS = (
    "csrf_token", "title", "summary", "body", "organisation", "themes", "product_groups", "tags",
    "year", "status", "visibility", "group", "reviewed_at", "co_owners", "form_token", "attachments",
)  # fmt: skip


class AttachmentForm(PortalForm):
    file = FileField(_l("Bestand (PDF, DOCX, ODT of XLSX)"), validators=[required()])


class LinkForm(PortalForm):
    target = StringField(
        _l("Adres of slug van het item"),
        validators=[required(), max_length(300)],
        description=_l("Bijvoorbeeld /aanbestedingen/asfalt-op-mki of alleen asfalt-op-mki."),
    )


class ReportForm(PortalForm):
    reason = TextAreaField(_l("Wat klopt er niet?"), validators=[required(), max_length(2000)])


def active_terms(vocabulary) -> list[tuple[str, str]]:
    """(slug, name) of a vocabulary's active terms, in their order, named in the page's language."""
    return [
        (term.slug, term.label)
        for term in db.session.scalars(
            select(vocabulary).where(vocabulary.is_active).order_by(vocabulary.position)
        )
    ]


def offered_terms(vocabulary, chosen) -> list[tuple[str, str]]:
    """The active terms to choose from, plus a retired one the field holds: a save keeps it."""
    offered = active_terms(vocabulary)
    known = {slug for slug, _name in offered}
    held = [s for s in (chosen if isinstance(chosen, list) else [chosen]) if s and s not in known]
    if held:
        retired = db.session.scalars(
            select(vocabulary).where(vocabulary.slug.in_(held)).order_by(vocabulary.position)
        )
        offered += [(t.slug, _("%(name)s (vervallen)", name=t.label)) for t in retired]
    return offered


class TermSelectField(SelectField):
    """A choice of one term of a vocabulary (procedure, phase, ...): the edit page offers the
    active terms plus a retired one the item holds (see `offered`)."""

    def __init__(self, label=None, vocabulary=None, **kwargs):
        kwargs.setdefault("coerce", str)
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, **kwargs)
        self.vocabulary = vocabulary
