"""Read queries of the tender calendar; `visible_planned` is the SQL form of
permissions.can_view_planned_tender."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.content.queries import read_by
from portal.extensions import db
from portal.organisations.models import organisation_regions
from portal.permissions import READERS
from portal.planning.models import PlannedTender, PlannedTenderInterest
from portal.taxonomy.models import ProductGroup

DEFAULT_WINDOW = 2  # quarters before and after
MAX_WINDOW = 8


def visible_planned(user) -> ColumnElement[bool]:
    """SQL condition for the planned tenders user may see: can_view_planned_tender."""
    if user is permissions.SYSTEM or permissions.can_moderate(user):
        return true()
    allowed = [
        and_(PlannedTender.visibility == visibility, read_by(user, readers, PlannedTender.group_id))
        for visibility, readers in READERS.items()
    ]
    own: ColumnElement[bool] = false()
    if permissions.is_verified_member(user):
        member_of = permissions.organisation_ids_with_role(
            user, permissions.MEMBERSHIP_ROLES.values()
        )
        if member_of:
            own = PlannedTender.organisation_id.in_(member_of)
    return or_(*allowed, own)


def _loaded(query: Select) -> Select:
    return query.options(
        selectinload(PlannedTender.organisation),
        selectinload(PlannedTender.product_group),
        selectinload(PlannedTender.region),
        selectinload(PlannedTender.themes),
    )


def calendar(
    user, *, organisation_id=None, product_group_id=None, region_id=None, period=None
) -> Select:
    """The planned tenders user may see, soonest first, filtered as asked (period: year * 4 +
    quarter - 1)."""
    query = select(PlannedTender).where(visible_planned(user))
    if organisation_id is not None:
        query = query.where(PlannedTender.organisation_id == organisation_id)
    if product_group_id is not None:
        query = query.where(PlannedTender.product_group_id == product_group_id)
    if region_id is not None:
        query = query.where(_in_regions([region_id]))
    if period is not None:
        query = query.where(
            PlannedTender.year == period // 4, PlannedTender.quarter == period % 4 + 1
        )
    return _loaded(query).order_by(
        PlannedTender.year, PlannedTender.quarter, PlannedTender.title, PlannedTender.id
    )


def _in_regions(region_ids: list[int]) -> ColumnElement[bool]:
    """Bought in one of these regions: its own region, or (without one) its organisation's."""
    organisations = select(organisation_regions.c.organisation_id).where(
        organisation_regions.c.region_id.in_(region_ids)
    )
    return or_(
        PlannedTender.region_id.in_(region_ids),
        and_(PlannedTender.region_id.is_(None), PlannedTender.organisation_id.in_(organisations)),
    )


@dataclass(frozen=True)
class Overlap:
    """Another organisation's planned tender like this one: the same product group or one of
    its cluster, within the window, in a shared region."""

    planned: PlannedTender
    same_group: bool
    quarters_apart: int


def overlaps(planned: PlannedTender, user, window: int = DEFAULT_WINDOW) -> list[Overlap]:
    """ "Ook van plan": the other organisations' planned tenders user may see that overlap with
    planned (which user may see), nearest in time first."""
    region_ids = [region.id for region in planned.regions]
    if not region_ids:
        return []
    cluster = select(ProductGroup.id).where(
        ProductGroup.cluster_id == planned.product_group.cluster_id
    )
    year_quarter = PlannedTender.year * 4 + PlannedTender.quarter - 1
    query = _loaded(
        select(PlannedTender).where(
            visible_planned(user),
            PlannedTender.organisation_id != planned.organisation_id,
            PlannedTender.product_group_id.in_(cluster),
            year_quarter.between(planned.period - window, planned.period + window),
            _in_regions(region_ids),
        )
    )
    found = [
        Overlap(
            other,
            other.product_group_id == planned.product_group_id,
            abs(other.period - planned.period),
        )
        for other in db.session.scalars(query)
    ]
    return sorted(found, key=lambda o: (not o.same_group, o.quarters_apart, o.planned.title))


def interests_of(planned: PlannedTender) -> list[PlannedTenderInterest]:
    """Every interest from or in planned, newest first."""
    return list(
        db.session.scalars(
            select(PlannedTenderInterest)
            .where(
                or_(
                    PlannedTenderInterest.source_id == planned.id,
                    PlannedTenderInterest.target_id == planned.id,
                )
            )
            .order_by(PlannedTenderInterest.created_at.desc(), PlannedTenderInterest.id.desc())
        )
    )


def interest_between(source: PlannedTender, target: PlannedTender) -> PlannedTenderInterest | None:
    return db.session.scalar(
        select(PlannedTenderInterest).where(
            PlannedTenderInterest.source_id == source.id,
            PlannedTenderInterest.target_id == target.id,
        )
    )


def count(query: Select) -> int:
    """How many planned tenders a (visibility-filtered) query finds."""
    from sqlalchemy import func

    ids = query.with_only_columns(PlannedTender.id).order_by(None)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
