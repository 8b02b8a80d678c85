"""Reads of action plans: each goal's progress (from the monitor or its measurements), similar
plans of peers, and what the plan page shows besides the item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from portal import permissions
from portal.content.queries import published_items
from portal.extensions import db
from portal.lookups import by_slug
from portal.monitor.queries import indicator_per_year
from portal.organisations.models import Organisation, organisation_regions
from portal.plans.models import Plan
from portal.taxonomy.models import JobRole, Theme

SIMILAR_PLANS = 5


@dataclass
class GoalProgress:
    """A goal with its values per year (oldest first) and how far it got."""

    number: int
    goal: dict
    theme: Theme | None
    values: list[tuple[int, int]] = field(default_factory=list)
    hidden: bool = False  # computed from a monitor the viewer may not see

    @property
    def latest(self) -> tuple[int, int] | None:
        return self.values[-1] if self.values else None

    @property
    def reached(self) -> bool:
        if not self.values:
            return False
        value, target = self.values[-1][1], self.goal["target"]
        return value >= target if self.goal["direction"] == "stijgen" else value <= target

    @property
    def progress(self) -> int | None:
        """How much of the way from baseline to target is covered, in whole percent (0-100)."""
        baseline, target = self.goal.get("baseline"), self.goal["target"]
        if baseline is None or not self.values or target == baseline:
            return None
        covered = (self.values[-1][1] - baseline) / (target - baseline)
        return max(0, min(100, round(100 * covered)))

    def bars(self, target_text: str) -> list[tuple[str, int, int, str]]:
        """Rows for the chart: per year its value, with the target as the marker."""
        return [(str(year), value, self.goal["target"], target_text) for year, value in self.values]

    @property
    def scale(self) -> int:
        """The largest value to draw (the chart's full width)."""
        if self.goal["unit"] == "%":
            return 100
        return (
            max(
                [self.goal["target"], self.goal.get("baseline") or 0, *(v for _y, v in self.values)]
            )
            or 1
        )


def goal_progress(plan: Plan, viewer: Any) -> list[GoalProgress]:
    """Every goal of the plan with its values per year: computed from the organisation's monitor
    (as far as the viewer may see that monitor: its figures are the organisation's members' unless
    it made them public), or the plan's own measurements."""
    may_see_monitor = permissions.can_view_monitor(viewer, plan.organisation)
    progress = []
    for number, goal in enumerate(plan.goals, start=1):
        theme = by_slug(Theme, goal["theme"]) if goal.get("theme") else None
        found = GoalProgress(number, goal, theme)
        if goal["indicator"] == "handmatig":
            # Per year the value measured last in it.
            latest = {}
            for measured in sorted(plan.measurements, key=lambda m: m["date"]):
                if measured["goal"] == number:
                    latest[int(measured["date"][:4])] = measured["value"]
            found.values = sorted(latest.items())
        elif may_see_monitor:
            per_year = indicator_per_year(
                plan.organisation_id, viewer, goal["indicator"], theme.id if theme else None
            )
            first = goal.get("baseline_year") or plan.period_start or min(per_year, default=0)
            found.values = sorted(
                (year, value) for year, value in per_year.items() if year >= first
            )
        else:
            found.hidden = True
        progress.append(found)
    return progress


def similar_plans(plan: Plan, viewer: Any) -> list[Plan]:
    """Published plans of peers the viewer may see: the same organisation type and size class,
    or a shared region; those of the same type and size first."""
    organisation = plan.organisation
    regions = select(organisation_regions.c.region_id).where(
        organisation_regions.c.organisation_id == organisation.id
    )
    same_region = select(organisation_regions.c.organisation_id).where(
        organisation_regions.c.region_id.in_(regions)
    )
    peers = select(Organisation.id).where(
        or_(
            Organisation.type_id == organisation.type_id,
            Organisation.id.in_(same_region),
        )
    )
    candidates = db.session.scalars(
        published_items(viewer, Plan)
        .where(Plan.organisation_id != plan.organisation_id, Plan.organisation_id.in_(peers))
        .order_by(Plan.year.desc().nulls_last(), Plan.id.desc())
        .limit(50)
    ).all()

    def closeness(other: Plan) -> int:
        theirs = other.organisation
        return -(
            2
            * (
                theirs.type_id == organisation.type_id
                and theirs.size_class_id == organisation.size_class_id
            )
            + (theirs.type_id == organisation.type_id)
        )

    return sorted(candidates, key=closeness)[:SIMILAR_PLANS]


def detail_context(plan: Plan, viewer: Any) -> dict:
    """What the plan page shows besides the item: goals with progress, similar plans, role names."""
    roles = {role.slug: role for role in db.session.scalars(select(JobRole))}
    themes = {theme.slug: theme for theme in db.session.scalars(select(Theme))}
    return {
        "goals": goal_progress(plan, viewer),
        "similar_plans": similar_plans(plan, viewer),
        "roles": roles,
        "themes_by_slug": themes,
        "actions": [
            {
                **action,
                "deadline_date": date.fromisoformat(action["deadline"])
                if action.get("deadline")
                else None,
            }
            for action in plan.actions
        ],
        "can_copy": _may_copy_somewhere(viewer, plan),
    }


def _may_copy_somewhere(viewer: Any, plan: Plan) -> list[Organisation]:
    """The organisations the viewer may start a copy of this plan for."""
    if not permissions.is_signed_in(viewer):
        return []
    return [
        membership.organisation
        for membership in viewer.memberships
        if membership.is_approved
        and permissions.can_copy_plan(viewer, plan, membership.organisation)
    ]


def carried_out_by(plan: Plan, viewer: Any) -> list:
    """The tenders, criteria and lessons linked as carrying out the plan, that the viewer may see."""
    return [
        link.target
        for link in plan.outgoing_links
        if link.relation == "carried_out_by" and permissions.can_view_item(viewer, link.target)
    ]


def report_context(plan: Plan, viewer: Any, year: int) -> dict:
    """The yearly report: each goal's values up to the year, the actions by status, and what
    carries the plan out."""
    goals = goal_progress(plan, viewer)
    for goal in goals:
        goal.values = [(y, v) for y, v in goal.values if y <= year]
    actions: dict[str, list[dict]] = {}
    for action in plan.actions:
        actions.setdefault(action["status"], []).append(action)
    roles = {role.slug: role for role in db.session.scalars(select(JobRole))}
    return {
        "goals": goals,
        "actions_by_status": actions,
        "roles": roles,
        "carried_out_by": carried_out_by(plan, viewer),
    }
