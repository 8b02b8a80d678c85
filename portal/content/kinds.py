"""The registry of knowledge kinds. Each kind package declares its own KindSpec and the app
registers it (`register_kind`); the shared machinery reads only the specs, never a kind's name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from portal.content.models import Item


@dataclass(frozen=True)
class ListFilter:
    """One extra filter on a kind's list page: a <select> named `arg`."""

    arg: str  # the query parameter, e.g. "procedure"
    label: Any  # lazily translated
    any_label: Any  # the empty choice: "Alle procedures"
    options: Callable[[], list[tuple[str, str]]]  # (value, label), read per request
    where: Callable[[str], ColumnElement[bool] | None]  # the condition for a chosen value


@dataclass(frozen=True)
class KindSpec:
    key: str  # stored in items.kind
    url: str  # URL segment: /aanbestedingen/...
    model: type[Item]
    label: Any  # singular, lazily translated ("Voorbeeldaanbesteding")
    plural: Any
    intro: Any
    badge: Any  # the short label on cards and pages ("Aanbesteding")
    apply_fields: Callable[[Item, dict], None]  # validate and set the kind's own fields
    form: type  # the create/edit form: portal.content.forms.ItemForm or a subclass
    list_filters: tuple[ListFilter, ...] = ()
    # The list's own default order ("datum"), e.g. events: upcoming first.
    list_order: Callable[[], tuple] | None = None
    # Extra template values for the detail page: detail_context(item, user) -> dict.
    detail_context: Callable[[Item, Any], dict] | None = None
    # Templates the shared pages include: the kind's facts, extra buttons, extra list links.
    detail_template: str | None = None
    actions_template: str | None = None
    list_template: str | None = None
    # The date on the kind's cards instead of the year (events: when they take place).
    card_date: Callable[[Item], str] | None = None
    shows_body: bool = True  # the shared "Toelichting" section (a question shows its body itself)
    # Search: attributes whose text is indexed with the body, and whose term names with the
    # taxonomy; facet_values(ids) -> {id: {facet: values}} for the search page's facets.
    text_fields: tuple[str, ...] = ()
    term_fields: tuple[str, ...] = ()
    facet_values: Callable[[list[int]], dict[int, dict[str, frozenset[str]]]] | None = None
    # The concrete examples buyers ask for first rank a little above questions and events.
    search_boost: float = 1.0
    # answered(ids) -> the ids with an accepted or verified answer (ranked a little higher).
    answered: Callable[[list[int]], set[int]] | None = None
    # Links an editor may make from this kind: target kind -> relation; "*" for any kind.
    links: dict[str, str] = field(default_factory=dict)
    # A piece of knowledge (an example, a criterion, a lesson ...), not a conversation or a
    # meeting: a working group page lists it as "Gedeeld met deze werkgroep".
    knowledge: bool = True
    # Shown in dossiers (theme, product group, organisation pages) and on list-like overviews.
    in_dossier: bool = True
    # Told to followers when published (a question tells the people it is addressed to itself).
    announce: bool = True
    # The version history reads each field's label and value from the kind's form; these name
    # what the form does not: labels of other snapshot fields, the model whose slugs a field holds
    # (shown by name), and fields that name another item by its slug (shown by its title).
    field_labels: dict[str, Any] = field(default_factory=dict)
    field_terms: dict[str, type] = field(default_factory=dict)
    reference_fields: tuple[str, ...] = ()
    # The list's CSV/XLSX download: columns of the kind's own after the shared ones
    # (portal.exports.Column, read from an item), and loader options that fetch what they read.
    export_columns: Callable[[], tuple[Any, ...]] | None = None
    export_options: Callable[[], tuple[Any, ...]] | None = None
    # The page's schema.org description (portal/content/linked_data.py): linked_data(item) -> the
    # kind's own properties over the shared ones ("@type" among them: Event, QAPage ...).
    linked_data: Callable[[Item], dict[str, Any]] | None = None

    def relation_to(self, target: KindSpec) -> str | None:
        return self.links.get(target.key) or self.links.get("*")


_REGISTRY: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Add (or replace) a kind; the app registers its kinds before the first request.

    A kind without a name, plural or badge is refused: lists, dossiers and search facets head and
    label its items with them, and an empty one makes an empty heading."""
    for name in ("label", "plural", "badge"):
        if not str(getattr(spec, name) or "").strip():
            raise ValueError(f"kind {spec.key!r} has no {name}")
    _REGISTRY[spec.key] = spec
    return spec


def unregister_kind(key: str) -> None:
    _REGISTRY.pop(key, None)


def kinds() -> dict[str, KindSpec]:
    return _REGISTRY


def kind_of(item: Item) -> KindSpec:
    return _REGISTRY[item.kind]


def by_url(segment: str) -> KindSpec | None:
    return next((spec for spec in _REGISTRY.values() if spec.url == segment), None)


def ordered(keys: Iterable[str]) -> list[KindSpec]:
    """The specs of these keys, in registration order."""
    wanted = set(keys)
    return [spec for key, spec in _REGISTRY.items() if key in wanted]


def linkable_kinds(spec: KindSpec) -> list[KindSpec]:
    """The kinds an item of spec may be linked with, from its own page (either direction)."""
    return [
        other
        for other in _REGISTRY.values()
        if spec.relation_to(other) is not None or other.relation_to(spec) is not None
    ]
