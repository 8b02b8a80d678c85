"""iCalendar (RFC 5545) files, written by hand: one VEVENT per event, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app

from portal.common import as_utc
from portal.events.models import Event
from portal.mail import absolute_url

MAX_OCTETS = 75  # per content line, without the CRLF (RFC 5545, 3.1)


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545, 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    data = line.encode("utf-8")
    pieces = []
    limit = MAX_OCTETS
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back up to the character's start
            cut -= 1
        pieces.append(data[:cut])
        data = data[cut:]
        limit = MAX_OCTETS - 1  # continuation lines start with a space
    pieces.append(data)
    return "\r\n ".join(piece.decode("utf-8") for piece in pieces)


def utc_stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _uid(event: Event) -> str:
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "mvi-portaal"
    return f"bijeenkomst-{event.id}@{host}"


def _description(event: Event, page_url: str) -> str:
    parts = [event.summary.strip()] if event.summary.strip() else []
    if event.online_url:
        parts.append(f"Online: {event.online_url}")
    parts.append(page_url)
    return "\n\n".join(parts)


def _vevent(event: Event) -> list[str]:
    page_url = absolute_url("content.show", spec="event", slug=event.slug)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_uid(event)}",
        f"DTSTAMP:{utc_stamp(event.updated_at)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(_description(event, page_url))}",
    ]
    location = event.location or event.online_url
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines.append(f"URL:{page_url}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Event], *, name: str | None = None) -> str:
    """A VCALENDAR with one VEVENT per event, CRLF line endings and folded lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//MVI-kennisportaal//Bijeenkomsten//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_vevent(event))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
