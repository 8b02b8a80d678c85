"""Money, numbers, dates and times in the page's (or mail's) language: the one place they are
formatted, with Flask-Babel and the CLDR patterns of the current locale. Templates use them as
the filters `money`, `number`, `date`, `datetime`, `day` and `time` (portal/templating.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal
from flask_babel import format_date, format_datetime, format_time
from flask_babel import get_locale as _get_locale

Number = int | float | Decimal


def _locale() -> Locale:
    """The current locale; Dutch outside a request (CLI, seeds, import time)."""
    return _get_locale() or Locale.parse("nl")


def money(value: Number | None) -> str:
    """An amount in euros: '€ 16.000.000' on Dutch pages, '€16,000,000' on English ones (cents
    only when there are any)."""
    if value is None or value == "":
        return ""
    pattern = _locale().currency_formats["standard"].pattern
    if value == int(value):
        pattern = pattern.replace(".00", "")
    return format_currency(value, "EUR", format=pattern, currency_digits=False, locale=_locale())


def number(value: Number | None, pattern: str | None = None) -> str:
    """A number with the locale's grouping and decimal signs: '16.000' or '16,000'."""
    if value is None or value == "":
        return ""
    return format_decimal(value, pattern, locale=_locale())


def long_date(value: date | datetime | None, fmt: str = "long") -> str:
    """'6 december 2026' or 'December 6, 2026' (a moment in Dutch time)."""
    return format_date(value, fmt) if value else ""


def long_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A date with its time, in Dutch time."""
    return format_datetime(value, fmt) if value else ""


def day(value: datetime | None) -> str:
    """The day with its short weekday: 'do 10 december 2026' or 'Thu, December 10, 2026' (the
    locale's full date pattern with a short weekday name)."""
    if not value:
        return ""
    pattern = _locale().date_formats["full"].pattern.replace("EEEE", "EEE")
    return format_datetime(value, pattern)


def clock(value: datetime | None) -> str:
    """The time of day in Dutch time: '13:30' or '1:30 PM'."""
    return format_time(value, "short") if value else ""
