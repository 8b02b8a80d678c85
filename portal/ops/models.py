"""The schedule's memory: one row per job and period, so a job runs once per period and never
twice at once, however many workers or servers run the schedule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.common import utcnow
from portal.extensions import db


class ScheduledRun(db.Model):
    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))  # e.g. 2026-12-06, 2026-W49
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runner: Mapped[str] = mapped_column(String(120), default="")  # host and pid
    outcome: Mapped[str] = mapped_column(Text, default="")
