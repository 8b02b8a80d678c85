"""The monitor's reads in SQL: the population of tenders of one or more organisations, and its
figures per year, theme, instrument and ambition level, MKI gains, realisation and peers.

Kept in SQL (no rows loaded into Python) so the monitor can aggregate 100,000 records."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median, quantiles

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union,
    union_all,
)

from portal import permissions
from portal.content.models import Item, ItemLink, item_co_owners
from portal.content.queries import readable_by, visible_to
from portal.extensions import db
from portal.monitor.models import MonitorRecord, MonitorRecordMvi
from portal.organisations.models import Organisation
from portal.permissions import Actor
from portal.tenders.models import Tender, TenderMviRow

COUNTED_TENDER_STATUSES = ("published", "archived")
APPROVED = "approved"  # a membership's status once an admin accepted it
# Peer figures and national figures are shown only over at least this many organisations.
MIN_PEERS = 5


@dataclass(frozen=True)
class Period:
    """The years a figure covers (both ends included; None: open)."""

    first: int | None = None
    last: int | None = None

    def where(self, year: ColumnElement) -> list[ColumnElement[bool]]:
        conditions = []
        if self.first is not None:
            conditions.append(year >= self.first)
        if self.last is not None:
            conditions.append(year <= self.last)
        return conditions


ALL_YEARS = Period()


def population(
    organisations: int | Select,
    viewer: Actor | None = None,
    period: Period = ALL_YEARS,
    *,
    with_records: bool = True,
) -> CTE:
    """The monitor population of one organisation (an id) or several (a select of ids), in SQL.

    Columns: organisation_id, source ('record' or 'tender'), unit (unique per organisation:
    2 × record id, or 2 × tender id + 1), record_id, tender_id, example_id (the example tender
    the row stands for, when the viewer may open it), year, value (the middle of the value range,
    whole euros, NULL when unknown), mvi_applied (1 or 0), realised_percent, mki_gain_eur,
    mki_gain_percent.

    Rows: every record of the organisation, plus every published or archived example tender
    with a year that it owns or co-owns, that is not hidden and that no record of the
    organisation stands for (promoted from it, or matched by its reference): that record counts
    it, with the tender's MKI gain, realisation, MVI rows and weights when the viewer may open the
    tender. With a viewer, a tender counts only when the viewer may open it (members-only and
    group-only tenders count only for those who may see them: the one visibility rule,
    `readable_by`). without records: the example tenders only (their records read from the
    counts kept ahead, portal/monitor/facts.py)."""

    def of(column: ColumnElement) -> ColumnElement[bool]:
        if isinstance(organisations, int):
            return column == organisations
        return column.in_(organisations)

    counted = [
        Item.status.in_(COUNTED_TENDER_STATUSES),
        Item.hidden_at.is_(None),
        *(readable_by(viewer) if viewer is not None else ()),
    ]
    tender_realised = case(
        (Tender.results_promised > 0, Tender.results_realised * 100 / Tender.results_promised),
        else_=null(),
    )
    records = (
        select(
            MonitorRecord.organisation_id.label("organisation_id"),
            literal("record", String).label("source"),
            (MonitorRecord.id * 2).label("unit"),
            MonitorRecord.id.label("record_id"),
            MonitorRecord.tender_id.label("tender_id"),
            Tender.id.label("example_id"),
            MonitorRecord.year.label("year"),
            ((MonitorRecord.value_min + MonitorRecord.value_max) // 2).label("value"),
            case((MonitorRecord.mvi_applied == true(), 1), else_=0).label("mvi_applied"),
            func.coalesce(MonitorRecord.realised_percent, tender_realised).label(
                "realised_percent"
            ),
            Tender.mki_gain_eur.label("mki_gain_eur"),
            Tender.mki_gain_percent.label("mki_gain_percent"),
        )
        .select_from(MonitorRecord)
        .outerjoin(Tender, and_(Tender.id == MonitorRecord.tender_id, *counted))
        .where(of(MonitorRecord.organisation_id), *period.where(MonitorRecord.year))
    )
    owners = union_all(
        select(Item.id.label("tender_id"), Item.organisation_id.label("organisation_id")).where(
            Item.kind == "tender"
        ),
        select(
            item_co_owners.c.item_id.label("tender_id"),
            item_co_owners.c.organisation_id.label("organisation_id"),
        ),
    ).subquery("owners")
    # A record stands for a tender when it was promoted to it or linked by the tender's
    # reference; a record with the reference of a tender it could not be linked to (a joint
    # tender another owner's record stands for, or a tender made after the record) as well.
    # Two EXISTS rather than one with OR: each is one lookup in a unique index of the records.
    promoted = exists().where(
        MonitorRecord.tender_id == Tender.id,
        MonitorRecord.organisation_id == owners.c.organisation_id,
    )
    same_reference = exists().where(
        MonitorRecord.organisation_id == owners.c.organisation_id,
        MonitorRecord.reference == Tender.tender_reference,
    )
    stood_for = or_(promoted, and_(Tender.tender_reference != "", same_reference))
    tenders = (
        select(
            owners.c.organisation_id.label("organisation_id"),
            literal("tender", String).label("source"),
            (Tender.id * 2 + 1).label("unit"),
            literal(None, Integer).label("record_id"),
            Tender.id.label("tender_id"),
            Tender.id.label("example_id"),
            Item.year.label("year"),
            ((Tender.value_min + Tender.value_max) // 2).label("value"),
            case((exists().where(TenderMviRow.tender_id == Tender.id), 1), else_=0).label(
                "mvi_applied"
            ),
            tender_realised.label("realised_percent"),
            Tender.mki_gain_eur.label("mki_gain_eur"),
            Tender.mki_gain_percent.label("mki_gain_percent"),
        )
        .select_from(Tender)
        .join(owners, owners.c.tender_id == Tender.id)
        .where(
            of(owners.c.organisation_id),
            *counted,
            Item.year.is_not(None),  # a tender without a year cannot be placed in the figures
            ~stood_for,
            *period.where(Item.year),
        )
    )
    if not with_records:
        return tenders.cte("population")
    return union_all(records, tenders).cte("population")


def population_mvi(rows: CTE) -> CTE:
    """The MVI rows of a population: organisation_id, source, unit, record_id, tender_id, year,
    theme_id, instrument_id, ambition_level_id and weight_percent. A row with an example tender
    the viewer may open reads that tender's rows (with their weights); a record without one
    reads its own (without weights)."""
    common = (
        rows.c.organisation_id,
        rows.c.source,
        rows.c.unit,
        rows.c.record_id,
        rows.c.tender_id,
        rows.c.year,
    )
    from_records = (
        select(
            *common,
            MonitorRecordMvi.theme_id,
            MonitorRecordMvi.instrument_id,
            MonitorRecordMvi.ambition_level_id,
            literal(None, Integer).label("weight_percent"),
        )
        .select_from(rows)
        .join(MonitorRecordMvi, MonitorRecordMvi.record_id == rows.c.record_id)
        .where(rows.c.example_id.is_(None))
    )
    from_tenders = (
        select(
            *common,
            TenderMviRow.theme_id,
            TenderMviRow.instrument_id,
            TenderMviRow.ambition_level_id,
            TenderMviRow.weight_percent,
        )
        .select_from(rows)
        .join(TenderMviRow, TenderMviRow.tender_id == rows.c.example_id)
    )
    return union_all(from_records, from_tenders).cte("population_mvi")


# --- An organisation's figures ------------------------------------------------------------------


@dataclass
class PopulationSummary:
    tenders: int
    with_mvi: int
    value: int
    value_with_mvi: int

    @property
    def share(self) -> int | None:
        """Share of tenders with MVI by count, in whole percent."""
        return percent(self.with_mvi, self.tenders)

    @property
    def value_share(self) -> int | None:
        """Share of the (known) value with MVI, in whole percent."""
        return percent(self.value_with_mvi, self.value)


def percent(part: float, whole: float) -> int | None:
    """part of whole in whole percent, or None when there is no whole."""
    return round(100 * part / whole) if whole else None


def _figures(rows: CTE) -> tuple:
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
    organisation_id: int,
    year: int | None = None,
    viewer: Actor | None = None,
    period: Period = ALL_YEARS,
) -> PopulationSummary:
    """Count the population (optionally of one year; as viewer may see it) in one SQL query."""
    if year is not None:
        period = Period(year, year)
    rows = population(organisation_id, viewer, period)
    return _summary(*db.session.execute(select(*_figures(rows)).select_from(rows)).one())


def summary_per_year(
    organisation_id: int, viewer: Actor | None, period: Period = ALL_YEARS
) -> list[tuple[int, PopulationSummary]]:
    """The population counted per year (oldest first) in one SQL query, as viewer may see it."""
    rows = population(organisation_id, viewer, period)
    query = select(rows.c.year, *_figures(rows)).group_by(rows.c.year).order_by(rows.c.year)
    return [(int(year), _summary(*figures)) for year, *figures in db.session.execute(query)]


@dataclass
class ThemeFigures:
    """How often one theme was applied: in how many tenders, per instrument and ambition level
    (term id → tenders), and the average weight of its award criteria."""

    theme_id: int
    tenders: int = 0
    by_instrument: dict[int, int] = field(default_factory=dict)
    by_ambition: dict[int, int] = field(default_factory=dict)
    average_weight: float | None = None


def theme_figures(rows: CTE) -> dict[int, ThemeFigures]:
    """Per theme id: the tenders of the population that apply it (a tender counts once per theme,
    once per instrument and once per ambition level), and the average weight of its award
    criteria (a tender's rows of one theme averaged first, so each tender weighs once). One query
    for the distinct rows; counted here (an organisation has some thousands)."""
    mvi = population_mvi(rows)
    units: dict[int, set[int]] = {}
    by_term: dict[tuple[str, int, int], set[int]] = {}
    weights: dict[tuple[int, int], list[int]] = {}
    for theme_id, instrument_id, level_id, unit, weight in db.session.execute(
        select(
            mvi.c.theme_id, mvi.c.instrument_id, mvi.c.ambition_level_id, mvi.c.unit,
            mvi.c.weight_percent,
        ).where(mvi.c.theme_id.is_not(None))
    ):  # fmt: skip
        units.setdefault(theme_id, set()).add(unit)
        if instrument_id is not None:
            by_term.setdefault(("by_instrument", theme_id, instrument_id), set()).add(unit)
        if level_id is not None:
            by_term.setdefault(("by_ambition", theme_id, level_id), set()).add(unit)
        if weight is not None:
            weights.setdefault((theme_id, unit), []).append(weight)
    figures = {theme_id: ThemeFigures(theme_id, len(found)) for theme_id, found in units.items()}
    for (target, theme_id, term_id), found in by_term.items():
        getattr(figures[theme_id], target)[term_id] = len(found)
    per_tender: dict[int, list[float]] = {}
    for (theme_id, _unit), found in weights.items():
        per_tender.setdefault(theme_id, []).append(sum(found) / len(found))
    for theme_id, averages in per_tender.items():
        figures[theme_id].average_weight = sum(averages) / len(averages)
    return figures


@dataclass
class Outcomes:
    """MKI gains and realisation over a population."""

    mki_tenders: int
    mki_gain_eur: int
    mki_gain_percent: float | None
    realisation_tenders: int
    realised_percent: float | None


def years_and_outcomes(rows: CTE) -> tuple[list[tuple[int, PopulationSummary]], Outcomes]:
    """The population counted per year (oldest first), and its MKI gains (winner vs the other
    bids' average, summed in € and averaged in %) and average share of promised MVI results
    realised over the tenders that report them: one query, grouped by year."""
    per_year = []
    mki = gain = realisation = 0
    gain_percent_sum = realised_sum = 0.0
    for year, *figures, m, g, gp, r, rs in db.session.execute(
        select(
            rows.c.year,
            *_figures(rows),
            func.count(rows.c.mki_gain_eur),
            func.coalesce(func.sum(rows.c.mki_gain_eur), 0),
            func.coalesce(func.sum(rows.c.mki_gain_percent), 0),
            func.count(rows.c.realised_percent),
            func.coalesce(func.sum(rows.c.realised_percent), 0),
        )
        .group_by(rows.c.year)
        .order_by(rows.c.year)
    ):
        per_year.append((int(year), _summary(*figures)))
        mki, gain, gain_percent_sum = mki + int(m), gain + int(g), gain_percent_sum + float(gp)
        realisation, realised_sum = realisation + int(r), realised_sum + float(rs)
    return per_year, Outcomes(
        mki,
        gain,
        gain_percent_sum / mki if mki else None,
        realisation,
        realised_sum / realisation if realisation else None,
    )


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


# --- What stands behind a figure ----------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which tenders of a population a figure counts (all None: every tender)."""

    theme_id: int | None = None
    instrument_id: int | None = None
    ambition_level_id: int | None = None
    mvi: bool | None = None
    outcome: str | None = None  # 'mki' or 'realisatie'


def selected(rows: CTE, selection: Selection) -> Select:
    """The population rows (source, record_id, tender_id) a selection counts, newest first."""
    query = select(
        rows.c.source, rows.c.record_id, rows.c.tender_id, rows.c.example_id, rows.c.year
    )
    if selection.mvi is not None:
        query = query.where(rows.c.mvi_applied == (1 if selection.mvi else 0))
    if selection.outcome == "mki":
        query = query.where(rows.c.mki_gain_eur.is_not(None))
    elif selection.outcome == "realisatie":
        query = query.where(rows.c.realised_percent.is_not(None))
    terms = {
        "theme_id": selection.theme_id,
        "instrument_id": selection.instrument_id,
        "ambition_level_id": selection.ambition_level_id,
    }
    if any(value is not None for value in terms.values()):
        mvi = population_mvi(rows)
        query = query.where(
            rows.c.unit.in_(
                select(mvi.c.unit).where(
                    *(mvi.c[name] == value for name, value in terms.items() if value is not None)
                )
            )
        )
    return query.order_by(rows.c.year.desc(), rows.c.unit.desc())


@dataclass
class Behind:
    """The tenders behind a figure: ids of the example tenders and of the records."""

    tender_ids: list[int]
    record_ids: Select
    record_count: int


def behind_figure(
    organisation_id: int, viewer: Actor, period: Period, selection: Selection
) -> Behind:
    """The example tenders (ids) and records (a select of ids, and their count) a figure of the
    organisation's monitor counts."""
    rows = population(organisation_id, viewer, period)
    chosen = selected(rows, selection).subquery()
    tender_ids = list(
        db.session.scalars(
            select(chosen.c.example_id).where(chosen.c.example_id.is_not(None)).distinct()
        )
    )
    record_ids = select(chosen.c.record_id).where(chosen.c.source == "record")
    count = db.session.scalar(select(func.count()).select_from(record_ids.subquery()))
    return Behind(tender_ids=tender_ids, record_ids=record_ids, record_count=int(count or 0))


def has_demo_records(organisation_id: int) -> bool:
    """Whether any of the organisation's records is demo data (the page then says so)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    MonitorRecord.organisation_id == organisation_id, MonitorRecord.demo == true()
                )
            )
        )
    )


def population_years(organisation_id: int, viewer: Actor) -> list[int]:
    """The years the organisation has records or example tenders in, oldest first (the period's
    choices; read from the records' index and the organisation's few tenders)."""
    owned = or_(
        Item.organisation_id == organisation_id,
        Item.id.in_(
            select(item_co_owners.c.item_id).where(
                item_co_owners.c.organisation_id == organisation_id
            )
        ),
    )
    years = union(
        select(MonitorRecord.year).where(MonitorRecord.organisation_id == organisation_id),
        select(Item.year).where(
            Item.kind == "tender", owned, Item.year.is_not(None), *readable_by(viewer)
        ),
    ).subquery()
    return [int(year) for year in db.session.scalars(select(years.c.year).order_by(years.c.year))]


# --- Criteria reuse -----------------------------------------------------------------------------


@dataclass
class CriteriaReuse:
    """Criteria of the portal used in the organisation's tenders (criterion id → its tenders),
    and the organisation's own criteria used in other organisations' tenders."""

    used: dict[int, int]
    used_by_others: dict[int, int]


def criteria_reuse(
    organisation_id: int, viewer: Actor, period: Period = ALL_YEARS
) -> CriteriaReuse:
    """Which criteria the organisation's tenders used, and which of its criteria others used,
    counted over the links 'criterion used in tender' between items the viewer may see."""
    rows = population(organisation_id, viewer, period)
    criterion = Item.__table__.alias("criterion")
    readable_criteria = select(Item.id).where(Item.kind == "criterion", *readable_by(viewer))
    used = select(ItemLink.source_id, func.count(distinct(ItemLink.target_id))).where(
        ItemLink.relation == "used_in",
        ItemLink.source_id.in_(readable_criteria),
        ItemLink.target_id.in_(select(rows.c.example_id).where(rows.c.example_id.is_not(None))),
    )
    co_owned = select(item_co_owners.c.item_id).where(
        item_co_owners.c.organisation_id == organisation_id
    )
    others_tenders = select(Item.id).where(
        Item.kind == "tender",
        Item.organisation_id != organisation_id,
        Item.id.not_in(co_owned),  # a joint tender of its own is not someone else's
        Item.status.in_(COUNTED_TENDER_STATUSES),
        *readable_by(viewer),
        *period.where(Item.year),
    )
    by_others = (
        select(ItemLink.source_id, func.count(distinct(ItemLink.target_id)))
        .join(criterion, criterion.c.id == ItemLink.source_id)
        .where(
            ItemLink.relation == "used_in",
            criterion.c.organisation_id == organisation_id,
            ItemLink.source_id.in_(readable_criteria),
            ItemLink.target_id.in_(others_tenders),
        )
    )
    return CriteriaReuse(
        used={k: int(v) for k, v in db.session.execute(used.group_by(ItemLink.source_id))},
        used_by_others={
            k: int(v) for k, v in db.session.execute(by_others.group_by(ItemLink.source_id))
        },
    )


# --- Peers --------------------------------------------------------------------------------------


@dataclass
class PeerLine:
    """One figure (the share of tenders with MVI, or with one theme) beside the peers'."""

    own: int | None
    median: int
    lower: int  # the peers' shares split in thirds: below `lower` is the lowest third
    upper: int  # above `upper` the highest third
    position: str | None  # koploper, middenveld or achterblijver; None without own tenders

    @classmethod
    def of(cls, own: int | None, shares: list[float]) -> PeerLine:
        lower, upper = (round(limit) for limit in quantiles(shares, n=3, method="inclusive"))
        position = None
        if own is not None:  # compared in whole percent, as the page shows them
            position = (
                "koploper" if own > upper else "achterblijver" if own < lower else "middenveld"
            )
        return cls(own, round(median(shares)), lower, upper, position)


@dataclass
class Benchmark:
    """The organisation beside its peers: `peers` organisations with tenders in the period; no
    lines when they are fewer than MIN_PEERS."""

    peers: int
    overall: PeerLine | None = None
    themes: dict[int, PeerLine] = field(default_factory=dict)

    @property
    def too_few(self) -> bool:
        return self.peers < MIN_PEERS


def benchmark(
    organisation_id: int,
    peers: Select,
    own: PopulationSummary,
    own_themes: dict[int, ThemeFigures],
    viewer: Actor,
    period: Period = ALL_YEARS,
) -> Benchmark:
    """Compare an organisation's shares with those of its peers (a select of organisation ids):
    the other organisations in it that count in benchmarks and have tenders in the period, each
    weighing the same. Peer figures are never given for fewer than MIN_PEERS organisations."""
    others = benchmarked(peers).where(Organisation.id != organisation_id)
    per_organisation, counts = _peer_counts(others, viewer, period)
    if len(per_organisation) < MIN_PEERS:
        return Benchmark(peers=len(per_organisation))
    totals = {org: tenders for org, (tenders, _with_mvi) in per_organisation.items()}
    result = Benchmark(
        peers=len(totals),
        overall=PeerLine.of(
            own.share, [100 * mvi / tenders for tenders, mvi in per_organisation.values()]
        ),
    )
    theme_ids = {theme_id for _org, theme_id in counts} | set(own_themes)
    for theme_id in sorted(theme_ids):
        own_figures = own_themes.get(theme_id)
        own_share = percent(own_figures.tenders if own_figures else 0, own.tenders)
        shares = [100 * counts.get((org, theme_id), 0) / tenders for org, tenders in totals.items()]
        result.themes[theme_id] = PeerLine.of(own_share, shares)
    return result


def _peer_counts(
    organisations: Select, viewer: Actor, period: Period
) -> tuple[dict[int, tuple[int, int]], dict[tuple[int, int], int]]:
    """Per organisation (tenders, with MVI), and per (organisation, theme) its tenders applying
    the theme: the records from the counts kept ahead (portal/monitor/facts.py: the bulk, the
    same for every viewer, each record by its own MVI rows), the example tenders live, as the
    viewer may see them."""
    from portal.monitor.facts import MonitorThemeFacts as Themes
    from portal.monitor.facts import MonitorYearFacts as Years

    tenders = population(organisations, viewer, period, with_records=False)
    shares: dict[int, tuple[int, int]] = {}
    for org, count, with_mvi in db.session.execute(
        select(Years.organisation_id, func.sum(Years.tenders), func.sum(Years.with_mvi))
        .where(Years.organisation_id.in_(organisations), *period.where(Years.year))
        .group_by(Years.organisation_id)
    ):
        shares[org] = (int(count), int(with_mvi))
    for org, (count, with_mvi) in shares_per_organisation(tenders).items():
        before = shares.get(org, (0, 0))
        shares[org] = (before[0] + count, before[1] + with_mvi)
    counts = theme_counts_per_organisation(tenders)
    for org, theme_id, count in db.session.execute(
        select(Themes.organisation_id, Themes.theme_id, func.sum(Themes.tenders))
        .where(
            Themes.kind == "theme",
            Themes.organisation_id.in_(organisations),
            *period.where(Themes.year),
        )
        .group_by(Themes.organisation_id, Themes.theme_id)
    ):
        counts[(org, theme_id)] = counts.get((org, theme_id), 0) + int(count)
    return {org: figures for org, figures in shares.items() if figures[0]}, counts


@dataclass(frozen=True)
class PeerGroup:
    """A set of organisations to compare with: key as in the URL (?vergelijk=...), a name, and
    the select of their ids."""

    key: str
    label: str
    organisations: Select


def peer_groups(organisation: Organisation, viewer: Actor) -> list[PeerGroup]:
    """The organisation's peer groups: its type, its type and size class, each of its regions and
    each working group its members take part in that the viewer may see the members of (a
    closed group's membership is its own members' business)."""
    from flask_babel import gettext as _

    from portal.groups.models import GroupMembership, WorkingGroup
    from portal.organisations.models import Membership, organisation_regions

    same_type = select(Organisation.id).where(Organisation.type_id == organisation.type_id)
    groups = [
        PeerGroup("soort", _("Zelfde soort: %(type)s", type=organisation.type.label), same_type)
    ]
    if organisation.size_class is not None:
        groups.append(
            PeerGroup(
                "grootte",
                _("Zelfde soort en grootte: %(size)s", size=organisation.size_class.label),
                same_type.where(Organisation.size_class_id == organisation.size_class_id),
            )
        )
    for region in organisation.regions:
        groups.append(
            PeerGroup(
                f"regio-{region.slug}",
                _("Regio %(region)s", region=region.name),
                select(organisation_regions.c.organisation_id).where(
                    organisation_regions.c.region_id == region.id
                ),
            )
        )
    members = select(Membership.user_id).where(
        Membership.organisation_id == organisation.id, Membership.status == APPROVED
    )
    for group in db.session.scalars(
        select(WorkingGroup)
        .where(
            WorkingGroup.id.in_(
                select(GroupMembership.group_id).where(
                    GroupMembership.user_id.in_(members), GroupMembership.status == APPROVED
                )
            )
        )
        .order_by(WorkingGroup.name)
    ):
        if not permissions.can_view_group_content(viewer, group):
            continue
        groups.append(
            PeerGroup(
                f"groep-{group.slug}",
                _("Werkgroep %(group)s", group=group.name),
                select(Membership.organisation_id).where(
                    Membership.status == APPROVED,
                    Membership.user_id.in_(
                        select(GroupMembership.user_id).where(
                            GroupMembership.group_id == group.id,
                            GroupMembership.status == APPROVED,
                        )
                    ),
                ),
            )
        )
    return groups


# --- The organisation monitor -------------------------------------------------------------------


@dataclass
class OrganisationMonitor:
    """Every figure of an organisation's monitor page, for one viewer and period."""

    total: PopulationSummary
    per_year: list[tuple[int, PopulationSummary]]
    themes: dict[int, ThemeFigures]
    outcomes: Outcomes
    criteria: CriteriaReuse
    benchmark: Benchmark | None


def organisation_monitor(
    organisation_id: int, viewer: Actor, period: Period, peers: PeerGroup | None
) -> OrganisationMonitor:
    """Read an organisation's monitor: totals, per year, per theme, outcomes, criteria reuse and,
    with a peer group, the benchmark."""
    rows = population(organisation_id, viewer, period)
    per_year, found_outcomes = years_and_outcomes(rows)
    total = PopulationSummary(  # every row has a year: the total is the years' sum
        *(sum(getattr(figures, name) for _year, figures in per_year)
          for name in ("tenders", "with_mvi", "value", "value_with_mvi"))
    )  # fmt: skip
    themes = theme_figures(rows)
    return OrganisationMonitor(
        total=total,
        per_year=per_year,
        themes=themes,
        outcomes=found_outcomes,
        criteria=criteria_reuse(organisation_id, viewer, period),
        benchmark=(
            benchmark(organisation_id, peers.organisations, total, themes, viewer, period)
            if peers is not None
            else None
        ),
    )


# --- Indicators per year (action plans read these) ----------------------------------------------


def indicator_per_year(
    organisation_id: int, viewer: Actor, indicator: str, theme_id: int | None = None
) -> dict[int, int]:
    """Per year the value of a monitor indicator for the organisation, in whole percent:
    'aandeel-mvi' (share of tenders with MVI), 'aandeel-thema' (share with the theme) or
    'gewicht-thema' (average weight of the theme's award criteria; years without weights left
    out)."""
    if indicator == "aandeel-mvi":
        return {
            year: figures.share
            for year, figures in summary_per_year(organisation_id, viewer)
            if figures.share is not None
        }
    rows = population(organisation_id, viewer)
    mvi = population_mvi(rows)
    if indicator == "gewicht-thema":
        return {
            int(year): round(float(weight))
            for year, weight in db.session.execute(
                select(mvi.c.year, func.avg(mvi.c.weight_percent))
                .where(mvi.c.theme_id == theme_id, mvi.c.weight_percent.is_not(None))
                .group_by(mvi.c.year)
            )
        }
    totals = dict(db.session.execute(select(rows.c.year, func.count()).group_by(rows.c.year)).all())
    with_theme = dict(
        db.session.execute(
            select(mvi.c.year, func.count(distinct(mvi.c.unit)))
            .where(mvi.c.theme_id == theme_id)
            .group_by(mvi.c.year)
        ).all()
    )
    return {
        int(year): percent(with_theme.get(year, 0), total)
        for year, total in totals.items()
        if total
    }


# --- Many organisations -------------------------------------------------------------------------


def benchmarked(organisations: Select | None = None) -> Select:
    """The ids of the organisations that count in benchmarks (not opted out), optionally of a
    narrower select of organisation ids."""
    query = select(Organisation.id).where(Organisation.monitor_benchmark == true())
    if organisations is not None:
        query = query.where(Organisation.id.in_(organisations))
    return query


def shares_per_organisation(rows: CTE) -> dict[int, tuple[int, int]]:
    """Per organisation id: (tenders, tenders with MVI)."""
    return {
        organisation_id: (int(tenders), int(with_mvi))
        for organisation_id, tenders, with_mvi in db.session.execute(
            select(rows.c.organisation_id, func.count(), func.sum(rows.c.mvi_applied)).group_by(
                rows.c.organisation_id
            )
        )
    }


def theme_counts_per_organisation(rows: CTE) -> dict[tuple[int, int], int]:
    """Per (organisation id, theme id): the organisation's tenders applying the theme."""
    mvi = population_mvi(rows)
    return {
        (organisation_id, theme_id): int(tenders)
        for organisation_id, theme_id, tenders in db.session.execute(
            select(mvi.c.organisation_id, mvi.c.theme_id, func.count(distinct(mvi.c.unit)))
            .where(mvi.c.theme_id.is_not(None))
            .group_by(mvi.c.organisation_id, mvi.c.theme_id)
        )
    }


# --- The national overview (/monitor) ------------------------------------------------------------
# Over every organisation that counts in benchmarks, as the viewer may see its tenders. A tender
# counts once for each organisation it belongs to (like each organisation's own figures, added
# up). Records are read from their counts per organisation and year (portal/monitor/facts.py,
# kept after every write: counting 100,000 records live took 0.8 s a page), example tenders from
# the population as the viewer may see them; SQL adds both up per year, organisation type and
# size class, counting the distinct organisations behind each figure.

from sqlalchemy import CompoundSelect  # noqa: E402 (kept in this section, see its notes)


@dataclass(frozen=True)
class Share:
    """part of whole, behind which `organisations` distinct organisations stand: shown (as
    `percent`) only when they are at least MIN_PEERS."""

    part: int
    whole: int
    organisations: int

    @property
    def shown(self) -> bool:
        return self.organisations >= MIN_PEERS

    @property
    def percent(self) -> int | None:
        """Whole percent, or None when too few organisations stand behind it or there is no whole."""
        return percent(self.part, self.whole) if self.shown else None


@dataclass
class GroupFigures:
    """The tenders of a group of organisations (a year, an organisation type, a size class)."""

    organisations: int = 0
    with_value: int = 0  # organisations with a known value
    tenders: int = 0
    with_mvi: int = 0
    value: int = 0
    value_with_mvi: int = 0

    @property
    def shown(self) -> bool:
        return self.organisations >= MIN_PEERS

    @property
    def count_share(self) -> Share:
        return Share(self.with_mvi, self.tenders, self.organisations)

    @property
    def value_share(self) -> Share:
        return Share(self.value_with_mvi, self.value, self.with_value)


@dataclass
class ThemeUptake:
    """How often one theme was applied by a group of organisations: in how many tenders, by how
    many organisations, and per instrument and ambition level (term id → tenders)."""

    theme_id: int
    tenders: int = 0
    organisations: int = 0
    by_instrument: dict[int, int] = field(default_factory=dict)
    by_ambition: dict[int, int] = field(default_factory=dict)

    @property
    def breakdown_shown(self) -> bool:
        """Whether enough organisations apply it to show its instruments and ambition levels."""
        return self.organisations >= MIN_PEERS

    def share_of(self, group: GroupFigures) -> Share:
        """Its share of the group's tenders (the group's organisations stand behind it)."""
        return Share(self.tenders, group.tenders, group.organisations)

    def instrument_share(self, instrument_id: int) -> Share:
        """The share of its tenders that apply it with this instrument."""
        return Share(self.by_instrument.get(instrument_id, 0), self.tenders, self.organisations)

    def ambition_share(self, ambition_level_id: int) -> Share:
        """The share of its tenders that apply it at this ambition level."""
        return Share(self.by_ambition.get(ambition_level_id, 0), self.tenders, self.organisations)


@dataclass
class NationalCounts:
    """The national figures, added up in SQL: in all, per year, per organisation type and per
    size class (dicts by id), the uptake of each theme in all and per type and size class, and
    nationally per theme the tenders per instrument id and per ambition level id."""

    total: GroupFigures
    per_year: dict[int, GroupFigures]
    per_type: dict[int, GroupFigures]
    per_size: dict[int, GroupFigures]
    uptake: dict[int, ThemeUptake]
    uptake_per_type: dict[int, dict[int, ThemeUptake]]
    uptake_per_size: dict[int, dict[int, ThemeUptake]]


def _theme_rows(
    mvi, unit, instrument_ids: list[int], ambition_level_ids: list[int], *where
) -> list[tuple[int, int, int, dict[int, int], dict[int, int]]]:
    """Per (organisation, theme) of MVI rows (a selectable with organisation_id, theme_id,
    instrument_id and ambition_level_id; unit names a tender within its organisation): the
    tenders applying the theme and, per instrument and ambition level, those applying it so.
    One row per (organisation, tender, theme) first, with a flag per instrument and level, so a
    tender counts once per theme, once per instrument and once per level."""
    flags = [
        func.max(case((column == term_id, 1), else_=0)).label(f"{prefix}{term_id}")
        for prefix, column, term_ids in (
            ("i", mvi.c.instrument_id, instrument_ids),
            ("a", mvi.c.ambition_level_id, ambition_level_ids),
        )
        for term_id in term_ids
    ]
    applied = (
        select(mvi.c.organisation_id, mvi.c.theme_id, *flags)
        .where(mvi.c.theme_id.is_not(None), *where)
        .group_by(unit, mvi.c.theme_id, mvi.c.organisation_id)
        .subquery("applied")
    )
    found = []
    for organisation_id, theme_id, tenders, *sums in db.session.execute(
        select(
            applied.c.organisation_id,
            applied.c.theme_id,
            func.count(),
            *(func.sum(applied.c[flag.name]) for flag in flags),
        ).group_by(applied.c.organisation_id, applied.c.theme_id)
    ):
        counts = dict(zip((flag.name for flag in flags), (int(s or 0) for s in sums), strict=True))
        found.append(
            (
                organisation_id,
                theme_id,
                int(tenders),
                {i: counts[f"i{i}"] for i in instrument_ids if counts[f"i{i}"]},
                {a: counts[f"a{a}"] for a in ambition_level_ids if counts[f"a{a}"]},
            )
        )
    return found


def _add_terms(
    terms: dict[int, tuple[dict[int, int], dict[int, int]]],
    theme_id: int,
    kind: str,
    term_id: int,
    tenders: int,
) -> None:
    instruments, ambitions = terms.setdefault(theme_id, ({}, {}))
    target = instruments if kind == "instrument" else ambitions
    target[term_id] = target.get(term_id, 0) + int(tenders)


def _grouped(
    rows: CTE, keys: dict[str, ColumnElement | None], by: tuple, *aggregates
) -> CompoundSelect:
    """One select of the aggregates of rows (a CTE with an organisation_id) per group and the
    columns `by`: a row per (group name, key, *by) for each named key column of the organisation
    or the rows (None: all of them)."""
    joined = rows.join(Organisation, Organisation.id == rows.c.organisation_id)
    parts = []
    for name, key in keys.items():
        part = select(
            literal(name, String).label("grouping"),
            (key if key is not None else literal(0, Integer)).label("key"),
            *by,
            *aggregates,
        ).select_from(joined)
        grouped = (key, *by) if key is not None else by
        parts.append(part.group_by(*grouped) if grouped else part)
    return union_all(*parts)


def national_counts(
    viewer: Actor, period: Period, instrument_ids: list[int], ambition_level_ids: list[int]
) -> NationalCounts:
    """Count the national population (benchmarked organisations, as viewer may see their tenders)
    in SQL: the records from their counts per organisation and year (kept by
    portal/monitor/facts.py: they are the bulk, and the same for every viewer), the example
    tenders through the population, as viewer may see them; each group's organisations counted
    once, whether they have records, tenders or both."""
    from portal.monitor.facts import MonitorNationalTerms as Terms
    from portal.monitor.facts import MonitorThemeFacts as Themes
    from portal.monitor.facts import MonitorYearFacts as Years

    rows = population(benchmarked(), viewer, period)
    tenders = select(rows).where(rows.c.source == "tender").cte("tender_population")
    years = union_all(
        select(Years.organisation_id, Years.year, Years.tenders, Years.with_mvi, Years.valued,
               Years.value, Years.value_with_mvi)
        .where(Years.organisation_id.in_(benchmarked()), *period.where(Years.year)),
        select(
            tenders.c.organisation_id, tenders.c.year, func.count(),
            func.coalesce(func.sum(tenders.c.mvi_applied), 0), func.count(tenders.c.value),
            func.coalesce(func.sum(tenders.c.value), 0),
            func.coalesce(func.sum(case((tenders.c.mvi_applied == 1, tenders.c.value), else_=0)), 0),
        ).group_by(tenders.c.organisation_id, tenders.c.year),
    ).cte("national_years")  # fmt: skip
    groups: dict[str, dict] = {"all": {}, "year": {}, "type": {}, "size": {}}
    for grouping, key, organisations, valued, count, with_mvi, value, value_with_mvi in db.session.execute(
        _grouped(
            years,
            {"all": None, "year": years.c.year, "type": Organisation.type_id,
             "size": Organisation.size_class_id},
            (),
            func.count(distinct(years.c.organisation_id)),
            func.count(distinct(case((years.c.valued > 0, years.c.organisation_id)))),
            func.coalesce(func.sum(years.c.tenders), 0),
            func.coalesce(func.sum(years.c.with_mvi), 0),
            func.coalesce(func.sum(years.c.value), 0),
            func.coalesce(func.sum(years.c.value_with_mvi), 0),
        )
    ):  # fmt: skip
        if key is not None:
            groups[grouping][int(key)] = GroupFigures(
                int(organisations), int(valued), int(count), int(with_mvi), int(value),
                int(value_with_mvi),
            )  # fmt: skip
    # Per theme: the organisations' records (counts per year) and tenders (each counted once
    # per theme within its organisation).
    tender_mvi = population_mvi(tenders)
    # One row per (organisation, theme) first: the groups below then sort a few thousand rows.
    both = union_all(
        select(Themes.organisation_id, Themes.theme_id, Themes.tenders).where(
            Themes.kind == "theme",
            Themes.organisation_id.in_(benchmarked()),
            *period.where(Themes.year),
        ),
        select(
            tender_mvi.c.organisation_id,
            tender_mvi.c.theme_id,
            func.count(distinct(tender_mvi.c.unit)).label("tenders"),
        )
        .where(tender_mvi.c.source == "tender", tender_mvi.c.theme_id.is_not(None))
        .group_by(tender_mvi.c.organisation_id, tender_mvi.c.theme_id),
    ).subquery("both_themes")
    themes = (
        select(both.c.organisation_id, both.c.theme_id, func.sum(both.c.tenders).label("tenders"))
        .group_by(both.c.organisation_id, both.c.theme_id)
        .cte("national_themes")
    )  # fmt: skip
    uptakes: dict[str, dict] = {"all": {}, "type": {}, "size": {}}
    for grouping, key, theme_id, organisations, count in db.session.execute(
        _grouped(
            themes,
            {"all": None, "type": Organisation.type_id, "size": Organisation.size_class_id},
            (themes.c.theme_id,),
            func.count(distinct(themes.c.organisation_id)),
            func.coalesce(func.sum(themes.c.tenders), 0),
        )
    ):
        if key is not None:
            uptakes[grouping].setdefault(int(key), {})[theme_id] = ThemeUptake(
                theme_id, int(count), int(organisations)
            )
    # Nationally, each theme's instruments and ambition levels: the records' national sums, and
    # the tenders' own.
    terms: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
    for theme_id, kind, term_id, count in db.session.execute(
        select(Terms.theme_id, Terms.kind, Terms.term_id, func.sum(Terms.tenders))
        .where(*period.where(Terms.year))
        .group_by(Terms.theme_id, Terms.kind, Terms.term_id)
    ):
        _add_terms(terms, theme_id, kind, term_id, count)
    for _organisation, theme_id, _count, instruments, ambitions in _theme_rows(
        tender_mvi, tender_mvi.c.unit, instrument_ids, ambition_level_ids,
        tender_mvi.c.source == "tender",
    ):  # fmt: skip
        for kind, counts in (("instrument", instruments), ("ambition", ambitions)):
            for term_id, with_term in counts.items():
                _add_terms(terms, theme_id, kind, term_id, with_term)
    uptake = uptakes["all"].get(0, {})
    for theme_id, (instruments, ambitions) in terms.items():
        found = uptake.get(theme_id) or uptake.setdefault(theme_id, ThemeUptake(theme_id))
        found.by_instrument, found.by_ambition = instruments, ambitions
    return NationalCounts(
        total=groups["all"].get(0) or GroupFigures(),
        per_year=groups["year"],
        per_type=groups["type"],
        per_size=groups["size"],
        uptake=uptake,
        uptake_per_type=uptakes["type"],
        uptake_per_size=uptakes["size"],
    )


def examples_per_theme(viewer: Actor) -> dict[int, int]:
    """Per theme id: the example tenders viewer finds in the list of tenders with that theme
    (the count /aanbestedingen?thema=... shows)."""
    from portal.content.models import item_themes

    return {
        theme_id: int(count)
        for theme_id, count in db.session.execute(
            select(item_themes.c.theme_id, func.count())
            .select_from(Item)
            .join(item_themes, item_themes.c.item_id == Item.id)
            .where(Item.kind == "tender", *visible_to(viewer))
            .group_by(item_themes.c.theme_id)
        )
    }


# How many of the least applied themes "where examples are needed most" names.
LEAST_APPLIED = 3


@dataclass
class NationalOverview:
    """Everything /monitor shows: the vocabularies in their order, the figures over the period,
    per year, per theme, per organisation type and per size class, the least applied themes and
    the example tenders per theme the viewer may see."""

    period: Period
    themes: list
    instruments: list
    ambition_levels: list
    total: GroupFigures
    per_year: list[tuple[int, GroupFigures]]
    uptake: dict[int, ThemeUptake]
    per_type: list[tuple[object, GroupFigures, dict[int, ThemeUptake]]]
    per_size: list[tuple[object, GroupFigures, dict[int, ThemeUptake]]]
    examples: dict[int, int]

    def theme_uptake(self, theme_id: int) -> ThemeUptake:
        return self.uptake.get(theme_id) or ThemeUptake(theme_id)

    def theme_share(
        self,
        theme_id: int,
        figures: GroupFigures | None = None,
        uptake: dict[int, ThemeUptake] | None = None,
    ) -> Share:
        """A theme's share of the tenders of a group (by default: of all)."""
        found = (self.uptake if uptake is None else uptake).get(theme_id) or ThemeUptake(theme_id)
        return found.share_of(self.total if figures is None else figures)

    def year_bars(self, share: str) -> list[tuple[str, Share]]:
        """(year, its count_share or value_share) for a chart."""
        return [(str(year), getattr(figures, share)) for year, figures in self.per_year]

    def theme_bars(self) -> list[tuple[str, Share]]:
        return [(theme.label, self.theme_share(theme.id)) for theme in self.themes]

    @staticmethod
    def group_bars(groups: list) -> list[tuple[str, Share]]:
        return [(term.label, figures.count_share) for term, figures, _uptake in groups]

    @property
    def least_applied(self) -> list:
        """The themes with the smallest national share (only when that share may be shown)."""
        if not self.total.shown:
            return []
        ranked = sorted(
            self.themes,
            key=lambda theme: (self.theme_uptake(theme.id).tenders, theme.position, theme.id),
        )
        return ranked[:LEAST_APPLIED]


def national_overview(viewer: Actor, period: Period = ALL_YEARS) -> NationalOverview:
    """The national overview over period, as viewer may see the tenders behind it."""
    from portal.taxonomy.models import AmbitionLevel, Instrument, OrganisationType, SizeClass, Theme

    def terms(model) -> list:
        return list(
            db.session.scalars(
                select(model).where(model.is_active == true()).order_by(model.position, model.id)
            )
        )

    themes, instruments, ambition_levels = terms(Theme), terms(Instrument), terms(AmbitionLevel)
    counts = national_counts(
        viewer, period, [i.id for i in instruments], [a.id for a in ambition_levels]
    )
    per_type = [
        (
            kind,
            counts.per_type.get(kind.id) or GroupFigures(),
            counts.uptake_per_type.get(kind.id, {}),
        )
        for kind in terms(OrganisationType)
    ]
    per_size = [
        (
            size,
            counts.per_size.get(size.id) or GroupFigures(),
            counts.uptake_per_size.get(size.id, {}),
        )
        for size in terms(SizeClass)
    ]
    return NationalOverview(
        period=period,
        themes=themes,
        instruments=instruments,
        ambition_levels=ambition_levels,
        total=counts.total,
        # Per year, oldest first (a tender without a year counts only in the total).
        per_year=sorted(counts.per_year.items()),
        uptake=counts.uptake,
        per_type=per_type,
        per_size=per_size,
        examples=examples_per_theme(viewer),
    )
