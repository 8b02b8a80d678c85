"""Follows and notifications: members follow themes, product groups, organisations, regions,
working groups and single items; what happens there reaches them in the site and by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.common import utcnow
from portal.content.models import Item
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.organisations.models import Organisation
from portal.regions.models import Region
from portal.taxonomy.models import ProductGroup, Theme

FOLLOW_TARGETS = ("theme", "product_group", "organisation", "region", "group", "item")


def follow_models() -> dict[str, tuple[type, str | None]]:
    """Follow target type -> (its model, the endpoint of its page; items have their kind's)."""

    return {
        "theme": (Theme, "taxonomy.theme"), "product_group": (ProductGroup, "taxonomy.product_group"),
        "organisation": (Organisation, "organisations.show"), "region": (Region, "regions.show"),
        "group": (WorkingGroup, "groups.show"), "item": (Item, None),
    }  # fmt: skip


FREQUENCIES = ("immediate", "daily", "weekly", "never")


class Follow(db.Model):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id"),
        CheckConstraint(
            "target_type in ('theme', 'product_group', 'organisation', 'region', 'group', 'item')",
            name="target_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(db.Model):
    """One notice for one member. `key` makes a notice for the same event impossible to store twice;
    `mailed_at` is set when it went out by e-mail (alone or in a digest), so nothing is mailed twice."""

    __tablename__ = "notifications"
    # Key first: the unique index also serves "who already has this notice" (fanout.notify).
    __table_args__ = (UniqueConstraint("key", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    # The item it is about: access is checked again when shown or mailed.
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
