"""Field cleaners shared by the kinds: dates, amounts, choices and Markdown, each with a Dutch error."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _

from portal.common import ServiceError, clean_text
from portal.extensions import db
from portal.formatting import number as format_number
from portal.html import render_markdown
from portal.lookups import by_slug


def text(fields: dict, name: str, label: str, limit: int = 4000, required: bool = False) -> str:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):  # an import line's number or list
        raise ServiceError(_("Vul bij %(label)s tekst in.", label=label), field=name)
    return clean_text(value, limit=limit, field=name, label=label, required=required)


def markdown(fields: dict, name: str, label: str, limit: int = 20000) -> tuple[str, str]:
    """Return (markdown, sanitised html) for a Markdown field."""
    source = text(fields, name, label, limit)
    return source, render_markdown(source)


def whole_number(
    fields: dict, name: str, label: str, *, low: int = 0, high: int = 10**12
) -> int | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)  # true, 1.5 or infinity from an import line: not a count
        number = int(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise ServiceError(
            _("%(label)s moet een geheel getal zijn.", label=label.capitalize()), field=name
        ) from error
    if not low <= number <= high:
        raise ServiceError(
            _(
                "%(label)s moet tussen %(low)s en %(high)s liggen.",
                label=label.capitalize(),
                low=format_number(low),
                high=format_number(high),
            ),
            field=name,
        )
    return number


def iso_date(fields: dict, name: str, label: str) -> date | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        moment = date.fromisoformat(str(value))
    except ValueError as error:
        raise ServiceError(
            _("%(label)s is geen geldige datum (jjjj-mm-dd).", label=label.capitalize()), field=name
        ) from error
    if not 1990 <= moment.year <= 2100:
        raise ServiceError(
            _("%(label)s ligt buiten 1990-2100.", label=label.capitalize()), field=name
        )
    return moment


def choice(
    fields: dict, name: str, label: str, allowed: tuple[str, ...], default: str | None = None
) -> str:
    value = fields.get(name) or default
    if value not in allowed:
        raise ServiceError(_("Kies een geldige waarde voor %(label)s.", label=label), field=name)
    return value


def term(fields: dict, name: str, model: type, label: str) -> Any:
    """Look a vocabulary term up by slug (or exact name); unknown values are refused."""
    value = fields.get(name)
    if value in (None, ""):
        return None
    found = by_slug(model, str(value))
    if found is None:
        from sqlalchemy import func, select

        found = db.session.scalar(select(model).where(func.lower(model.name) == str(value).lower()))
    if found is None:
        raise ServiceError(
            _("Onbekende waarde '%(value)s' voor %(label)s.", value=str(value)[:60], label=label),
            field=name,
        )
    return found


def value_range(
    fields: dict, low_label: str, high_label: str, *, high: int
) -> tuple[int | None, int | None]:
    """A range of whole euros from fields' value_min and value_max (each at most high): one end
    given stands for both; a high end below the low end is refused."""
    low_end = whole_number(fields, "value_min", low_label, high=high)
    high_end = whole_number(fields, "value_max", high_label, high=high)
    if low_end is not None and high_end is None:
        high_end = low_end
    if high_end is not None and low_end is None:
        low_end = high_end
    if low_end is not None and high_end is not None and high_end < low_end:
        raise ServiceError(
            _("De bovengrens van de waarde is lager dan de ondergrens."), field="value_max"
        )
    return low_end, high_end


def blank(value: Any) -> bool:
    """Is a form value empty (None, False or only spaces)?"""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def repeating_rows(
    rows: Any, group: str, row_label: str, plural: str, most: int, clean
) -> list[dict]:
    """Clean the filled rows of a repeating group; rows left or made empty are not kept.

    A problem names the field in its row ('mvi-1-note'), or else the row ('MVI-rij 2: ...').
    More than `most` filled rows is refused: a row is never dropped without the user knowing."""
    if rows in (None, ""):
        rows = []
    if not isinstance(rows, list):
        raise ServiceError(_("Geef %(rows)s als een lijst van rijen.", rows=plural), field=group)
    cleaned = []
    for index, row in enumerate(rows):
        if isinstance(row, dict) and all(blank(value) for value in row.values()):
            continue
        try:
            if not isinstance(row, dict):
                raise ServiceError(_("Deze rij heeft geen geldige vorm."))
            cleaned.append(clean(row))
        except ServiceError as error:
            if error.field:  # the form shows it at the field, in its row ('mvi-1-note')
                raise ServiceError(
                    error.message, field=f"{group}-{index}-{error.field}", status=error.status
                ) from error
            raise ServiceError(
                _("%(row)s %(n)d: %(message)s", row=row_label, n=index + 1, message=error.message),
                field=group,
                status=error.status,
            ) from error
    if len(cleaned) > most:
        raise ServiceError(
            _(
                "Vul hoogstens %(n)d %(rows)s in; nu zijn het er %(count)d. Maak de rijen leeg die weg mogen.",
                n=most,
                rows=plural,
                count=len(cleaned),
            ),
            field=group,
        )
    return cleaned


def line(row: dict, name: str, label: str, limit: int, required: bool = False) -> str:
    """A row's one-line text; line breaks become spaces, as a text input cannot show them."""
    value = row.get(name)
    if isinstance(value, str):
        value = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", value)
    return text({name: value}, name, label, limit, required=required)
