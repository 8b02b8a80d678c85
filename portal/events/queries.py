"""Read queries for events: seats and waiting list, who comes, upcoming lists and feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.accounts.models import User
from portal.common import as_utc, utcnow
from portal.content.queries import published_items
from portal.events.models import Event, EventRegistration, moment_text
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.organisations.models import Membership

# Feeds show upcoming events and those of the last few months (so a calendar keeps its history).
RECENT_DAYS = 90


@dataclass(frozen=True)
class Attendance:
    registered: int
    waitlist: int
    capacity: int | None

    @property
    def free(self) -> int | None:
        """Seats left; None when the number of seats is unlimited."""
        return None if self.capacity is None else max(self.capacity - self.registered, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity


def attendance(event: Event) -> Attendance:
    counts = dict(
        db.session.execute(
            select(EventRegistration.status, func.count(EventRegistration.id))
            .where(EventRegistration.event_id == event.id)
            .group_by(EventRegistration.status)
        ).all()
    )
    return Attendance(counts.get("registered", 0), counts.get("waitlist", 0), event.capacity)


def registration_of(event: Event, user) -> EventRegistration | None:
    if not permissions.is_signed_in(user) or user is permissions.SYSTEM:
        return None
    return db.session.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.user_id == user.id
        )
    )


def waitlist_position(registration: EventRegistration) -> int:
    """1 for the first person waiting, and so on."""
    ahead = db.session.scalar(
        select(func.count(EventRegistration.id)).where(
            EventRegistration.event_id == registration.event_id,
            EventRegistration.status == "waitlist",
            (EventRegistration.updated_at < registration.updated_at)
            | (
                (EventRegistration.updated_at == registration.updated_at)
                & (EventRegistration.id < registration.id)
            ),
        )
    )
    return (ahead or 0) + 1


def waiting_list(event: Event):
    """The query for the waiting list, first come first served."""
    return (
        select(EventRegistration)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == "waitlist")
        .order_by(EventRegistration.updated_at, EventRegistration.id)
    )


def attendees(event: Event) -> list[EventRegistration]:
    """Registered people first (in sign-up order), then the waiting list."""

    rows = db.session.scalars(
        select(EventRegistration)
        .where(
            EventRegistration.event_id == event.id,
            EventRegistration.status.in_(("registered", "waitlist")),
        )
        .options(
            selectinload(EventRegistration.user)
            .selectinload(User.memberships)
            .selectinload(Membership.organisation)  # the list shows each person's organisation
        )
        .order_by(
            case((EventRegistration.status == "registered", 0), else_=1),
            EventRegistration.updated_at,
            EventRegistration.id,
        )
    )
    return list(rows)


def closed_reason(event: Event) -> str | None:
    """Why nobody can sign up now (in Dutch), or None when registration is open."""
    if event.status != "published":
        return _("Aanmelden kan alleen voor een gepubliceerde bijeenkomst.")
    if event.has_started:
        return _("Deze bijeenkomst is al begonnen of voorbij; aanmelden kan niet meer.")
    deadline = event.registration_deadline
    if deadline is not None and as_utc(deadline) < utcnow():
        return _(
            "De aanmeldtermijn is gesloten op %(date)s.",
            date=moment_text(deadline),
        )
    return None


def upcoming_first() -> tuple:
    """List order: events not yet over, soonest first; then past events, latest first."""
    upcoming = Event.ends_at >= utcnow()
    return (
        case((upcoming, 0), else_=1),
        case((upcoming, Event.starts_at), else_=None).asc(),
        Event.starts_at.desc(),
    )


def upcoming_events(user, *, group: WorkingGroup | None = None, limit: int = 20) -> list[Event]:
    """Published events user may see that have not ended yet, soonest first."""
    query = published_items(user, Event).where(Event.ends_at >= utcnow())
    if group is not None:
        query = query.where(Event.group_id == group.id)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))


def feed_events(*, group: WorkingGroup | None = None, limit: int = 200) -> list[Event]:
    """Public, published events for calendar feeds: upcoming and of the last RECENT_DAYS days.

    Feeds are fetched without signing in, so members-only and group-only events never appear.
    """
    query = (
        select(Event)
        .where(
            Event.status == "published",
            Event.visibility == "public",
            Event.hidden_at.is_(None),
            Event.ends_at >= utcnow() - timedelta(days=RECENT_DAYS),
        )
        .options(selectinload(Event.organisation))
    )
    if group is not None:
        query = query.where(Event.group_id == group.id)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))


def detail_context(event: Event, user) -> dict:
    """What the event page shows beyond the shared item page."""
    registration = registration_of(event, user)
    if registration is not None and registration.status == "cancelled":
        registration = None
    return {
        "attendance": attendance(event),
        "registration": registration,
        "waitlist_position": waitlist_position(registration)
        if registration is not None and registration.status == "waitlist"
        else None,
        "closed_reason": closed_reason(event),
        "attendees": attendees(event) if permissions.can_see_event_attendees(user, event) else None,
    }
