"""Event pages beyond the shared item pages: sign up, cancel, and calendar files and feeds."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.content.views import follow_renamed
from portal.events import calendar, queries, services
from portal.events.models import Event, moment_text, period_text
from portal.events.queries import upcoming_events
from portal.extensions import db
from portal.forms import button_action
from portal.groups.models import WorkingGroup
from portal.pagecache import cache_pages
from portal.sections import add_section

bp = Blueprint("events", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py
CALENDAR_TYPE = "text/calendar; charset=utf-8"


@bp.app_template_global()
def event_period(event: Event) -> str:
    return period_text(event.starts_at, event.ends_at)


@bp.app_template_global()
def event_moment(moment) -> str:
    return moment_text(moment)


def _load(slug: str) -> Event:
    """The event, or 404 also when the visitor may not see it (its existence must not leak)."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        follow_renamed(Event, slug)
    if event is None or not permissions.can_view_item(current_user, event):
        abort(404)
    return event


@bp.route("/bijeenkomsten/<slug>/aanmelden", methods=["POST"])
@login_required
def register(slug: str):
    event = _load(slug)

    def told(registration) -> tuple[str, str]:
        if registration.status == "waitlist":
            return _(
                "De bijeenkomst is vol. U staat op de wachtlijst (plaats %(n)d); komt er een plaats vrij, dan wordt u automatisch aangemeld en krijgt u een e-mail.",
                n=queries.waitlist_position(registration),
            ), "info"  # fmt: skip
        return _("U bent aangemeld voor '%(title)s'.", title=event.title), "success"

    return button_action(
        permissions.can_register_for_event(current_user, event),
        lambda: services.register_for_event(event, actor=current_user),
        told,
        url_for("content.show", spec="event", slug=event.slug),
    )


@bp.route("/bijeenkomsten/<slug>/afmelden", methods=["POST"])
@login_required
def cancel(slug: str):
    event = _load(slug)
    return button_action(
        permissions.can_cancel_event_registration(current_user, event),
        lambda: services.cancel_registration(event, actor=current_user),
        _("U bent afgemeld voor '%(title)s'.", title=event.title),
        url_for("content.show", spec="event", slug=event.slug),
    )


def _calendar_response(body: str, filename: str | None = None):
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
    return current_app.response_class(body, content_type=CALENDAR_TYPE, headers=headers)


@bp.route("/bijeenkomsten/<slug>.ics")
def event_calendar(slug: str):
    event = _load(slug)
    return _calendar_response(calendar.calendar([event]), f"{event.slug}.ics")


@bp.route("/bijeenkomsten/agenda.ics")
def agenda_feed():
    return _calendar_response(
        calendar.calendar(queries.feed_events(), name=_("Bijeenkomsten MVI-kennisportaal"))
    )


@bp.route("/werkgroepen/<slug>/agenda.ics")
def group_feed(slug: str):
    group = db.first_or_404(select(WorkingGroup).where(WorkingGroup.slug == slug))
    return _calendar_response(
        calendar.calendar(
            queries.feed_events(group=group), name=_("Bijeenkomsten %(group)s", group=group.name)
        )
    )


@add_section("groups.show", "events/_group_section.html", order=30)
def _group_events(group: WorkingGroup, user) -> dict:
    return {"group": group, "events": upcoming_events(user, group=group)}
