"""Action plan fields, validated from a form or an import line onto a Plan, and copying a plan."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _

from portal.common import ServiceError, utcnow
from portal.content.kinds import kind_of
from portal.content.services import ItemData, create_item
from portal.content.validation import (
    choice,
    iso_date,
    line,
    repeating_rows,
    term,
    whole_number,
)
from portal.organisations.models import Organisation
from portal.permissions import Actor, authorized_by, can_copy_plan
from portal.plans.models import (
    ACTION_STATUSES,
    DIRECTIONS,
    INDICATORS,
    MAX_ACTIONS,
    MAX_AMBITIONS,
    MAX_GOALS,
    MAX_MEASUREMENTS,
    PERCENT_INDICATORS,
    THEME_INDICATORS,
    Plan,
)
from portal.taxonomy.models import JobRole, Theme

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_GOAL_VALUE = 10**12


def _ambition(row: dict) -> dict:
    theme = term(row, "theme", Theme, _("thema"))
    ambition = line(row, "ambition", _("de ambitie"), 1000, required=True)
    return {"theme": theme.slug if theme else None, "ambition": ambition}


def _goal(row: dict, kept: set[tuple[str, int]]) -> dict:
    theme = term(row, "theme", Theme, _("thema"))
    indicator = choice(row, "indicator", _("de indicator"), INDICATORS, "handmatig")
    if indicator in THEME_INDICATORS and theme is None:
        raise ServiceError(_("Kies het thema dat deze indicator meet."), field="theme")
    direction = choice(row, "direction", _("de richting"), DIRECTIONS, "stijgen")
    high = 100 if indicator in PERCENT_INDICATORS else MAX_GOAL_VALUE
    baseline = whole_number(row, "baseline", _("de beginwaarde"), high=high)
    target = whole_number(row, "target", _("de streefwaarde"), high=high)
    if target is None:
        raise ServiceError(_("Vul een streefwaarde in."), field="target")
    target_year = whole_number(
        row, "target_year", _("het doeljaar"), low=FIRST_YEAR, high=LAST_YEAR
    )
    if target_year is None:
        raise ServiceError(
            _("Vul het jaar in waarin het doel bereikt moet zijn."), field="target_year"
        )
    # A new or changed goal aims at this year or later; a goal kept as it was may reach its year.
    if (
        target_year < utcnow().year
        and (str(row.get("goal") or "").strip(), target_year) not in kept
    ):
        raise ServiceError(
            _(
                "Het doeljaar %(year)d ligt in het verleden: kies dit jaar of later.",
                year=target_year,
            ),
            field="target_year",
        )
    baseline_year = whole_number(
        row, "baseline_year", _("het jaar van de beginwaarde"), low=FIRST_YEAR, high=LAST_YEAR
    )
    if baseline_year is not None and baseline_year > target_year:
        raise ServiceError(
            _("Het jaar van de beginwaarde ligt na het doeljaar."), field="baseline_year"
        )
    if baseline is not None:
        if direction == "stijgen" and target <= baseline:
            raise ServiceError(
                _("Bij een stijgend doel moet de streefwaarde hoger zijn dan de beginwaarde (%(baseline)d).", baseline=baseline),
                field="target",
            )  # fmt: skip
        if direction == "dalen" and target >= baseline:
            raise ServiceError(
                _("Bij een dalend doel moet de streefwaarde lager zijn dan de beginwaarde (%(baseline)d).", baseline=baseline),
                field="target",
            )  # fmt: skip
    unit = "%" if indicator in PERCENT_INDICATORS else line(row, "unit", _("de eenheid"), 30)
    return {
        "theme": theme.slug if theme else None,
        "goal": line(row, "goal", _("het doel"), 500, required=True),
        "indicator": indicator,
        "direction": direction,
        "baseline": baseline,
        "baseline_year": baseline_year,
        "target": target,
        "target_year": target_year,
        "unit": unit,
    }


def _measurement(row: dict, goals: int) -> dict:
    goal = whole_number(row, "goal", _("het doelnummer"), low=1, high=MAX_GOALS)
    if goal is None or goal > goals:
        raise ServiceError(
            _("Kies het nummer van een doel van dit plan (1 tot en met %(n)d).", n=goals),
            field="goal",
        )
    measured = iso_date(row, "date", _("de datum van de meting"))
    value = whole_number(row, "value", _("de waarde"), high=MAX_GOAL_VALUE)
    if measured is None or value is None:
        raise ServiceError(_("Vul de datum en de gemeten waarde in."), field="value")
    if not FIRST_YEAR <= measured.year <= LAST_YEAR:
        raise ServiceError(_("Die datum ligt buiten %(first)d-%(last)d.", first=FIRST_YEAR, last=LAST_YEAR), field="date")  # fmt: skip
    return {
        "goal": goal,
        "date": measured.isoformat(),
        "value": value,
        "source": line(row, "source", _("de bron"), 300, required=True),
    }


def _action(row: dict, goals: int) -> dict:
    goal = whole_number(row, "goal", _("het doelnummer"), low=1, high=MAX_GOALS)
    if goal is not None and goal > goals:
        raise ServiceError(
            _("Kies het nummer van een doel van dit plan (1 tot en met %(n)d).", n=goals),
            field="goal",
        )
    role = term(row, "owner_role", JobRole, _("eigenaar"))
    deadline = iso_date(row, "deadline", _("de deadline"))
    return {
        "action": line(row, "action", _("de actie"), 500, required=True),
        "goal": goal,
        "owner_role": role.slug if role else None,
        "deadline": deadline.isoformat() if deadline else None,
        "status": choice(row, "status", _("de status"), ACTION_STATUSES, "gepland"),
        "notes": line(row, "notes", _("de notities"), 1000),
    }


def _without_defaults(rows: Any, defaults: dict[str, str]) -> Any:
    """Rows whose only values are the form's preset choices (indicator, direction, status) count
    as empty, like a row the user left blank (kept in place, so messages name the right row)."""
    if not isinstance(rows, list):
        return rows
    return [
        {key: None for key in row}
        if isinstance(row, dict)
        and all(
            value in (None, "", False) or defaults.get(key) == value for key, value in row.items()
        )
        else row
        for row in rows
    ]


def apply_fields(item: Plan, fields: dict[str, Any]) -> None:
    """Validate a plan's own fields and write them onto item (ServiceError on the first problem)."""
    start = whole_number(fields, "period_start", _("het beginjaar"), low=FIRST_YEAR, high=LAST_YEAR)
    end = whole_number(fields, "period_end", _("het eindjaar"), low=FIRST_YEAR, high=LAST_YEAR)
    if start is not None and end is not None and end < start:
        raise ServiceError(_("Het eindjaar ligt voor het beginjaar."), field="period_end")
    item.period_start, item.period_end = start, end
    item.ambitions = repeating_rows(
        fields.get("ambitions"), "ambitions", _("Ambitie"), _("ambities"), MAX_AMBITIONS, _ambition
    )
    kept = {(goal["goal"], goal["target_year"]) for goal in item.goals or []}
    item.goals = repeating_rows(
        _without_defaults(fields.get("goals"), {"indicator": "handmatig", "direction": "stijgen"}),
        "goals", _("Doel"), _("doelen"), MAX_GOALS,
        lambda row: _goal(row, kept),
    )  # fmt: skip
    goals = len(item.goals)
    item.measurements = repeating_rows(
        fields.get("measurements"), "measurements", _("Meting"), _("metingen"),
        MAX_MEASUREMENTS, lambda row: _measurement(row, goals),
    )  # fmt: skip
    actions = _without_defaults(fields.get("actions"), {"status": "gepland"})
    item.actions = repeating_rows(
        actions, "actions", _("Actie"), _("acties"), MAX_ACTIONS, lambda row: _action(row, goals)
    )


