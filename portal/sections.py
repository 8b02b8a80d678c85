"""Sections that a higher package adds to a page of a lower one (a theme page shows the
knowledge on that theme; a region page its organisations), so the lower page never names it.

A package registers `values(**subject) -> dict | None` for a page and a template; the page's
view asks `sections_for(page, **subject)` and its template includes each with `section` set to
the values. None means the section has nothing to show here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Values = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    template: str
    values: Values
    order: int


_PAGES: dict[str, dict[str, Section]] = {}


def add_section(page: str, template: str, *, order: int = 50) -> Callable[[Values], Values]:
    """Register the decorated function's values for `page`, shown with `template`."""

    def register(values: Values) -> Values:
        _PAGES.setdefault(page, {})[template] = Section(template, values, order)
        return values

    return register


def sections_for(page: str, **subject: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template, values) of every section of this page with something to show, in order."""
    shown = []
    for section in sorted(_PAGES.get(page, {}).values(), key=lambda s: (s.order, s.template)):
        values = section.values(**subject)
        if values is not None:
            shown.append((section.template, values))
    return shown
