"""Planned tenders (the tender calendar) and interest in buying one together."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.common import utcnow
from portal.content.models import Item
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.organisations.models import Organisation
from portal.regions.models import Region
from portal.taxonomy.models import ProductGroup, Theme

FIRST_YEAR = 2000
LAST_YEAR = 2100
VISIBILITIES = ("public", "members", "group")
INTEREST_STATUSES = ("pending", "accepted", "declined")

planned_tender_themes = Table(
    "planned_tender_themes",
    db.metadata,
    Column(
        "planned_tender_id", ForeignKey("planned_tenders.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class PlannedTender(db.Model):
    """A tender an organisation expects to publish in a quarter. Its region, when empty, is the
    organisation's regions."""

    __tablename__ = "planned_tenders"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference"),
        Index("ix_planned_tenders_period", "year", "quarter"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter"),
        CheckConstraint("value_min IS NULL OR value_min >= 0", name="value_min"),
        CheckConstraint(
            "value_max IS NULL OR (value_min IS NOT NULL AND value_max >= value_min)",
            name="value_range",
        ),
        CheckConstraint("visibility in ('public', 'members', 'group')", name="visibility"),
        CheckConstraint("visibility != 'group' OR group_id IS NOT NULL", name="group_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # The organisation's own reference: a re-import updates the planned tender by it.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    product_group_id: Mapped[int] = mapped_column(ForeignKey("product_groups.id"), index=True)
    cpv_code: Mapped[str] = mapped_column(String(20), default="")
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    contract_start: Mapped[date | None] = mapped_column(Date)
    value_min: Mapped[int | None] = mapped_column(BigInteger)
    value_max: Mapped[int | None] = mapped_column(BigInteger)
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="SET NULL"), index=True
    )
    contact_role: Mapped[str] = mapped_column(String(120), default="")
    visibility: Mapped[str] = mapped_column(String(10), default="members")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_groups.id", ondelete="SET NULL"), index=True
    )
    # The example tender it became (a draft at first); the link stays.
    tender_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), unique=True
    )
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    product_group: Mapped[ProductGroup] = relationship()
    region: Mapped[Region | None] = relationship()
    group: Mapped[WorkingGroup | None] = relationship()
    tender: Mapped[Item | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(
        secondary=planned_tender_themes, order_by=Theme.position
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def period(self) -> int:
        """The quarter as one number (year * 4 + quarter - 1), to compare and count distances."""
        return self.year * 4 + self.quarter - 1

    @property
    def regions(self) -> list[Region]:
        """Where it is bought: its own region, else its organisation's regions."""
        return [self.region] if self.region is not None else list(self.organisation.regions)


class PlannedTenderInterest(db.Model):
    """An organisation's interest (from its planned tender) in buying together with another
    organisation's planned tender; accepted, both sides see each other's contact."""

    __tablename__ = "planned_tender_interests"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id"),
        CheckConstraint("status in ('pending', 'accepted', 'declined')", name="status"),
        CheckConstraint("source_id != target_id", name="two_tenders"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("planned_tenders.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("planned_tenders.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    source: Mapped[PlannedTender] = relationship(foreign_keys=[source_id])
    target: Mapped[PlannedTender] = relationship(foreign_keys=[target_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
