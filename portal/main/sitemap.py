"""sitemap.xml: the public pages and every item an anonymous visitor finds, for search engines.

The items are read with the one visibility rule (`content.queries.visible_to` for an anonymous
visitor): a draft, a members-only or group item, or one a moderator hid never appears. Links are
absolute from PUBLIC_URL, as in mail and downloads. main sits on top of every package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from portal.content.kinds import kinds
from portal.content.models import Item
from portal.content.queries import visible_to
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.mail import absolute_url
from portal.organisations.models import Organisation
from portal.regions.models import Region
from portal.taxonomy.models import ProductGroup, Theme

# The protocol allows 50,000 URLs a file; fewer keep each file quick to build and to fetch.
ITEMS_PER_SITEMAP = 5_000
# Pages anyone may open that stand on their own (list pages of each kind are added per kind).
PAGE_ENDPOINTS = (
    "main.home", "content.overview", "taxonomy.themes", "taxonomy.product_groups",
    "organisations.index", "regions.index", "groups.index", "planning.index", "monitor.national",
    "questions.index", "main.accessibility", "main.privacy",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    url: str
    modified: datetime | None = None


def item_sitemaps() -> int:
    """How many files the public items take (0 when none is public)."""
    count = db.session.scalar(select(func.count(Item.id)).where(*visible_to(AnonymousUserMixin())))
    return -(-(count or 0) // ITEMS_PER_SITEMAP)


def item_entries(number: int) -> list[Entry]:
    """The public items of file `number` (from 1), oldest first so the files stay stable."""
    rows = db.session.execute(
        select(Item.kind, Item.slug, Item.updated_at)
        .where(*visible_to(AnonymousUserMixin()))
        .order_by(Item.id)
        .offset((number - 1) * ITEMS_PER_SITEMAP)
        .limit(ITEMS_PER_SITEMAP)
    )
    return [
        Entry(absolute_url("content.show", spec=kind, slug=slug), modified)
        for kind, slug, modified in rows
    ]


def page_entries() -> list[Entry]:
    """Overview pages, each kind's list, and the pages of active themes and product groups,
    organisations, regions and working groups (their public pages show only public content)."""
    entries = [Entry(absolute_url(endpoint)) for endpoint in PAGE_ENDPOINTS]
    entries += [Entry(absolute_url("content.index", spec=key)) for key in kinds()]
    for model, endpoint, active in (
        (Theme, "taxonomy.theme", Theme.is_active),
        (ProductGroup, "taxonomy.product_group", ProductGroup.is_active),
        (Organisation, "organisations.show", None),
        (Region, "regions.show", None),
        (WorkingGroup, "groups.show", None),
    ):
        query = select(model.slug).order_by(model.slug)
        if active is not None:
            query = query.where(active)
        entries += [Entry(absolute_url(endpoint, slug=slug)) for slug in db.session.scalars(query)]
    return entries
