"""Search insights: which queries people make, which find nothing, and after which nobody opened
a result, so editors can add concepts where the vocabulary falls short.

Only the query text is kept (folded, at most QUERY_CHARS), with the number of visible results
or the fact that a result was opened: never who searched (no account, session, address or
browser). A search on the search page counts (its first page, with words); an opened result
counts when its link, a tiny redirect (`/zoeken/open/<id>`), is followed, so no JavaScript is
needed. Events are counted in memory and written together, as item views are
(`portal/content/counting.py`, same VIEW_COUNT_WRITE_SECONDS), also for pages sent from the page
cache. Raw events are kept RAW_EVENT_DAYS; the worker's housekeeping then folds them into
per-query totals (`search_query_totals`), which are kept.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import case, delete, func, insert, select, union_all
from sqlalchemy.exc import SQLAlchemyError

from portal.common import as_utc, utcnow
from portal.extensions import db
from portal.search.analysis import fold
from portal.search.models import SearchEvent, SearchQueryTotal

log = logging.getLogger(__name__)
RAW_EVENT_DAYS = 90
QUERY_CHARS = 200
PERIODS = ("7", "30", "90", "alles")
_LOCK = threading.Lock()


def normalise(text: str) -> str:
    """The form a query is counted under: folded, single spaces, cut."""
    return " ".join(fold(text or "").split())[:QUERY_CHARS]


class _Events:
    def __init__(self) -> None:
        self.pending: list[tuple[datetime, str, int | None]] = []
        self.written_at = time.monotonic()


def _events(app: Flask) -> _Events:
    return app.extensions["search_events"]


def _add(query: str, results: int | None) -> None:
    text = normalise(query)
    if not text:
        return
    events = _events(current_app._get_current_object())  # type: ignore[attr-defined]
    with _LOCK:
        events.pending.append((utcnow(), text, results))


def count_search(query: str, results: int) -> None:
    """One search for query that found results visible results (written with the next batch)."""
    _add(query, results)


def count_opened(query: str) -> None:
    """A result opened from the results of query."""
    _add(query, None)


def write_events(app: Flask) -> int:
    """Write the counted events in one transaction; return how many were written."""
    events = _events(app)
    with _LOCK:
        pending, events.pending = events.pending, []
        events.written_at = time.monotonic()
    if not pending:
        return 0
    try:
        with db.engine.begin() as connection:
            connection.execute(
                insert(SearchEvent.__table__),
                [{"at": at, "query": query, "results": results} for at, query, results in pending],
            )
    except SQLAlchemyError as error:
        with _LOCK:
            events.pending[:0] = pending  # tried again with the next batch
        log.warning("Zoekgebeurtenissen niet opgeslagen, volgende keer opnieuw (%s)", error)
        return 0
    return len(pending)


def init_app(app: Flask) -> None:
    app.extensions["search_events"] = _Events()

    @app.teardown_request
    def _write_when_due(_error: BaseException | None) -> None:
        events = _events(app)
        every = app.config["VIEW_COUNT_WRITE_SECONDS"]
        if not events.pending or time.monotonic() - events.written_at < every:
            return
        if every <= 0:
            write_events(app)
            return
        events.written_at = time.monotonic()  # one writer thread per period

        def write() -> None:
            with app.app_context():
                write_events(app)

        threading.Thread(target=write, name="search-events", daemon=True).start()

    def _write_at_exit() -> None:
        if _events(app).pending:
            with app.app_context():
                write_events(app)

    atexit.register(_write_at_exit)


def fold_old_events(now: datetime | None = None) -> int:
    """Add the events older than RAW_EVENT_DAYS to the per-query totals and delete them, in the
    caller's transaction; return how many were folded."""
    before = (now or utcnow()) - timedelta(days=RAW_EVENT_DAYS)
    old = SearchEvent.__table__
    rows = db.session.execute(
        select(
            old.c.query,
            func.sum(case((old.c.results.is_not(None), 1), else_=0)),
            func.sum(case((old.c.results == 0, 1), else_=0)),
            func.sum(case((old.c.results.is_(None), 1), else_=0)),
            func.max(old.c.at),
            func.count(),
        )
        .where(old.c.at < before)
        .group_by(old.c.query)
    ).all()
    if not rows:
        return 0
    totals = {t.query: t for t in db.session.scalars(
        select(SearchQueryTotal).where(SearchQueryTotal.query.in_([r[0] for r in rows]))
    )}  # fmt: skip
    folded = 0
    for query, searches, without, opened, last_at, count in rows:
        total = totals.get(query)
        if total is None:
            total = SearchQueryTotal(query=query, searches=0, without_results=0, opened=0,
                                     last_at=last_at)  # fmt: skip
            db.session.add(total)
        total.searches += int(searches or 0)
        total.without_results += int(without or 0)
        total.opened += int(opened or 0)
        total.last_at = max(as_utc(total.last_at), as_utc(last_at))
        folded += count
    db.session.execute(delete(SearchEvent).where(SearchEvent.at < before))
    db.session.flush()
    return folded


@dataclass(frozen=True)
class QueryCount:
    query: str
    searches: int
    without_results: int
    opened: int

    @property
    def with_results(self) -> int:
        return self.searches - self.without_results


@dataclass(frozen=True)
class Insights:
    period: str
    frequent: list[QueryCount]
    without_results: list[QueryCount]
    not_opened: list[QueryCount]
    searches: int  # all searches in the period


def insights(period: str = "90", most: int = 50) -> Insights:
    """The counts per query text over the last `period` days (or everything, totals included)."""
    raw = SearchEvent.__table__
    parts = [
        select(
            raw.c.query.label("query"),
            case((raw.c.results.is_not(None), 1), else_=0).label("searches"),
            case((raw.c.results == 0, 1), else_=0).label("without_results"),
            case((raw.c.results.is_(None), 1), else_=0).label("opened"),
        ).where(raw.c.at >= utcnow() - timedelta(days=int(period) if period.isdigit() else 36500))
    ]
    if period == "alles":
        kept = SearchQueryTotal.__table__
        parts.append(select(kept.c.query, kept.c.searches, kept.c.without_results, kept.c.opened))
    every = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    rows = db.session.execute(
        select(
            every.c.query,
            func.sum(every.c.searches),
            func.sum(every.c.without_results),
            func.sum(every.c.opened),
        ).group_by(every.c.query)
    ).all()
    counts = [QueryCount(q, int(s or 0), int(w or 0), int(o or 0)) for q, s, w, o in rows]
    counts = [c for c in counts if c.searches]  # opened without a counted search: not shown

    def top(found: list[QueryCount], key) -> list[QueryCount]:
        return sorted(found, key=lambda c: (-key(c), c.query))[:most]

    return Insights(
        period=period,
        frequent=top(counts, lambda c: c.searches),
        without_results=top([c for c in counts if c.without_results], lambda c: c.without_results),
        not_opened=top(
            [c for c in counts if not c.opened and c.with_results],
            lambda c: c.with_results,
        ),
        searches=sum(c.searches for c in counts),
    )
