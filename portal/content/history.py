"""An item's version history as a reader sees it: each version's changes as lines "label: value",
with the labels of the fields (from the kind's form and spec) and their values as people read them
(names of themes, product groups and organisations, yes/no, money, dates, rows) instead of keys
and JSON."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_datetime
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectFieldBase
from wtforms.fields.core import UnboundField

from portal import permissions
from portal.content.forms import (
    STATUS_CHOICES,
    VISIBILITY_CHOICES,
    MoneyField,
    RepeatingRows,
    TermSelectField,
)
from portal.content.kinds import KindSpec, kind_of
from portal.content.models import Item, Revision
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.permissions import Actor
from portal.taxonomy.models import ProductGroup, Theme

# The fields every item has, in the order the history shows them.
SHARED_LABELS = {
    "title": _l("Titel"),
    "summary": _l("Samenvatting"),
    "body": _l("Tekst"),
    "themes": _l("Thema's"),
    "product_groups": _l("Productgroepen"),
    "tags": _l("Tags"),
    "year": _l("Jaar"),
    "status": _l("Status"),
    "visibility": _l("Wie mag dit zien"),
    "group": _l("Werkgroep"),
    "co_owners": _l("Mede-eigenaren"),
    "reviewed_at": _l("Laatst gecontroleerd op"),
}
SHARED_TERMS: dict[str, type] = {
    "themes": Theme,
    "product_groups": ProductGroup,
    "group": WorkingGroup,
}
SHARED_CHOICES = {"status": STATUS_CHOICES, "visibility": VISIBILITY_CHOICES}

Format = Callable[[Any], str]


def _money(value: Any) -> str:
    return f"€ {format_decimal(value)}"


def _yes_no(value: Any) -> str:
    return _("ja") if value else _("nee")


def _date(value: Any) -> str:
    return format_date(date.fromisoformat(value), "long") if isinstance(value, str) else str(value)


def _local_datetime(value: Any) -> str:
    """An ISO time with its offset (events keep local time): shown in that time, not converted."""
    moment = datetime.fromisoformat(value)
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=moment.tzinfo, locale=get_locale())


def _named(model: type) -> Format:
    """Slugs of model shown by their names (a slug no longer known stays as it is)."""
    names: dict[str, str] | None = None

    def show(value: Any) -> str:
        nonlocal names
        if names is None:
            names = {
                slug: name for slug, name in db.session.execute(select(model.slug, model.name))
            }
        return names.get(value, str(value))

    return show


def _chosen(choices) -> Format:
    labels = {}
    for choice in choices or []:
        value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice
        labels[value] = label

    def show(value: Any) -> str:
        return str(labels.get(value, value))

    return show


def _unbound_fields(form_class: type) -> dict[str, UnboundField]:
    return {
        name: value
        for name in dir(form_class)
        if isinstance(value := getattr(form_class, name, None), UnboundField)
    }


def _label(unbound: UnboundField) -> Any:
    return unbound.kwargs.get("label") or (unbound.args[0] if unbound.args else None)


def _rows(row_form: type) -> Format:
    """Repeating rows (MVI rows, bids): one "label: value; …" per row."""
    parts = {name: (_label(f), _format_of(f)) for name, f in _unbound_fields(row_form).items()}

    def show(row: Any) -> str:
        if not isinstance(row, dict):
            return str(row)
        shown = []
        for name, value in row.items():
            if _is_empty(value) or (value is False and name in parts):
                continue
            label, fmt = parts.get(name, (name, str))
            shown.append(f"{label}: {fmt(value)}")
        return "; ".join(shown)

    return show


def _format_of(unbound: UnboundField) -> Format:
    """How a value of this form field reads: by the kind of field."""
    kind = unbound.field_class
    if issubclass(kind, RepeatingRows):
        return _rows(unbound.args[0].args[0])
    if issubclass(kind, TermSelectField):
        vocabulary = unbound.kwargs.get("vocabulary") or unbound.args[1]
        return _named(vocabulary)
    if issubclass(kind, SelectFieldBase) and unbound.kwargs.get("choices"):
        return _chosen(unbound.kwargs["choices"])
    if issubclass(kind, MoneyField):
        return _money
    if issubclass(kind, BooleanField):
        return _yes_no
    if issubclass(kind, DateTimeLocalField):
        return _local_datetime
    if issubclass(kind, DateField):
        return _date
    if issubclass(kind, IntegerField):
        return str  # years and counts: no thousands separator
    return str


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class FieldsOf:
    """Label and format of every snapshot field of one kind."""

    def __init__(self, spec: KindSpec, references: dict[str, str]) -> None:
        form_fields = _unbound_fields(spec.form)
        self.labels: dict[str, Any] = dict(SHARED_LABELS)
        self.formats: dict[str, Format] = {
            **{name: _named(model) for name, model in SHARED_TERMS.items()},
            **{name: _chosen(choices) for name, choices in SHARED_CHOICES.items()},
            "reviewed_at": _date,
        }
        for name, unbound in form_fields.items():
            if name in SHARED_LABELS:
                continue
            self.labels[name] = _label(unbound) or name
            self.formats[name] = _format_of(unbound)
        self.labels.update(spec.field_labels)
        for name, model in spec.field_terms.items():
            self.formats[name] = _named(model)
        for name in spec.reference_fields:
            self.formats[name] = lambda slug: references.get(slug, slug)

    def label(self, name: str) -> str:
        return str(self.labels.get(name, name))

    def lines(self, name: str, value: Any) -> list[str]:
        """The value as lines "label: value" (texts line by line, lists item by item)."""
        if _is_empty(value):
            return []
        label, fmt = self.label(name), self.formats.get(name, str)
        if isinstance(value, str) and fmt is str:
            return [f"{label}: {line}" for line in value.splitlines() if line.strip()]
        if isinstance(value, list):
            shown = [fmt(v) for v in value]
            rows = any(isinstance(v, dict) for v in value)
            if not rows and all("\n" not in v and len(v) < 80 for v in shown):
                return [f"{label}: {', '.join(shown)}"]
            return [f"{label}: {v}" for v in shown]
        return [f"{label}: {fmt(value)}"]


def _references(item: Item, viewer: Actor, spec: KindSpec) -> dict[str, str]:
    """Title of every item the history names (by slug), or a placeholder when the viewer may not
    see it (a history must not disclose a group-only or hidden item)."""
    slugs = {
        revision.snapshot.get("fields", {}).get(name)
        for revision in item.revisions
        for name in spec.reference_fields
    } - {None, ""}
    shown = {}
    for slug in slugs:
        target = db.session.scalar(select(Item).where(Item.slug == slug))
        visible = target is not None and permissions.can_list_item(viewer, target)
        shown[slug] = target.title if visible else _("(een item dat u niet kunt zien)")
    return shown


def visible_revisions(item: Item, viewer: Actor) -> list[Revision]:
    """The versions of item this viewer may see, oldest first."""
    return [r for r in item.revisions if permissions.can_view_revision(viewer, item, r.snapshot)]


def version_history(item: Item, viewer: Actor) -> list[tuple[Revision, list[str]]]:
    """Each version the viewer may see with its changes against the one before it (newest
    first); a change is a line "+label: value" or "-label: value"."""
    spec = kind_of(item)
    fields = FieldsOf(spec, _references(item, viewer, spec))
    hide = (
        set()
        if permissions.can_view_editorial_fields(viewer, item)
        else set(permissions.EDITORIAL_FIELDS)
    )
    history = []
    previous: list[str] = []
    for revision in visible_revisions(item, viewer):
        snapshot = revision.snapshot
        current = [
            line
            for name, value in [*snapshot.items(), *(snapshot.get("fields") or {}).items()]
            if name != "fields" and name not in hide
            for line in fields.lines(name, value)
        ]
        changes = [
            line for line in difflib.unified_diff(previous, current, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]  # fmt: skip
        history.append((revision, changes))
        previous = current
    return list(reversed(history))
