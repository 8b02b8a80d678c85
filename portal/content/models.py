"""The shared machinery of every knowledge item: one `items` row per item, per kind a table with
only what differs (joined-table inheritance), plus tags, links, revisions, attachments and marks."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import uuid4

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common import utcnow
from portal.extensions import db
from portal.taxonomy.models import ProductGroup, Theme

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.groups.models import WorkingGroup
    from portal.organisations.models import Organisation

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("public", "members", "group")
RELATIONS = ("used_in", "preceded", "about", "carried_out_by")


def new_external_id() -> str:
    return f"mvi-{uuid4()}"


def _link_table(name: str, target: str) -> Table:
    return Table(
        name,
        db.metadata,
        Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{target}_id", ForeignKey(f"{target}s.id", ondelete="CASCADE"), primary_key=True),
    )


item_themes = _link_table("item_themes", "theme")
item_product_groups = _link_table("item_product_groups", "product_group")
item_tags = _link_table("item_tags", "tag")
item_co_owners = _link_table("item_co_owners", "organisation")


class Tag(db.Model):
    """A free tag, stored normalised (lower case, single spaces) so 'MKI' and 'mki ' are one tag."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))


class Item(db.Model):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("status in ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("visibility in ('public', 'members', 'group')", name="visibility"),
        CheckConstraint("visibility != 'group' OR group_id IS NOT NULL", name="group_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Kept when the author deletes their account: the item then stands under the organisation.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_groups.id", ondelete="SET NULL"), index=True
    )
    # Stable across export, import, backup and title edits; made when the item is made.
    external_id: Mapped[str] = mapped_column(String(100), unique=True, default=new_external_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reviewed_at: Mapped[date | None] = mapped_column(Date)
    # A plain counter: no visitor, IP address or cookie is stored with it.
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    useful_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set by a moderator: then the item is 404 to everyone but moderators and its editors.
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    author: Mapped[User | None] = relationship()
    group: Mapped[WorkingGroup | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=item_themes, order_by=Theme.position)
    product_groups: Mapped[list[ProductGroup]] = relationship(
        secondary=item_product_groups, order_by=ProductGroup.position
    )
    tags: Mapped[list[Tag]] = relationship(secondary=item_tags, order_by=Tag.name)
    co_owners: Mapped[list[Organisation]] = relationship(secondary=item_co_owners)
    # Named as co-owner, not yet accepted (rows of CoOwnerInvitation; written only through it).
    invited_co_owners: Mapped[list[Organisation]] = relationship(
        secondary="co_owner_invitations", viewonly=True, order_by="Organisation.name"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Revision.number"
    )
    outgoing_links: Mapped[list[ItemLink]] = relationship(
        foreign_keys="ItemLink.source_id", back_populates="source", cascade="all, delete-orphan"
    )
    incoming_links: Mapped[list[ItemLink]] = relationship(
        foreign_keys="ItemLink.target_id", back_populates="target", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "item"}
    # Kinds that keep their working group whatever the visibility (events: the group's agenda).
    keeps_group: ClassVar[bool] = False

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def owners(self) -> list[Organisation]:
        return [self.organisation, *self.co_owners]

    def kind_fields(self) -> dict[str, Any]:
        """The kind's own fields as plain values, for revisions and export."""
        return {}


class ItemLink(db.Model):
    """A typed relation: criterion used_in tender, consultation preceded tender, lesson about item."""

    __tablename__ = "item_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "relation"),
        CheckConstraint(
            "relation in ('used_in', 'preceded', 'about', 'carried_out_by')", name="relation"
        ),
        CheckConstraint("source_id != target_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(20))

    source: Mapped[Item] = relationship(foreign_keys=[source_id], back_populates="outgoing_links")
    target: Mapped[Item] = relationship(foreign_keys=[target_id], back_populates="incoming_links")


class Revision(db.Model):
    """A snapshot of an item after each save, with who saved it."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    editor_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    snapshot: Mapped[dict] = mapped_column(JSON)

    item: Mapped[Item] = relationship(back_populates="revisions")


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    # Random name on disk, outside static/; the original name is only used for downloads.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    text_readable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[Item] = relationship(back_populates="attachments")


class ItemMarkMixin:
    """One mark per member per item, with when it was set."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Bookmark(ItemMarkMixin, db.Model):
    """'Bewaren': a member keeps an item for later."""

    __tablename__ = "bookmarks"


class UsefulMark(ItemMarkMixin, db.Model):
    """'Nuttig': one per member per item; items.useful_count keeps the total for sorting."""

    __tablename__ = "useful_marks"


class Report(db.Model):
    """A member's report of an item to the moderators."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # Set when the report is about one answer under the item (a question).
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[Item] = relationship()


class SlugRedirect(db.Model):
    """An item's earlier slug, so links made before a title edit keep working."""

    __tablename__ = "slug_redirects"

    old_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)


class CoOwnerInvitation(db.Model):
    """An organisation named as co-owner; it becomes one only when its editor accepts."""

    __tablename__ = "co_owner_invitations"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[Item] = relationship()
    organisation: Mapped[Organisation] = relationship()