@authorized_by(can_copy_plan)
def copy_plan(plan: Plan, organisation: Organisation, *, actor: Actor) -> Plan:
    """Start a draft plan of organisation from a plan the actor may open: its ambitions, goals
    and actions (not its measurements, which are the other organisation's), with attribution."""
    fields = copy.deepcopy(plan.kind_fields())  # the source plan's rows stay as they are
    fields["measurements"] = []
    for goal in fields["goals"]:  # a copied goal's target year may have passed: start from now
        goal["target_year"] = max(goal["target_year"], utcnow().year)
        goal["baseline"], goal["baseline_year"] = None, None
    for action in fields["actions"]:
        action.update(status="gepland", deadline=None, notes="")
    data = ItemData(
        title=_("%(title)s (kopie)", title=plan.title)[:200],
        summary=plan.summary,
        body=plan.body_md,
        themes=[theme.slug for theme in plan.themes],
        product_groups=[group.slug for group in plan.product_groups],
        year=utcnow().year,
        status="draft",
        # A group's plan stays the group's; any other starts as the members' until published.
        visibility="group" if plan.visibility == "group" else "members",
        group=plan.group.slug if plan.visibility == "group" and plan.group else None,
        fields=fields,
    )
    copied = create_item(organisation, kind_of(plan), data, actor=actor)
    copied.copied_from = plan
    return copied
