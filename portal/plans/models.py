"""Action plan (actieplan): only what differs from every knowledge item."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import Item

# The most rows a plan takes per repeating group; more is refused, never cut off.
MAX_AMBITIONS = 12
MAX_GOALS = 24
MAX_MEASUREMENTS = 100
MAX_ACTIONS = 60
# How a goal's indicator is measured: by hand (measurements with year and source), or computed
# from the organisation's monitor (share of tenders with MVI, with the goal's theme, or the
# average weight of the theme's award criteria).
INDICATORS = ("handmatig", "aandeel-mvi", "aandeel-thema", "gewicht-thema")
THEME_INDICATORS = ("aandeel-thema", "gewicht-thema")
PERCENT_INDICATORS = ("aandeel-mvi", "aandeel-thema", "gewicht-thema")
DIRECTIONS = ("stijgen", "dalen")
ACTION_STATUSES = ("gepland", "bezig", "gereed", "vervallen")


class Plan(Item):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    # Per theme the ambition in the plan's words.
    ambitions: Mapped[list] = mapped_column(JSON, default=list)
    # SMART goals: theme, goal, indicator, direction, baseline (year), target (year), unit.
    goals: Mapped[list] = mapped_column(JSON, default=list)
    # Values of hand-measured goals: goal number, year, value, source.
    measurements: Mapped[list] = mapped_column(JSON, default=list)
    # Actions: what, for which goal, owner role, deadline, status, notes.
    actions: Mapped[list] = mapped_column(JSON, default=list)
    # The public plan this one was copied from (shown as its source, with attribution).
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), index=True
    )

    copied_from: Mapped[Item | None] = relationship(
        foreign_keys=[copied_from_id], primaryjoin="Plan.copied_from_id == Item.id"
    )

    __mapper_args__ = {"polymorphic_identity": "plan", "inherit_condition": id == Item.id}

    # The text search reads (SPEC.text_fields): the plan's ambitions, goals and actions in words.
    @property
    def ambitions_text(self) -> str:
        return "\n".join(row["ambition"] for row in self.ambitions)

    @property
    def goals_text(self) -> str:
        return "\n".join(row["goal"] for row in self.goals)

    @property
    def actions_text(self) -> str:
        return "\n".join(row["action"] for row in self.actions)

    def kind_fields(self) -> dict:
        return {
            "period_start": self.period_start,
            "period_end": self.period_end,
            "ambitions": self.ambitions,
            "goals": self.goals,
            "measurements": self.measurements,
            "actions": self.actions,
        }
