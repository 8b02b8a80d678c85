"""The main menu: its entries, and which one holds the page being shown (marked
aria-current). main sits on top of every package, so it may name them all."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: object
    endpoint: str
    values: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **dict(self.values))


MENU = (
    MenuEntry("home", _l("Home"), "main.home"),
    MenuEntry("knowledge", _l("Kennis"), "content.overview"),
    MenuEntry("themes", _l("Thema's"), "taxonomy.themes"),
    MenuEntry("questions", _l("Vragen"), "questions.index"),
    MenuEntry("product_groups", _l("Productgroepen"), "taxonomy.product_groups"),
    MenuEntry("organisations", _l("Organisaties"), "organisations.index"),
    MenuEntry("regions", _l("Regio's"), "regions.index"),
    MenuEntry("groups", _l("Werkgroepen"), "groups.index"),
    MenuEntry("calendar", _l("Inkoopkalender"), "planning.index"),
    MenuEntry("events", _l("Bijeenkomsten"), "content.index", (("spec", "event"),)),
    MenuEntry("monitor", _l("MVI-monitor"), "monitor.national"),
)

# The kinds with an entry of their own; every other kind is knowledge.
KIND_ENTRIES = {"question": "questions", "event": "events"}
# Blueprints whose pages all belong to one entry.
BLUEPRINT_ENTRIES = {
    "criteria": "knowledge",
    "questions": "questions",
    "events": "events",
    "organisations": "organisations",
    "regions": "regions",
    "groups": "groups",
    "planning": "calendar",
}
ENDPOINT_ENTRIES = {
    "main.home": "home",
    "content.overview": "knowledge",
    "taxonomy.themes": "themes",
    "taxonomy.theme": "themes",
    "content.theme_feed": "themes",
    "taxonomy.product_groups": "product_groups",
    "taxonomy.product_group": "product_groups",
    "content.product_group_feed": "product_groups",
    "content.group_feed": "groups",
    "content.region_feed": "regions",
    "monitor.national": "monitor",
    "questions.members": "",  # the expert finder is nobody's section
    "questions.member": "",
}


def current_entry() -> str:
    """The key of the menu entry the current page belongs to ("" for none)."""
    endpoint = request.endpoint or ""
    if endpoint in ENDPOINT_ENTRIES:
        return ENDPOINT_ENTRIES[endpoint]
    spec = (request.view_args or {}).get("spec")
    if spec is not None and hasattr(spec, "key"):
        return KIND_ENTRIES.get(spec.key, "knowledge")
    return BLUEPRINT_ENTRIES.get(endpoint.partition(".")[0], "")


def main_menu() -> list[tuple[MenuEntry, bool]]:
    """Each entry with whether it holds the current page."""
    current = current_entry()
    return [(entry, entry.key == current) for entry in MENU]
