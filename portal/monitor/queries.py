"""The monitor's reads in SQL: the population of tenders of one or more organisations, and its
figures per year, theme, instrument and ambition level, MKI gains, realisation and peers.

Kept in SQL (no rows loaded into Python) so the monitor can aggregate 100,000 records."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    distinct,
    exists,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from portal.content.models import Item, item_co_owners
from portal.content.queries import visible_to
from portal.extensions import db
from portal.monitor.models import MonitorRecord, MonitorRecordMvi
from portal.organisations.models import Organisation
from portal.permissions import Actor
from portal.tenders.models import Tender, TenderMviRow

COUNTED_TENDER_STATUSES = ("published", "archived")
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
) -> CTE:
    """The monitor population of one organisation (an id) or several (a select of ids), in SQL.

    Columns: organisation_id, source ('record' or 'tender'), unit (unique per organisation:
    2 × record id, or 2 × tender id + 1), record_id, tender_id, year, value (the middle of the
    value range, whole euros, NULL when unknown), mvi_applied (1 or 0), realised_percent,
    mki_gain_eur, mki_gain_percent. Rows: every record of the organisation, plus every published
    or archived example tender it owns or co-owns that is not hidden and no record of it was
    promoted to (that record already counts it). With a viewer, only the tenders the viewer finds
    in lists count (members-only and group-only tenders count only for those who may see them:
    the one visibility rule, `visible_to`)."""

    def of(column: ColumnElement) -> ColumnElement[bool]:
        if isinstance(organisations, int):
            return column == organisations
        return column.in_(organisations)

    records = select(
        MonitorRecord.organisation_id.label("organisation_id"),
        literal("record", String).label("source"),
        (MonitorRecord.id * 2).label("unit"),
        MonitorRecord.id.label("record_id"),
        MonitorRecord.tender_id.label("tender_id"),
        MonitorRecord.year.label("year"),
        ((MonitorRecord.value_min + MonitorRecord.value_max) // 2).label("value"),
        case((MonitorRecord.mvi_applied == true(), 1), else_=0).label("mvi_applied"),
        MonitorRecord.realised_percent.label("realised_percent"),
        literal(None, Integer).label("mki_gain_eur"),
        literal(None, Integer).label("mki_gain_percent"),
    ).where(of(MonitorRecord.organisation_id), *period.where(MonitorRecord.year))
    owners = union_all(
        select(Item.id.label("tender_id"), Item.organisation_id.label("organisation_id")).where(
            Item.kind == "tender"
        ),
        select(
            item_co_owners.c.item_id.label("tender_id"),
            item_co_owners.c.organisation_id.label("organisation_id"),
        ),
    ).subquery("owners")
    promoted = exists().where(
        MonitorRecord.tender_id == Tender.id,
        MonitorRecord.organisation_id == owners.c.organisation_id,
    )
    tenders = (
        select(
            owners.c.organisation_id.label("organisation_id"),
            literal("tender", String).label("source"),
            (Tender.id * 2 + 1).label("unit"),
            literal(None, Integer).label("record_id"),
            Tender.id.label("tender_id"),
            Item.year.label("year"),
            ((Tender.value_min + Tender.value_max) // 2).label("value"),
            case((exists().where(TenderMviRow.tender_id == Tender.id), 1), else_=0).label(
                "mvi_applied"
            ),
            case(
                (
                    Tender.results_promised > 0,
                    Tender.results_realised * 100 / Tender.results_promised,
                ),
                else_=null(),
            ).label("realised_percent"),
            Tender.mki_gain_eur.label("mki_gain_eur"),
            Tender.mki_gain_percent.label("mki_gain_percent"),
        )
        .select_from(Tender)
        .join(owners, owners.c.tender_id == Tender.id)
        .where(
            of(owners.c.organisation_id),
            Item.status.in_(COUNTED_TENDER_STATUSES),
            Item.hidden_at.is_(None),
            ~promoted,
            *period.where(Item.year),
            *(visible_to(viewer) if viewer is not None else ()),
        )
    )
    return union_all(records, tenders).cte("population")


def population_mvi(rows: CTE) -> CTE:
    """The MVI rows of a population: organisation_id, source, unit, record_id, tender_id, year,
    theme_id, instrument_id, ambition_level_id and weight_percent (tenders only)."""
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
        .where(rows.c.source == "record")
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
        .join(TenderMviRow, TenderMviRow.tender_id == rows.c.tender_id)
        .where(rows.c.source == "tender")
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
    weighted_tenders: int = 0


def theme_figures(rows: CTE) -> dict[int, ThemeFigures]:
    """Per theme id: the tenders of the population that apply it (a tender counts once per theme,
    once per instrument and once per ambition level), and its average weight, in three queries."""
    mvi = population_mvi(rows)
    unit = distinct(mvi.c.unit)
    figures: dict[int, ThemeFigures] = {}
    for theme_id, tenders, weighted, weight in db.session.execute(
        select(
            mvi.c.theme_id,
            func.count(unit),
            func.count(distinct(case((mvi.c.weight_percent.is_not(None), mvi.c.unit)))),
            func.avg(mvi.c.weight_percent),
        )
        .where(mvi.c.theme_id.is_not(None))
        .group_by(mvi.c.theme_id)
    ):
        figures[theme_id] = ThemeFigures(
            theme_id,
            int(tenders),
            average_weight=float(weight) if weight is not None else None,
            weighted_tenders=int(weighted),
        )
    for column, target in (
        (mvi.c.instrument_id, "by_instrument"),
        (mvi.c.ambition_level_id, "by_ambition"),
    ):
        for theme_id, term_id, tenders in db.session.execute(
            select(mvi.c.theme_id, column, func.count(unit))
            .where(mvi.c.theme_id.is_not(None), column.is_not(None))
            .group_by(mvi.c.theme_id, column)
        ):
            getattr(figures[theme_id], target)[term_id] = int(tenders)
    return figures


@dataclass
class Outcomes:
    """MKI gains and realisation over a population."""

    mki_tenders: int
    mki_gain_eur: int
    mki_gain_percent: float | None
    realisation_tenders: int
    realised_percent: float | None


def outcomes(rows: CTE) -> Outcomes:
    """The MKI gains (winner vs the other bids' average, summed in € and averaged in %) and the
    average share of promised MVI results realised, over the tenders that report them."""
    mki, gain, gain_percent, realisation, realised = db.session.execute(
        select(
            func.count(rows.c.mki_gain_eur),
            func.coalesce(func.sum(rows.c.mki_gain_eur), 0),
            func.avg(rows.c.mki_gain_percent),
            func.count(rows.c.realised_percent),
            func.avg(rows.c.realised_percent),
        )
    ).one()
    return Outcomes(
        int(mki),
        int(gain),
        float(gain_percent) if gain_percent is not None else None,
        int(realisation),
        float(realised) if realised is not None else None,
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
