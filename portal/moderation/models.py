"""The audit log: every moderator decision, who made it and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.common import utcnow
from portal.extensions import db

ACTIONS = ("hide", "restore", "dismiss")


class ModerationLog(db.Model):
    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderator_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(10))
    # What it was about; kept as text too, so the log survives the item's deletion.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
