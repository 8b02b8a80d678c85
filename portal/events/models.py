"""Event (bijeenkomst): a meeting with a time, a place or link, an agenda, and registrations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common import as_utc, utcnow
from portal.content.models import Item
from portal.extensions import db
from portal.formatting import clock, day

if TYPE_CHECKING:
    from portal.accounts.models import User

# Entered and shown in Dutch time; stored in UTC.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EVENT_TYPES = ("regionale-bijeenkomst", "marktbijeenkomst", "webinar", "werkgroepoverleg")
REGISTRATION_STATUSES = ("registered", "waitlist", "cancelled")


def local_time(moment: datetime) -> datetime:
    """Return moment in Europe/Amsterdam time (SQLite hands back naive UTC values)."""
    return as_utc(moment).astimezone(AMSTERDAM)


def period_text(starts_at: datetime, ends_at: datetime) -> str:
    """'do 4 december 2026, 13:30–16:00' in the visitor's language, in Dutch time."""
    start, end = local_time(starts_at), local_time(ends_at)
    if start.date() == end.date():
        return f"{day(start)}, {clock(start)}–{clock(end)}"
    return f"{day(start)}, {clock(start)} – {day(end)}, {clock(end)}"


def moment_text(moment: datetime) -> str:
    """'wo 2 december 2026, 17:00' in the visitor's language, in Dutch time."""
    return f"{day(local_time(moment))}, {clock(local_time(moment))}"


def _local_iso(moment: datetime | None) -> str | None:
    return local_time(moment).isoformat(timespec="minutes") if moment else None


class Event(Item):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            "event_type in ('regionale-bijeenkomst', 'marktbijeenkomst', 'webinar', 'werkgroepoverleg')",
            name="event_type",
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
    )
    __mapper_args__ = {"polymorphic_identity": "event"}
    # A public event of a working group stays on that group's page and agenda.
    keeps_group: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(30), default="regionale-bijeenkomst")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(300), default="")
    agenda_md: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    registration_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report_md: Mapped[str] = mapped_column(Text, default="")
    report_html: Mapped[str] = mapped_column(Text, default="")

    registrations: Mapped[list[EventRegistration]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventRegistration.id"
    )

    @property
    def period(self) -> str:
        return period_text(self.starts_at, self.ends_at)

    @property
    def has_started(self) -> bool:
        return as_utc(self.starts_at) <= utcnow()

    @property
    def has_ended(self) -> bool:
        return as_utc(self.ends_at) <= utcnow()

    def kind_fields(self) -> dict:
        return {
            "event_type": self.event_type,
            "starts_at": _local_iso(self.starts_at),
            "ends_at": _local_iso(self.ends_at),
            "location": self.location,
            "online_url": self.online_url,
            "agenda": self.agenda_md,
            "capacity": self.capacity,
            "registration_deadline": _local_iso(self.registration_deadline),
            "report": self.report_md,
        }


class EventRegistration(db.Model):
    """One member's sign-up for an event; the waiting list is ordered by updated_at (when they
    joined it)."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        db.UniqueConstraint("event_id", "user_id"),
        CheckConstraint("status in ('registered', 'waitlist', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="registered")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[Event] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship()
