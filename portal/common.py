"""Small helpers shared by every domain package."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

import click
from flask import request

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def utcnow() -> datetime:
    """Return the current time in UTC (callable default for model columns)."""
    return datetime.now(UTC)


def current_language() -> str:
    """The language pages and mails are being made in: 'nl' or 'en' ('nl' outside a request)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "nl"


def as_utc(moment: datetime) -> datetime:
    """Return moment as an aware UTC datetime (SQLite hands back naive values)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def whole_number(raw: str | None, low: int = 0, high: int = 999_999_999) -> int | None:
    """raw as a whole number from low to high, or None. ASCII digits only: str.isdigit() also
    accepts '²', which int() refuses, and a number past a database integer fails on insert."""
    if raw is None or not re.fullmatch(r"[0-9]{1,9}", raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def slugify(text: str, max_length: int = 80) -> str:
    """Turn a Dutch name into a stable ASCII slug: 'Coördinator MVI' -> 'coordinator-mvi'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def normalize_email(email: str) -> str:
    """Compare e-mail addresses case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def email_domain(email: str) -> str:
    return normalize_email(email).rpartition("@")[2]


def is_safe_redirect(target: str | None) -> bool:
    """Allow only paths on this site as a `next` target (no scheme, host or '//' tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class ServiceError(Exception):
    """A refused write, with a Dutch message for the user and the HTTP status to answer with."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(value: str | None) -> str:
    """value on one line: line breaks and other control characters become single spaces.

    Used for every text that can end up in a mail header (titles, names, subjects): a CR or LF
    there would be refused by the mail library or, worse, start a header of its own.
    """
    return re.sub(r"\s+", " ", CONTROL_CHARS_RE.sub(" ", value or "")).strip()


def has_control_chars(value: str | None) -> bool:
    """True when value holds a line break or another control character (tabs included)."""
    return bool(CONTROL_CHARS_RE.search(value or ""))


def clean_text(
    value: str | None,
    *,
    limit: int,
    field: str,
    label: str,
    required: bool = False,
    single_line: bool = False,
) -> str:
    """Strip value and refuse it (in Dutch) when it is missing or longer than limit.

    single_line: fold line breaks and control characters into spaces (titles, names).
    """
    from flask_babel import gettext as _

    text = one_line(value) if single_line else (value or "").strip()
    # Browsers send line breaks as CRLF; store LF, so an unchanged text is saved unchanged.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if required and not text:
        raise ServiceError(_("Vul %(label)s in.", label=label), field=field)
    if len(text) > limit:
        raise ServiceError(
            _("%(label)s mag hoogstens %(n)d tekens lang zijn.", label=label.capitalize(), n=limit),
            field=field,
        )
    return text


def clean_url(value: str | None, *, field: str = "website") -> str:
    """Accept an empty value or an http(s) URL of at most 300 characters."""
    from flask_babel import gettext as _

    if value is not None and not isinstance(value, str):  # a number or a list from JSON
        raise ServiceError(_("Vul een volledig webadres in dat begint met https://."), field=field)
    url = (value or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > 300 or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ServiceError(_("Vul een volledig webadres in dat begint met https://."), field=field)
    return url


class CommandError(click.ClickException):
    """A refused CLI command: its Dutch message on stderr and exit 1, without click's English
    "Error:" in front."""

    def show(self, file=None) -> None:
        click.echo(f"Fout: {self.format_message()}", err=True)


def same_site_request() -> bool:
    """Whether a request came from this site's own pages, by what the browser says: the Fetch
    Metadata header (`Sec-Fetch-Site`), else `Origin`. A request with neither (an old browser,
    curl) is taken as the site's own; a browser always sends one of them on a cross-site post."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"
