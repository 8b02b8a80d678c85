"""Values search reads on every query and that change slowly (names, PostgreSQL's word
statistics), kept per worker and per database for a while.

`forget()` drops this worker's copy at once (after a write to a name, see
`display_names.forget_if_named`, and in tests). With several workers or servers, set
CACHE_REDIS_URL: forget() then also bumps a generation number in Redis, and every worker checks it
at most every CHECK_SECONDS and drops its copy when it moved, so a write on one worker is seen by
all within a second. Without Redis (the embedded default) another worker sees a change when its
copy expires. If Redis cannot be reached, the copies simply expire; a request never fails on it.
Never used to decide who may see what.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import redis
from flask import current_app

from portal.extensions import db, redis_client

CHECK_SECONDS = 0.5
TIMEOUT = 0.2  # seconds: a cached value is never worth waiting longer for Redis
log = logging.getLogger(__name__)

_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {what: (time, value)}
_SEEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (checked, generation)
_LOCK = threading.Lock()


class _Outage:
    redis = False  # Redis could not be reached at the last attempt (warned once)


def _shared() -> tuple[redis.Redis, str] | None:
    url = current_app.config.get("CACHE_REDIS_URL", "")
    return (redis_client(url, TIMEOUT), current_app.config["CACHE_REDIS_KEY"]) if url else None


def shared_generation() -> int | None:
    """The generation number in Redis (None without Redis or when it cannot be reached)."""
    shared = _shared()
    if shared is None:
        return None
    client, key = shared
    try:
        generation = int(client.get(key) or 0)
    except redis.RedisError as error:
        if not _Outage.redis:  # one warning per outage, not one per cached value
            log.warning("Redis onbereikbaar voor de cache (%s); kopieën verlopen vanzelf", error)
        _Outage.redis = True
        return None
    if _Outage.redis:
        log.info("Redis weer bereikbaar voor de cache")
        _Outage.redis = False
    return generation


def _drop_if_forgotten_elsewhere(engine) -> None:
    now = time.monotonic()
    with _LOCK:
        seen = _SEEN.get(engine)
    if seen is not None and now - seen[0] < CHECK_SECONDS:
        return
    generation = shared_generation()
    if generation is None:
        # No Redis, or it cannot be reached: ask again after CHECK_SECONDS, not at every value
        # (a Redis that does not answer would cost its timeout each time); copies expire anyway.
        with _LOCK:
            _SEEN[engine] = (now, seen[1] if seen is not None else None)
        return
    with _LOCK:
        if seen is not None and generation != seen[1]:
            _KEPT.pop(engine, None)
        _SEEN[engine] = (now, generation)


def cached(what: str, load: Callable[[], Any], seconds: float) -> Any:
    """load()'s value for this database, kept for `seconds` (or until some worker forgets)."""
    engine = db.engine
    _drop_if_forgotten_elsewhere(engine)
    with _LOCK:
        kept = _KEPT.get(engine, {}).get(what)
    if kept is not None and time.monotonic() - kept[0] < seconds:
        return kept[1]
    value = load()
    with _LOCK:
        _KEPT.setdefault(engine, {})[what] = (time.monotonic(), value)
    return value


def forget() -> None:
    """Drop this worker's values for this database, and tell the other workers through Redis."""
    with _LOCK:
        _KEPT.pop(db.engine, None)
    shared = _shared()
    if shared is not None:
        client, key = shared
        try:
            client.incr(key)
        except redis.RedisError as error:
            log.warning("Redis onbereikbaar: andere workers zien de wijziging na het verlopen "
                        "van hun kopie (%s)", error)  # fmt: skip
