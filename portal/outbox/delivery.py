"""Deliver outbox messages: claim one, run its topic's handler, mark it delivered or retry later.

Any number of processes may deliver at once (app workers, `flask outbox work`, a CLI command):
a message is claimed by one conditional UPDATE that moves its `available_at` a lease ahead, so only
one of them runs it; a process that dies mid-delivery loses the lease and another one takes over.
Delivery is at least once, so handlers are idempotent (an index update re-reads the database; a mail
keeps its Message-ID).

Modes (setting OUTBOX_DELIVERY):
- `thread` (default): after a request's commit its messages go to one background thread per
  process, which also sweeps for due retries every OUTBOX_SWEEP_SECONDS, so a request never waits on
  SMTP or on the index, and the embedded default needs no extra process. Outside a request (CLI,
  seeds) messages are delivered right after the commit, in the committing thread.
- `inline`: always right after the commit, in the committing thread (the tests).
- `worker`: never in the app; `flask outbox work` delivers (several app servers, systemd unit).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.common import utcnow
from portal.extensions import db
from portal.outbox.models import OutboxMessage
from portal.outbox.services import HANDLERS, SWEEP_HOOKS, deliver_after_commit_with

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than any handler may take (SMTP timeout, index lock wait)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... doubling, at most an hour: retried until it succeeds."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0

    def __iadd__(self, other: Outcome) -> Outcome:
        self.delivered += other.delivered
        self.failed += other.failed
        return self


def deliver_one(session: Session, message_id: int) -> Outcome:
    """Claim this message (if it is due and nobody else holds it) and deliver it."""
    now = utcnow()
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.delivered_at.is_(None),
            OutboxMessage.available_at <= now,
        )
        .values(available_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:
        return Outcome()
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return Outcome()
    try:
        handler = HANDLERS[message.topic]
        handler(dict(message.payload), session)
        message.delivered_at = utcnow()
        message.last_error = ""
        session.commit()
        return Outcome(delivered=1)
    except Exception as error:  # any failure: keep it, retry later
        session.rollback()
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return Outcome(failed=1)
        message.available_at = utcnow() + backoff(message.attempts)
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        session.commit()
        log.warning(
            "Outbox %s #%d mislukt (poging %d), opnieuw na %s: %s",
            message.topic, message.id, message.attempts, backoff(message.attempts), error,
        )  # fmt: skip
        return Outcome(failed=1)


def deliver_ids(ids: list[int]) -> Outcome:
    """Deliver these messages now, each in its own transaction."""
    outcome = Outcome()
    with Session(db.engine, expire_on_commit=False) as session:
        for message_id in sorted(set(ids)):
            outcome += deliver_one(session, message_id)
    return outcome


def deliver_due(limit: int = 200) -> Outcome:
    """Deliver every message that is due (new, or whose back-off has passed), oldest first."""
    outcome = Outcome()
    with Session(db.engine, expire_on_commit=False) as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= utcnow())
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
        session.rollback()
        for message_id in ids:
            outcome += deliver_one(session, message_id)
    return outcome


def purge_delivered(keep: timedelta) -> int:
    """Forget delivered messages older than keep; return how many."""
    with Session(db.engine) as session, session.begin():
        result = session.execute(
            delete(OutboxMessage).where(OutboxMessage.delivered_at < utcnow() - keep)
        )
    return result.rowcount or 0


def after_commit(ids: list[int]) -> None:
    """Hand the just-committed messages to whoever delivers them in this mode."""
    if not has_app_context():
        return
    mode = current_app.config.get("OUTBOX_DELIVERY", "thread")
    if mode == "worker":
        return
    if mode == "thread" and has_request_context():
        _background(current_app._get_current_object()).put(ids)  # type: ignore[attr-defined]
        return
    try:
        deliver_ids(ids)
    except Exception:  # the rows are committed: the worker or the next sweep delivers them
        log.exception("Outbox: levering na commit mislukt; de rijen blijven staan")


def nudge() -> None:
    """Ask this process's background deliverer for a sweep now (e.g. the index went missing)."""
    if has_request_context() and current_app.config.get("OUTBOX_DELIVERY", "thread") == "thread":
        _background(current_app._get_current_object()).put(None)  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """In `thread` mode, start this process's deliverer with its first request, so rows a dead
    process left behind are swept without waiting for a new change. Committed messages come here
    through `after_commit`."""
    deliver_after_commit_with(after_commit)

    @app.before_request
    def _start_deliverer() -> None:
        if app.config.get("OUTBOX_DELIVERY", "thread") == "thread":
            _background(app)


# One background deliverer per process (gunicorn forks: a child starts its own).
_THREAD: dict[str, object] = {}
_LOCK = threading.Lock()


def _background(app: Flask) -> queue.Queue:
    with _LOCK:
        if _THREAD.get("pid") != os.getpid():
            inbox: queue.Queue = queue.Queue()
            thread = threading.Thread(
                target=_run, args=(app, inbox), name="outbox-delivery", daemon=True
            )
            _THREAD.update(pid=os.getpid(), queue=inbox, thread=thread)
            thread.start()
        return _THREAD["queue"]  # type: ignore[return-value]


def _run(app: Flask, inbox: queue.Queue) -> None:
    sweep = float(app.config.get("OUTBOX_SWEEP_SECONDS", 30))
    first = True  # sweep at once: what a dead process left waits no longer than this start
    swept = time.monotonic()
    while True:
        try:
            ids = None if first else inbox.get(timeout=sweep)
        except queue.Empty:
            ids = None
        first = False
        if app.config.get("OUTBOX_DELIVERY") != "thread":
            continue  # switched off (tests): the rows wait for whoever delivers now
        try:
            with app.app_context():
                if ids is not None:
                    deliver_ids(ids)
                # Also when commits keep coming faster than the sweep's interval (a busy site):
                # the retries and the housekeeping (the spelling vocabulary) must not wait for a
                # quiet moment.
                if ids is None or time.monotonic() - swept >= sweep:
                    swept = time.monotonic()
                    work_once(app)
        except Exception:  # never let the thread die; the rows stay for the next sweep
            log.exception("Outbox: bezorgen mislukt")
            time.sleep(1)


def work_once(app: Flask) -> Outcome:
    """One worker round: what is due, then housekeeping (the search index's own checks)."""
    outcome = deliver_due()
    for hook in SWEEP_HOOKS:
        try:
            hook()
        except Exception:
            log.exception("Outbox: onderhoud %s mislukt", getattr(hook, "__name__", hook))
    keep_days = float(app.config.get("OUTBOX_KEEP_DAYS", 7))
    purge_delivered(timedelta(days=keep_days))
    return outcome
