"""The monitor's reads in SQL: an organisation's population of tenders and its counts.

Kept in SQL (no rows loaded into Python) so the monitor can aggregate 100,000 records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    Select,
    String,
    Subquery,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from portal.content.models import Item, item_co_owners
from portal.content.queries import visible_to
from portal.extensions import db
from portal.monitor.models import MonitorRecord
from portal.permissions import Actor
from portal.tenders.models import Tender

COUNTED_TENDER_STATUSES = ("published", "archived")


def population(organisation_id: int, viewer: Actor | None = None) -> Subquery:
    """The organisation's monitor population as uniform rows, in SQL.

    Columns: source ('record' or 'tender'), record_id, tender_id, year, value (the middle of the
    value range, whole euros, NULL when unknown), mvi_applied (1 or 0). Rows: every record of the
    organisation, plus every published or archived example tender it owns or co-owns that is
    not hidden and no record of it was promoted to (that record already counts it). With a
    viewer, only the tenders the viewer finds in lists count (members-only and group-only
    tenders count only for those who may see them: the one visibility rule, `visible_to`)."""
    records = select(
        literal("record", String).label("source"),
        MonitorRecord.id.label("record_id"),
        MonitorRecord.tender_id.label("tender_id"),
        MonitorRecord.year.label("year"),
        ((MonitorRecord.value_min + MonitorRecord.value_max) // 2).label("value"),
        case((MonitorRecord.mvi_applied == true(), 1), else_=0).label("mvi_applied"),
    ).where(MonitorRecord.organisation_id == organisation_id)
    promoted = select(MonitorRecord.tender_id).where(
        MonitorRecord.organisation_id == organisation_id, MonitorRecord.tender_id.is_not(None)
    )
    co_owned = exists().where(
        item_co_owners.c.item_id == Item.id, item_co_owners.c.organisation_id == organisation_id
    )
    tenders = (
        select(
            literal("tender", String).label("source"),
            literal(None, Integer).label("record_id"),
            Tender.id.label("tender_id"),
            Item.year.label("year"),
            ((Tender.value_min + Tender.value_max) // 2).label("value"),
            case((func.coalesce(func.json_array_length(Tender.mvi), 0) > 0, 1), else_=0).label(
                "mvi_applied"
            ),
        )
        .select_from(Tender)
        .where(
            or_(Item.organisation_id == organisation_id, co_owned),
            Item.status.in_(COUNTED_TENDER_STATUSES),
            Item.hidden_at.is_(None),
            Tender.id.not_in(promoted),
            *(visible_to(viewer) if viewer is not None else ()),
        )
    )
    return union_all(records, tenders).subquery("population")


@dataclass
class PopulationSummary:
    tenders: int
    with_mvi: int
    value: int
    value_with_mvi: int

    @property
    def share(self) -> int | None:
        """Share of tenders with MVI by count, in whole percent."""
        return round(100 * self.with_mvi / self.tenders) if self.tenders else None

    @property
    def value_share(self) -> int | None:
        """Share of the (known) value with MVI, in whole percent."""
        return round(100 * self.value_with_mvi / self.value) if self.value else None


def _figures(rows: Subquery) -> tuple:
    """The four sums a PopulationSummary holds, as SQL over the population rows."""
    return (
        func.count(),
        func.coalesce(func.sum(rows.c.mvi_applied), 0),
        func.coalesce(func.sum(rows.c.value), 0),
        func.coalesce(func.sum(case((rows.c.mvi_applied == 1, rows.c.value), else_=0)), 0),
    )


def _summary(count, with_mvi, value, value_with_mvi) -> PopulationSummary:
    return PopulationSummary(int(count), int(with_mvi), int(value), int(value_with_mvi))


def summarise_population(
    organisation_id: int, year: int | None = None, viewer: Actor | None = None
) -> PopulationSummary:
    """Count the population (optionally of one year; as viewer may see it) in one SQL query."""
    rows = population(organisation_id, viewer)
    query: Select = select(*_figures(rows)).select_from(rows)
    if year is not None:
        query = query.where(rows.c.year == year)
    return _summary(*db.session.execute(query).one())


def summary_per_year(organisation_id: int, viewer: Actor) -> list[tuple[int, PopulationSummary]]:
    """The population counted per year (oldest first) in one SQL query, as viewer may see it;
    rows without a year are left out."""
    rows = population(organisation_id, viewer)
    query = (
        select(rows.c.year, *_figures(rows))
        .select_from(rows)
        .where(rows.c.year.is_not(None))
        .group_by(rows.c.year)
        .order_by(rows.c.year)
    )
    return [(int(year), _summary(*figures)) for year, *figures in db.session.execute(query)]


def record_years(organisation_id: int) -> list[int]:
    """The years the organisation has records of, newest first (for the year filter)."""
    return list(
        db.session.scalars(
            select(MonitorRecord.year)
            .where(MonitorRecord.organisation_id == organisation_id)
            .distinct()
            .order_by(MonitorRecord.year.desc())
        )
    )
