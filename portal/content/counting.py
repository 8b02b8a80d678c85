"""Item views, counted in memory and written in one transaction every few seconds.

A view used to be an UPDATE and a commit inside the page's request; now the page only adds one to
a counter in the worker, and once VIEW_COUNT_WRITE_SECONDS have passed the end of a request hands
the counts to a short-lived thread that writes them (so no reader waits for it, and a row lock an
editor holds delays that thread only, at most LOCK_TIMEOUT on PostgreSQL, after which the counts
wait for the next batch); 0 seconds writes them at the end of every request itself, as the tests
do. The rest is written when the worker stops. A page sent from the page cache counts its view
the same way. Views are not entered by anyone: a worker killed outright loses at most those few
seconds of counting."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter

from flask import Flask, current_app
from sqlalchemy import text, update
from sqlalchemy.exc import SQLAlchemyError

from portal.content.models import Item
from portal.extensions import db

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
LOCK_TIMEOUT = "2s"


class _Views:
    def __init__(self) -> None:
        self.pending: Counter[int] = Counter()
        self.written_at = time.monotonic()


def _views(app: Flask) -> _Views:
    return app.extensions["item_views"]


def count_view(item_id: int) -> None:
    """Add one view of the item (written with the next batch)."""
    views = _views(current_app._get_current_object())  # type: ignore[attr-defined]
    with _LOCK:
        views.pending[item_id] += 1


def write_views(app: Flask) -> int:
    """Write the counted views in one transaction; return how many were written."""
    views = _views(app)
    with _LOCK:
        pending, views.pending = views.pending, Counter()
        views.written_at = time.monotonic()
    if not pending:
        return 0
    try:
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            for item_id, count in sorted(pending.items()):  # one order: no deadlock between workers
                connection.execute(
                    update(Item.__table__)
                    .where(Item.__table__.c.id == item_id)
                    .values(view_count=Item.__table__.c.view_count + count)
                )
    except SQLAlchemyError as error:
        with _LOCK:
            views.pending.update(pending)  # tried again with the next batch
        log.warning("Weergaven niet opgeslagen, volgende keer opnieuw (%s)", error)
        return 0
    return sum(pending.values())


def init_app(app: Flask) -> None:
    app.extensions["item_views"] = _Views()

    @app.teardown_request
    def _write_when_due(_error: BaseException | None) -> None:
        views = _views(app)
        every = app.config["VIEW_COUNT_WRITE_SECONDS"]
        if not views.pending or time.monotonic() - views.written_at < every:
            return
        if every <= 0:
            write_views(app)
            return
        views.written_at = time.monotonic()  # one writer thread per period

        def write() -> None:
            with app.app_context():
                write_views(app)

        threading.Thread(target=write, name="item-views", daemon=True).start()

    def _write_at_exit() -> None:
        if _views(app).pending:
            with app.app_context():
                write_views(app)

    atexit.register(_write_at_exit)
