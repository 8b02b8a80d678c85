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

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from portal.extensions import db, on_commit, on_rollback
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
    session = session or db.session
    message = OutboxMessage(topic=topic, payload=payload)
    session.add(message)
    recorded = session.info.get("outbox_messages")
    if recorded is None:
        recorded = session.info["outbox_messages"] = []
        on_commit(lambda: _hand_over(session), session)
        on_rollback(lambda: session.info.pop("outbox_messages", None), session)
    recorded.append(message)
    return message


# Who takes the committed messages' ids right after the commit: delivery.init_app sets it (this
# module does not import delivery, which imports it). Unset, the rows wait for the worker's sweep.
_deliverer: list[Callable[[list[int]], None]] = []


def deliver_after_commit_with(deliverer: Callable[[list[int]], None]) -> None:
    _deliverer[:] = [deliverer]


def _hand_over(session: Session) -> None:
    """After the commit: give the committed messages to delivery (by their identity: the
    objects are expired, and reading them would start a new transaction)."""
    messages = session.info.pop("outbox_messages", [])
    ids = [state.identity[0] for state in map(inspect, messages) if state.identity]
    if ids and _deliverer:
        _deliverer[0](ids)


# Housekeeping the worker runs on every round (e.g. the search index rebuilds itself when missing).
SWEEP_HOOKS: list[Callable[[], None]] = []


def on_sweep(hook: Callable[[], None]) -> Callable[[], None]:
    """Run hook on every worker round and background sweep."""
    SWEEP_HOOKS.append(hook)
    return hook
