"""The event kind, as the shared item machinery sees it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.common import utcnow
from portal.content.kinds import KindSpec, ListFilter
from portal.content.linked_data import organisation
from portal.events.forms import EVENT_TYPE_CHOICES, EventForm
from portal.events.models import Event
from portal.events.queries import detail_context, upcoming_first
from portal.events.services import apply_fields

WHEN_CHOICES = [("komend", _l("Nog niet afgelopen")), ("geweest", _l("Afgelopen"))]


def linked_data(event: Event) -> dict:
    """schema.org Event: when, where (a place, online or both) and who organises it."""
    places = []
    if event.location:
        places.append({"@type": "Place", "name": event.location, "address": event.location})
    if event.online_url:
        places.append({"@type": "VirtualLocation", "url": event.online_url})
    mode = "Mixed" if len(places) == 2 else "Online" if event.online_url else "Offline"
    data = {
        "@type": "Event",
        "startDate": event.starts_at.isoformat(),
        "endDate": event.ends_at.isoformat(),
        "eventAttendanceMode": f"https://schema.org/{mode}EventAttendanceMode",
        "eventStatus": "https://schema.org/EventScheduled",
        "organizer": organisation(event.organisation),
    }
    if places:
        data["location"] = places if len(places) > 1 else places[0]
    return data


def _when(value: str):
    if value == "komend":
        return Event.ends_at >= utcnow()
    if value == "geweest":
        return Event.ends_at < utcnow()
    return None


SPEC = KindSpec(
    key="event",
    url="bijeenkomsten",
    model=Event,
    label=_l("Bijeenkomst"),
    plural=_l("Bijeenkomsten"),
    intro=_l(
        "Regionale bijeenkomsten, marktbijeenkomsten, webinars en werkgroepoverleggen: meld u "
        "aan, zet ze in uw agenda en lees achteraf het verslag."
    ),
    badge=_l("Bijeenkomst"),
    apply_fields=apply_fields,
    knowledge=False,
    form=EventForm,
    list_filters=(
        ListFilter(
            "soort",
            _l("Soort bijeenkomst"),
            _l("Alle soorten"),
            lambda: EVENT_TYPE_CHOICES,
            lambda value: Event.event_type == value[:30],
        ),
        ListFilter("wanneer", _l("Wanneer"), _l("Alles"), lambda: WHEN_CHOICES, _when),
    ),
    list_order=upcoming_first,
    card_date=lambda event: event.period,
    detail_context=detail_context,
    detail_template="events/_details.html",
    list_template="events/_list_links.html",
    text_fields=("location", "agenda_md", "report_md"),
    linked_data=linked_data,
)
