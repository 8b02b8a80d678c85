"""Working groups (werkgroepen): open or closed, inside or across regions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.common import utcnow
from portal.extensions import db
from portal.memberships.models import MembershipRow
from portal.regions.models import Region

GROUP_ROLES = ("member", "admin")

group_regions = Table(
    "group_regions",
    db.metadata,
    Column("group_id", ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(db.Model):
    __tablename__ = "working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    # Closed: outsiders see only name and description and must ask to join.
    is_closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    regions: Mapped[list[Region]] = relationship(secondary=group_regions, order_by=Region.name)
    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class GroupMembership(MembershipRow, db.Model):
    __tablename__ = "group_memberships"
    __table_args__ = (
        CheckConstraint("role in ('member', 'admin')", name="role"),
        CheckConstraint("status in ('pending', 'approved')", name="status"),
        db.UniqueConstraint("user_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")

    @property
    def container(self) -> WorkingGroup:
        return self.group
