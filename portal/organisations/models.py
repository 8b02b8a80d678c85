"""Organisations, their e-mail domains and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    String,
    Table,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.common import utcnow
from portal.extensions import db
from portal.memberships.models import MembershipRow
from portal.regions.models import Region
from portal.taxonomy.models import OrganisationType, SizeClass

MEMBER_ROLES = ("member", "editor", "admin")
MEMBERSHIP_STATUSES = ("pending", "approved")

organisation_regions = Table(
    "organisation_regions",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "manifest_year IS NULL OR (manifest_year >= 2000 AND manifest_year <= 2100)",
            name="manifest_year",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("organisation_types.id"), index=True)
    size_class_id: Mapped[int | None] = mapped_column(ForeignKey("size_classes.id"))
    website: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    coordinator_name: Mapped[str] = mapped_column(String(120), default="")
    coordinator_email: Mapped[str] = mapped_column(String(254), default="")
    coordinator_phone: Mapped[str] = mapped_column(String(40), default="")
    manifest_year: Mapped[int | None] = mapped_column()
    # The MVI monitor as the organisation chooses: whether anyone may see its figures (aggregates,
    # never its records), and whether its tenders count in peer benchmarks and the national view.
    monitor_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    monitor_benchmark: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    type: Mapped[OrganisationType] = relationship()
    size_class: Mapped[SizeClass | None] = relationship()
    regions: Mapped[list[Region]] = relationship(
        secondary=organisation_regions, back_populates="organisations", order_by=Region.name
    )
    domains: Mapped[list[OrganisationDomain]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="OrganisationDomain.domain",
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class OrganisationDomain(db.Model):
    """An e-mail domain of an organisation; registering with it suggests that organisation."""

    __tablename__ = "organisation_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    organisation: Mapped[Organisation] = relationship(back_populates="domains")


class Membership(MembershipRow, db.Model):
    """A user's membership of an organisation, with its role; pending until an admin approves."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("role in ('member', 'editor', 'admin')", name="role"),
        CheckConstraint("status in ('pending', 'approved')", name="status"),
        db.UniqueConstraint("user_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Opted in as "vraagbaak": told of questions addressed to the organisation.
    is_vraagbaak: Mapped[bool] = mapped_column(default=False, server_default="0")

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def container(self) -> Organisation:
        return self.organisation


def organisations_for_email(email: str) -> list[Organisation]:
    """Organisations whose e-mail domain matches the address (sub-domains included)."""
    from sqlalchemy import select

    domain = email.strip().lower().rpartition("@")[2]
    candidates = []
    parts = domain.split(".")
    for i in range(len(parts) - 1):
        candidates.append(".".join(parts[i:]))
    if not domain or not candidates:
        return []
    return list(
        db.session.scalars(
            select(Organisation)
            .join(OrganisationDomain)
            .where(OrganisationDomain.domain.in_(candidates))
            .order_by(Organisation.name)
        ).unique()
    )
