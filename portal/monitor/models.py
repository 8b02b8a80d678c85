"""Monitor records: one row per tender an organisation ran, whether or not it is an example.

A record is not a knowledge item: it has no slug, visibility, revisions or search document, and
only the organisation's members read it. Its value is a range in whole euros (low/high, like a
tender's), so a tender's value for the monitor is the middle of its range, and a record with one
known amount stores it as both ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.common import utcnow
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.taxonomy.models import (
    AmbitionLevel,
    AwardMethod,
    Instrument,
    Procedure,
    ProductGroup,
    Theme,
)
from portal.tenders.models import Tender

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_RECORD_MVI_ROWS = 12


class MonitorRecord(db.Model):
    __tablename__ = "monitor_records"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference"),
        # The list and the monitor read one organisation's records by year.
        Index("ix_monitor_records_organisation_year", "organisation_id", "year"),
        CheckConstraint("value_min IS NULL OR value_min >= 0", name="value_min"),
        CheckConstraint(
            "value_max IS NULL OR (value_min IS NOT NULL AND value_max >= value_min)",
            name="value_range",
        ),
        CheckConstraint(
            "realised_percent IS NULL OR (realised_percent >= 0 AND realised_percent <= 100)",
            name="realised_percent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # The organisation's own reference (zaaknummer, TenderNed-kenmerk): a re-upload matches on it.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    value_min: Mapped[int | None] = mapped_column(BigInteger)
    value_max: Mapped[int | None] = mapped_column(BigInteger)
    product_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_groups.id", ondelete="SET NULL"), index=True
    )
    cpv_code: Mapped[str] = mapped_column(String(20), default="")
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"), index=True)
    award_method_id: Mapped[int | None] = mapped_column(ForeignKey("award_methods.id"), index=True)
    mvi_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    # Realisation in the contract phase, filled in later: the share of MVI promises realised.
    realised_percent: Mapped[int | None] = mapped_column(Integer)
    # The example tender this record was promoted to; a record counts once, the tender not again.
    tender_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), unique=True
    )
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    product_group: Mapped[ProductGroup | None] = relationship()
    procedure: Mapped[Procedure | None] = relationship()
    award_method: Mapped[AwardMethod | None] = relationship()
    tender: Mapped[Tender | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    mvi_rows: Mapped[list[MonitorRecordMvi]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="MonitorRecordMvi.id"
    )

    @property
    def value(self) -> int | None:
        """The middle of the value range (whole euros), or None when unknown."""
        if self.value_min is None:
            return None
        return (
            self.value_min + (self.value_max if self.value_max is not None else self.value_min)
        ) // 2


class MonitorRecordMvi(db.Model):
    """How MVI was applied in a record: a theme, with its instrument and ambition level."""

    __tablename__ = "monitor_record_mvi"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_records.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"))
    ambition_level_id: Mapped[int | None] = mapped_column(ForeignKey("ambition_levels.id"))

    record: Mapped[MonitorRecord] = relationship(back_populates="mvi_rows")
    theme: Mapped[Theme] = relationship()
    instrument: Mapped[Instrument | None] = relationship()
    ambition_level: Mapped[AmbitionLevel | None] = relationship()
