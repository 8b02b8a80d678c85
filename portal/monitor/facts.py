"""The records' counts per organisation and year, kept beside the records for the national overview.

`make bench-monitor` measured /monitor at 100,000 records counting the records themselves: about
0.8 s a page, mostly joining some 130,000 MVI rows to their records and counting each tender once
per theme, instrument and ambition level. These tables hold those counts per organisation and
year (a few thousand rows), so the overview adds up small tables instead.

Kept correct after every write in the same transaction: each flush notes the organisations whose
records or MVI rows it wrote (also Core inserts and statements run through the session, such as
the demo records' bulk insert), and before the commit their counts are computed again from the
records, in SQL. A statement that changes records without naming them (an UPDATE or DELETE of
many) recomputes every organisation. Records are counted for every viewer alike; example tenders
depend on the viewer and are counted live (portal/monitor/queries.py)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    case,
    delete,
    distinct,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from portal.extensions import db
from portal.monitor.models import MonitorRecord, MonitorRecordMvi
from portal.organisations.models import Organisation

STALE = "monitor_facts_stale"  # session.info: organisation ids to count again, or ALL
RECORDS_TO_RESOLVE = "monitor_facts_records"  # session.info: record ids whose organisation to find
NATIONAL = "monitor_facts_national"  # session.info: the national sums must be made again
ALL = "all"
REFRESH_LOCK = 2026_0014  # PostgreSQL advisory lock key: counting again, one at a time
KINDS = ("theme", "instrument", "ambition")


class MonitorYearFacts(db.Model):
    """An organisation's records in one year: how many, with MVI, with a known value, and their
    value (the middle of each range) in all and with MVI."""

    __tablename__ = "monitor_year_facts"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenders: Mapped[int] = mapped_column(Integer)
    with_mvi: Mapped[int] = mapped_column(Integer)
    valued: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(BigInteger)
    value_with_mvi: Mapped[int] = mapped_column(BigInteger)


class MonitorThemeFacts(db.Model):
    """An organisation's records in one year that apply a theme (kind 'theme', term_id 0), and
    that apply it with an instrument or at an ambition level (kind 'instrument' or 'ambition',
    term_id that term): each record counted once per row."""

    __tablename__ = "monitor_theme_facts"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    term_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenders: Mapped[int] = mapped_column(Integer)

    # The overview reads the 'theme' rows of every organisation: from this index alone.
    __table_args__ = (
        Index("ix_monitor_theme_facts_kind", "kind", "organisation_id", "year", "theme_id",
              "tenders"),
    )  # fmt: skip


class MonitorNationalTerms(db.Model):
    """The instrument and ambition rows of MonitorThemeFacts added up over the organisations in
    benchmarks, per year: the national breakdown of each theme reads a few hundred rows, not
    one per organisation."""

    __tablename__ = "monitor_national_terms"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    term_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenders: Mapped[int] = mapped_column(Integer)


FACT_TABLES = frozenset({MonitorYearFacts.__tablename__, MonitorThemeFacts.__tablename__,
                         MonitorNationalTerms.__tablename__})  # fmt: skip
RECORD_TABLES = frozenset({MonitorRecord.__tablename__, MonitorRecordMvi.__tablename__})


def year_facts_query(organisation_ids: list[int] | None):
    """The year facts of these organisations (None: all), computed from their records."""
    value = (MonitorRecord.value_min + MonitorRecord.value_max) // 2
    query = select(
        MonitorRecord.organisation_id, MonitorRecord.year, func.count(),
        func.sum(case((MonitorRecord.mvi_applied == true(), 1), else_=0)),
        func.count(value), func.coalesce(func.sum(value), 0),
        func.coalesce(func.sum(case((MonitorRecord.mvi_applied == true(), value), else_=0)), 0),
    ).group_by(MonitorRecord.organisation_id, MonitorRecord.year)  # fmt: skip
    if organisation_ids is not None:
        query = query.where(MonitorRecord.organisation_id.in_(organisation_ids))
    return query


def theme_facts_query(organisation_ids: list[int] | None):
    """The theme facts of these organisations (None: all), computed from their records."""

    def counted(kind: str, term):
        grouped = [MonitorRecord.organisation_id, MonitorRecord.year, MonitorRecordMvi.theme_id]
        query = (
            select(*grouped, literal(kind, String), term,
                   func.count(distinct(MonitorRecordMvi.record_id)))
            .join(MonitorRecord, MonitorRecord.id == MonitorRecordMvi.record_id)
            .where(MonitorRecordMvi.theme_id.is_not(None))
            .group_by(*grouped)
        )  # fmt: skip
        if kind != "theme":
            query = query.where(term.is_not(None)).group_by(term)
        if organisation_ids is not None:
            query = query.where(MonitorRecord.organisation_id.in_(organisation_ids))
        return query

    return union_all(
        counted("theme", literal(0, Integer)),
        counted("instrument", MonitorRecordMvi.instrument_id),
        counted("ambition", MonitorRecordMvi.ambition_level_id),
    )


def refresh_facts(organisation_ids: set[int] | None = None, session: Session | None = None) -> None:
    """Count the records of these organisations (None: of all) again, in SQL, without flushing."""
    session = session or db.session
    ids = None if organisation_ids is None else sorted(organisation_ids)
    for start in range(0, 1 if ids is None else len(ids), 500):  # a bounded IN list
        chunk = None if ids is None else ids[start : start + 500]
        for model in (MonitorYearFacts, MonitorThemeFacts):
            statement = delete(model)
            if chunk is not None:
                statement = statement.where(model.organisation_id.in_(chunk))
            session.execute(statement)
        year = MonitorYearFacts.__table__
        session.execute(
            insert(year).from_select(
                ["organisation_id", "year", "tenders", "with_mvi", "valued", "value",
                 "value_with_mvi"],
                year_facts_query(chunk),
            )
        )  # fmt: skip
        session.execute(
            insert(MonitorThemeFacts.__table__).from_select(
                ["organisation_id", "year", "theme_id", "kind", "term_id", "tenders"],
                theme_facts_query(chunk),
            )
        )


def refresh_national_terms(session: Session | None = None) -> None:
    """Add up the instrument and ambition rows of the organisations in benchmarks again."""
    session = session or db.session
    facts = MonitorThemeFacts
    session.execute(delete(MonitorNationalTerms))
    session.execute(
        insert(MonitorNationalTerms.__table__).from_select(
            ["year", "theme_id", "kind", "term_id", "tenders"],
            select(facts.year, facts.theme_id, facts.kind, facts.term_id, func.sum(facts.tenders))
            .where(
                facts.kind != "theme",
                facts.organisation_id.in_(
                    select(Organisation.id).where(Organisation.monitor_benchmark == true())
                ),
            )
            .group_by(facts.year, facts.theme_id, facts.kind, facts.term_id),
        )
    )


# --- Kept correct after every write -----------------------------------------------------------


def _stale(session: Session, organisation_id: int | None) -> None:
    found = session.info.get(STALE)
    if found == ALL:
        return
    if organisation_id is None:
        session.info[STALE] = ALL
        return
    session.info.setdefault(STALE, set()).add(organisation_id)


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, MonitorRecord):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            _stale(session, obj.organisation_id)
        elif isinstance(obj, Organisation):
            # In or out of benchmarks, or gone: the national sums change.
            if obj in session.deleted or (
                obj in session.dirty and inspect(obj).attrs.monitor_benchmark.history.has_changes()
            ):
                session.info[NATIONAL] = True
        elif isinstance(obj, MonitorRecordMvi):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj.record_id is None:
                _stale(session, None)
            else:
                session.info.setdefault(RECORDS_TO_RESOLVE, set()).add(obj.record_id)


# First among the listeners: one that returns a result (the page cache's) ends the others.
@event.listens_for(Session, "do_orm_execute", insert=True)
def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table == Organisation.__tablename__ and not state.is_insert:
        state.session.info[NATIONAL] = True
        return
    if table not in RECORD_TABLES:
        return
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    key = "organisation_id" if table == MonitorRecord.__tablename__ else "record_id"
    if not state.is_insert or not rows or any(key not in row for row in rows):
        _stale(state.session, None)  # which organisations it changes is not said: all
        return
    if key == "organisation_id":
        for row in rows:
            _stale(state.session, row["organisation_id"])
    else:
        state.session.info.setdefault(RECORDS_TO_RESOLVE, set()).update(
            row["record_id"] for row in rows
        )


@event.listens_for(Session, "before_commit")
def _count_again(session: Session) -> None:
    session.flush()  # the last writes' notes first
    records = session.info.pop(RECORDS_TO_RESOLVE, set())
    if records and session.info.get(STALE) != ALL:
        ordered = sorted(records)
        for start in range(0, len(ordered), 500):
            for organisation_id in session.scalars(
                select(MonitorRecord.organisation_id)
                .where(MonitorRecord.id.in_(ordered[start : start + 500]))
                .distinct()
            ):
                _stale(session, organisation_id)
    stale = session.info.pop(STALE, None)
    national = session.info.pop(NATIONAL, False)
    if not (stale or national):
        return
    if session.get_bind().dialect.name == "postgresql":
        # One transaction at a time counts again: two that rewrote the same rows side by side
        # would collide on their keys. (SQLite lets one writer in at a time anyway.)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})
    if stale:
        refresh_facts(None if stale == ALL else stale, session)
    refresh_national_terms(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(NATIONAL, None)
    session.info.pop(STALE, None)
    session.info.pop(RECORDS_TO_RESOLVE, None)
