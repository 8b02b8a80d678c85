"""The action plan form: the shared item fields plus this kind's own."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FormField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from portal.content.forms import ItemForm, RepeatingRows, RowForm, TermSelectField
from portal.forms import choices, max_length
from portal.plans.models import MAX_ACTIONS, MAX_AMBITIONS, MAX_GOALS, MAX_MEASUREMENTS
from portal.taxonomy.models import JobRole, Theme

INDICATOR_CHOICES = [
    ("handmatig", _l("Zelf gemeten (met metingen hieronder)")),
    ("aandeel-mvi", _l("Uit de monitor: aandeel aanbestedingen met MVI (%)")),
    ("aandeel-thema", _l("Uit de monitor: aandeel aanbestedingen met dit thema (%)")),
    ("gewicht-thema", _l("Uit de monitor: gemiddeld gewicht van de gunningscriteria van dit thema (%)")),
]  # fmt: skip
DIRECTION_CHOICES = [("stijgen", _l("Stijgen")), ("dalen", _l("Dalen"))]
STATUS_CHOICES = [
    ("gepland", _l("Gepland")),
    ("bezig", _l("Bezig")),
    ("gereed", _l("Gereed")),
    ("vervallen", _l("Vervallen")),
]


class IsoDateField(DateField):
    """A date held in a row's JSON as 'YYYY-MM-DD' (rows are stored as JSON, not as columns)."""

    def process_data(self, value) -> None:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        super().process_data(value)


class AmbitionRow(RowForm):
    theme = TermSelectField(_l("Thema"), Theme)
    ambition = StringField(_l("Ambitie"), validators=[max_length(1000)])


class GoalRow(RowForm):
    goal = StringField(_l("Doel (SMART)"), validators=[max_length(500)])
    theme = TermSelectField(_l("Thema"), Theme)
    indicator = SelectField(_l("Indicator"), choices=choices(INDICATOR_CHOICES))
    direction = SelectField(_l("Richting"), choices=choices(DIRECTION_CHOICES))
    baseline = IntegerField(_l("Beginwaarde"), validators=[Optional()])
    baseline_year = IntegerField(_l("Jaar van de beginwaarde"), validators=[Optional()])
    target = IntegerField(_l("Streefwaarde"), validators=[Optional()])
    target_year = IntegerField(_l("Doeljaar"), validators=[Optional()])
    unit = StringField(_l("Eenheid (bij zelf meten)"), validators=[max_length(30)])


class MeasurementRow(RowForm):
    goal = IntegerField(_l("Doel nr."), validators=[Optional()])
    date = IsoDateField(_l("Datum"), validators=[Optional()])
    value = IntegerField(_l("Waarde"), validators=[Optional()])
    source = StringField(_l("Bron"), validators=[max_length(300)])


class ActionRow(RowForm):
    action = StringField(_l("Actie"), validators=[max_length(500)])
    goal = IntegerField(_l("Voor doel nr."), validators=[Optional()])
    owner_role = TermSelectField(_l("Eigenaar (rol)"), JobRole)
    deadline = IsoDateField(_l("Deadline"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES))
    notes = StringField(_l("Notities"), validators=[max_length(1000)])


class PlanForm(ItemForm):
    period_start = IntegerField(_l("Looptijd: beginjaar"), validators=[Optional()])
    period_end = IntegerField(_l("Looptijd: eindjaar"), validators=[Optional()])
    ambitions = RepeatingRows(
        FormField(AmbitionRow),
        label=_l("Ambities per thema"),
        row_label=_l("Ambitie"),
        add_label=_l("Nog een ambitie toevoegen"),
        max_rows=MAX_AMBITIONS,
    )
    goals = RepeatingRows(
        FormField(GoalRow),
        label=_l("Doelen"),
        row_label=_l("Doel"),
        add_label=_l("Nog een doel toevoegen"),
        max_rows=MAX_GOALS,
    )
    measurements = RepeatingRows(
        FormField(MeasurementRow),
        label=_l("Metingen van zelf gemeten doelen"),
        row_label=_l("Meting"),
        add_label=_l("Nog een meting toevoegen"),
        max_rows=MAX_MEASUREMENTS,
    )
    actions = RepeatingRows(
        FormField(ActionRow),
        label=_l("Acties"),
        row_label=_l("Actie"),
        add_label=_l("Nog een actie toevoegen"),
        max_rows=MAX_ACTIONS,
    )
