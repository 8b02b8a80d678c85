"""Market consultation (marktconsultatie): what was asked of the market and what changed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.content.models import Item

FORMATS = ("rfi", "marktdag", "een-op-een-gesprekken", "schriftelijke-vragenlijst", "overig")
STATES = ("gepland", "gehouden")


class Consultation(Item):
    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint("state in ('gepland', 'gehouden')", name="state"),
        CheckConstraint(
            "participants_count IS NULL OR participants_count >= 0", name="participants"
        ),
    )
    __mapper_args__ = {"polymorphic_identity": "consultation"}

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(30), default="overig")
    consultation_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="gehouden")
    participation: Mapped[str] = mapped_column(Text, default="")
    questions_md: Mapped[str] = mapped_column(Text, default="")
    questions_html: Mapped[str] = mapped_column(Text, default="")
    participants_count: Mapped[int | None] = mapped_column(Integer)
    participants_kind: Mapped[str] = mapped_column(String(300), default="")
    outcome_md: Mapped[str] = mapped_column(Text, default="")
    outcome_html: Mapped[str] = mapped_column(Text, default="")
    changes_after_md: Mapped[str] = mapped_column(Text, default="")
    changes_after_html: Mapped[str] = mapped_column(Text, default="")

    def kind_fields(self) -> dict:
        return {
            "purpose": self.purpose,
            "format": self.format,
            "consultation_date": self.consultation_date.isoformat()
            if self.consultation_date
            else None,
            "state": self.state,
            "participation": self.participation,
            "questions": self.questions_md,
            "participants_count": self.participants_count,
            "participants_kind": self.participants_kind,
            "outcome": self.outcome_md,
            "changes_after": self.changes_after_md,
        }
