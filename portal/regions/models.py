"""Regions: provinces and regional procurement networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

if TYPE_CHECKING:
    from portal.organisations.models import Organisation

REGION_KINDS = ("provincie", "netwerk")


class Region(db.Model):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("kind in ('provincie', 'netwerk')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(20), default="netwerk")
    description: Mapped[str] = mapped_column(Text, default="")

    organisations: Mapped[list[Organisation]] = relationship(
        secondary="organisation_regions", back_populates="regions", order_by="Organisation.name"
    )

    def __str__(self) -> str:
        return self.name
