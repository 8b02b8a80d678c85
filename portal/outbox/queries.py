"""What waits in the outbox: per topic, how many, how old the oldest, how many are failing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from portal.common import as_utc, utcnow
from portal.extensions import db
from portal.outbox.models import OutboxMessage


@dataclass(frozen=True)
class Waiting:
    topic: str
    count: int
    failing: int  # tried at least once and not delivered yet
    oldest: datetime
    attempts: int  # the most attempts of any of them

    @property
    def age_seconds(self) -> float:
        return max(0.0, (utcnow() - as_utc(self.oldest)).total_seconds())


def waiting() -> list[Waiting]:
    """Undelivered messages per topic (topics with none are left out)."""
    rows = db.session.execute(
        select(
            OutboxMessage.topic,
            func.count(OutboxMessage.id),
            func.sum(case((OutboxMessage.attempts > 0, 1), else_=0)),
            func.min(OutboxMessage.created_at),
            func.max(OutboxMessage.attempts),
        )
        .where(OutboxMessage.delivered_at.is_(None))
        .group_by(OutboxMessage.topic)
        .order_by(OutboxMessage.topic)
    ).all()
    return [Waiting(topic, count, int(failing or 0), oldest, attempts)
            for topic, count, failing, oldest, attempts in rows]  # fmt: skip


def last_error() -> str:
    return (
        db.session.scalar(
            select(OutboxMessage.last_error)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.last_error != "")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        or ""
    )
