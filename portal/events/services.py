"""Event fields and registrations: sign up (or join the waiting list), cancel, promote the next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.common import ServiceError, clean_url, utcnow
from portal.content.validation import choice, markdown, text, whole_number
from portal.events import queries
from portal.events.models import AMSTERDAM, EVENT_TYPES, Event, EventRegistration
from portal.extensions import db, lock_row
from portal.mail import absolute_url, mail_to
from portal.permissions import (
    Actor,
    authorized_by,
    can_cancel_event_registration,
    can_register_for_event,
)

MAX_CAPACITY = 100000


def _moment(fields: dict, name: str, label: str, *, required: bool = False) -> datetime | None:
    """A date and time; without a zone it is Dutch time. Returned in UTC."""
    value = fields.get(name)
    if value in (None, ""):
        if required:
            raise ServiceError(_("Vul %(label)s in.", label=label), field=name)
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as error:
            raise ServiceError(
                _(
                    "%(label)s is geen geldige datum met tijd (jjjj-mm-dd uu:mm).",
                    label=label.capitalize(),
                ),
                field=name,
            ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    if not 1990 <= moment.year <= 2100:
        raise ServiceError(
            _("%(label)s ligt buiten 1990-2100.", label=label.capitalize()), field=name
        )
    return moment.astimezone(UTC)


def apply_fields(item: Event, fields: dict[str, Any]) -> None:
    """Validate an event's own fields and write them onto item."""
    event_type = choice(fields, "event_type", _("het soort bijeenkomst"), EVENT_TYPES)
    starts_at = _moment(fields, "starts_at", _("de begintijd"), required=True)
    ends_at = _moment(fields, "ends_at", _("de eindtijd"), required=True)
    if ends_at <= starts_at:
        raise ServiceError(_("De bijeenkomst moet eindigen na het begin."), field="ends_at")
    location = text(fields, "location", _("de plaats"), 300)
    online_url = clean_url(fields.get("online_url"), field="online_url")
    if not location and not online_url:
        raise ServiceError(
            _("Vul een plaats of een link voor online deelname in (of allebei)."),
            field="location",
        )
    # Read any whole number first, so 0 and -5 get the message that says what to do instead.
    capacity = whole_number(
        fields, "capacity", _("het aantal plaatsen"), low=-MAX_CAPACITY, high=MAX_CAPACITY
    )
    if capacity is not None and capacity < 1:
        raise ServiceError(
            _("Het aantal plaatsen moet minstens 1 zijn; laat het leeg voor onbeperkt."),
            field="capacity",
        )
    deadline = _moment(fields, "registration_deadline", _("de aanmeldtermijn"))
    if deadline is not None and deadline > starts_at:
        raise ServiceError(
            _("De aanmeldtermijn moet sluiten vóór het begin van de bijeenkomst."),
            field="registration_deadline",
        )
    item.event_type, item.starts_at, item.ends_at = event_type, starts_at, ends_at
    item.location, item.online_url, item.capacity = location, online_url, capacity
    item.registration_deadline = deadline
    item.agenda_md, item.agenda_html = markdown(fields, "agenda", _("het programma"))
    item.report_md, item.report_html = markdown(fields, "report", _("het verslag"))
    item.year = starts_at.astimezone(AMSTERDAM).year  # an event's year is when it takes place
    if item.id is not None:
        # More seats (or none to count) let the waiting list move up.
        _lock(item)
        _promote_waitlist(item)


def _lock(event: Event) -> None:
    """Hold the event row until commit, so two people cannot take the last seat."""
    lock_row(Event.__table__.c.capacity, event.id)


def _registered_count(event: Event) -> int:
    return db.session.scalar(
        select(func.count(EventRegistration.id)).where(
            EventRegistration.event_id == event.id, EventRegistration.status == "registered"
        )
    )


def _own_registration(event: Event, actor: Actor) -> EventRegistration | None:
    return db.session.scalar(
        select(EventRegistration)
        .where(EventRegistration.event_id == event.id, EventRegistration.user_id == actor.id)
        .execution_options(populate_existing=True)
    )


def _promote_waitlist(event: Event) -> list[EventRegistration]:
    """Give free seats to the waiting list in order, and tell each promoted person by mail."""
    if event.has_started:
        return []
    waiting = queries.waiting_list(event)
    if event.capacity is not None:
        free = event.capacity - _registered_count(event)
        if free <= 0:
            return []
        waiting = waiting.limit(free)
    promoted = list(db.session.scalars(waiting))
    now = utcnow()
    for registration in promoted:
        registration.status = "registered"
        registration.updated_at = now
        _mail_promotion(event, registration)
    db.session.flush()
    return promoted


def _mail_promotion(event: Event, registration: EventRegistration) -> None:

    url = absolute_url("content.show", spec="event", slug=event.slug)
    mail_to(
        registration.user,
        lambda: (
            _("U bent aangemeld voor '%(title)s'", title=event.title),
            _(
                "Beste %(name)s,\n\nEr is een plaats vrijgekomen bij '%(title)s' (%(when)s). "
                "U stond op de wachtlijst en bent nu aangemeld.\n\n"
                "Kunt u toch niet komen? Meld u dan af, zodat iemand anders uw plaats krijgt:\n%(url)s",
                name=registration.user.name,
                title=event.title,
                when=event.period,
                url=url,
            ),
        ),
    )


@authorized_by(can_register_for_event)
def register_for_event(event: Event, *, actor: Actor) -> EventRegistration:
    """Sign actor up, or put them on the waiting list when every seat is taken."""
    reason = queries.closed_reason(event)
    if reason:
        raise ServiceError(reason, status=409)
    _lock(event)
    registration = _own_registration(event, actor)
    if registration is not None and registration.status == "registered":
        raise ServiceError(_("U bent al aangemeld voor deze bijeenkomst."), status=409)
    if registration is not None and registration.status == "waitlist":
        raise ServiceError(_("U staat al op de wachtlijst voor deze bijeenkomst."), status=409)
    full = event.capacity is not None and _registered_count(event) >= event.capacity
    status = "waitlist" if full else "registered"
    if registration is None:
        registration = EventRegistration(event_id=event.id, user_id=actor.id, status=status)
        db.session.add(registration)
    else:  # signing up again after cancelling: to the back of the waiting list, if any
        registration.status = status
        registration.updated_at = utcnow()
    db.session.flush()
    return registration


@authorized_by(can_cancel_event_registration)
def cancel_registration(event: Event, *, actor: Actor) -> list[EventRegistration]:
    """Withdraw actor's sign-up (or waiting-list place); the seat goes to the first waiting.

    Returns the registrations promoted from the waiting list.
    """
    if event.has_started:
        raise ServiceError(
            _("Deze bijeenkomst is al begonnen of voorbij; afmelden kan niet meer."), status=409
        )
    _lock(event)
    registration = _own_registration(event, actor)
    if registration is None or registration.status == "cancelled":
        raise ServiceError(_("U bent niet aangemeld voor deze bijeenkomst."), status=409)
    had_seat = registration.status == "registered"
    registration.status = "cancelled"
    registration.updated_at = utcnow()
    db.session.flush()
    return _promote_waitlist(event) if had_seat else []
