"""Record side effects in the outbox, in the caller's transaction.

A service never performs a side effect itself: it calls `record(topic, payload)`, and the row
commits (or rolls back) together with the change that caused it. After the commit the row is
delivered (`portal.outbox.delivery`): at once in the background, or by `flask outbox work`, and
retried with back-off until its handler succeeds. Handlers plug themselves in with `handles()`,
so this package names none of the layers above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.outbox.models import OutboxMessage

Handler = Callable[[dict[str, Any], Session], None]
HANDLERS: dict[str, Handler] = {}


def handles(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of this topic (idempotent: may run twice)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[topic] = handler
        return handler

    return register


def record(topic: str, payload: dict[str, Any], session: Session | None = None) -> OutboxMessage:
    """Add a side effect to the current transaction; it is delivered only after the commit."""
    message = OutboxMessage(topic=topic, payload=payload)
    (session or db.session).add(message)
    return message


def _collect(session: Session, flush_context) -> None:
    """after_flush: remember the new messages' ids, for delivery right after the commit."""
    new = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        session.info.setdefault("outbox_ids", []).extend(new)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: deliver after the real commit
    ids = session.info.pop("outbox_ids", [])
    if ids:
        from portal.outbox.delivery import after_commit

        after_commit(ids)


def _after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("outbox_ids", None)


def init_outbox() -> None:
    """Listen to every session's flushes and commits (registered once by create_app)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


# Housekeeping the worker runs on every round (e.g. the search index rebuilds itself when missing).
SWEEP_HOOKS: list[Callable[[], None]] = []


def on_sweep(hook: Callable[[], None]) -> Callable[[], None]:
    """Run hook on every worker round and background sweep."""
    SWEEP_HOOKS.append(hook)
    return hook
