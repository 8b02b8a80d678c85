"""Accounts and the single-use tokens that verify e-mail and reset passwords."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Column, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common import utcnow
from portal.extensions import db
from portal.taxonomy.models import JobRole, Theme

if TYPE_CHECKING:
    from portal.organisations.models import Membership

user_expertise = Table(
    "user_expertise",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    job_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id"))
    bio: Mapped[str] = mapped_column(Text, default="")
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_site_admin: Mapped[bool] = mapped_column(default=False)
    is_moderator: Mapped[bool] = mapped_column(default=False)
    # A designated expert may mark answers as checked ("geverifieerd"), as moderators may.
    is_expert: Mapped[bool] = mapped_column(default=False, server_default="0")
    # How notifications reach this member by e-mail: immediate, daily, weekly or never.
    notify_email: Mapped[str] = mapped_column(String(10), default="daily", server_default="daily")
    # The language of this member's pages (when signed in) and of every mail sent to them.
    language: Mapped[str] = mapped_column(String(5), default="nl", server_default="nl")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Changes on password change, e-mail change and logout-everywhere: old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))

    job_role: Mapped[JobRole | None] = relationship()
    expertise: Mapped[list[Theme]] = relationship(secondary=user_expertise, order_by=Theme.position)
    memberships: Mapped[list[Membership]] = relationship(
        "Membership",
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="Membership.user_id",
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def __str__(self) -> str:
        return self.name


class AccountToken(db.Model):
    """A single-use, expiring token; only its SHA-256 is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # For an e-mail change: the new address, confirmed by following the link sent to it.
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
