"""The columns of a download of knowledge items: the ones every kind shares, then the kind's own
(its spec's export_columns), for lists and search results alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.content.kinds import KindSpec, kinds
from portal.content.models import Item
from portal.exports import DATE, INT, URL, Column
from portal.extensions import db, id_among
from portal.mail import absolute_url


def item_url(item: Item) -> str:
    """The item's page from PUBLIC_URL: a file outlives the request (and its Host header)."""
    return absolute_url("content.show", spec=item.kind, slug=item.slug)


def kind_name(item: Item) -> str:
    spec = kinds().get(item.kind)
    return str(spec.badge) if spec is not None else item.kind


KIND = Column(_l("Soort"), kind_name)


def shared_columns() -> list[Column]:
    return [
        Column(_l("Titel"), lambda item: item.title),
        Column(_l("Organisatie"), lambda item: item.organisation.name),
        Column(_l("Jaar"), lambda item: item.year, INT),
        Column(_l("Thema's"), lambda item: [theme.label for theme in item.themes]),
        Column(_l("Productgroepen"), lambda item: [group.label for group in item.product_groups]),
        Column(_l("Gepubliceerd"), lambda item: item.published_at, DATE),
        Column(_l("Samenvatting"), lambda item: item.summary),
        Column(_l("Adres (URL)"), item_url, URL),
    ]


def columns_for(spec: KindSpec) -> list[Column]:
    """A kind list's columns: the shared ones, then the kind's own."""
    own = list(spec.export_columns()) if spec.export_columns else []
    return [*shared_columns(), *own]


def loader_options(spec: KindSpec | None = None) -> list:
    """What the columns read, fetched in a few queries instead of one per item."""
    options = [
        selectinload(Item.organisation),
        selectinload(Item.themes),
        selectinload(Item.product_groups),
    ]
    if spec is not None and spec.export_options:
        options += list(spec.export_options())
    return options


def items_by_id(ids: list[int]) -> dict[int, Item]:
    """These items (each as its own kind's class), with what the shared columns read."""
    found: dict[int, Item] = {}
    for start in range(0, len(ids), 5_000):  # SQLite's parameter limit
        chunk = ids[start : start + 5_000]
        statement = select(Item).where(id_among(Item.id, chunk)).options(*loader_options())
        found.update((item.id, item) for item in db.session.scalars(statement))
    return found
