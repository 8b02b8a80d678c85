"""Values search reads on every query and that change slowly (names, the spelling vocabulary,
PostgreSQL's word statistics), kept per worker and per database for a while.

`forget()` drops them all at once (after a write to a name, see `names.forget_if_named`, and in
tests); another worker sees a change when its copy expires. Never used to decide who may see what.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from portal.extensions import db

_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {what: (time, value)}
_LOCK = threading.Lock()


def cached(what: str, load: Callable[[], Any], seconds: float) -> Any:
    """load()'s value for this database, kept for `seconds`."""
    engine = db.engine
    with _LOCK:
        cached = _KEPT.get(engine, {}).get(what)
    if cached is not None and time.monotonic() - cached[0] < seconds:
        return cached[1]
    value = load()
    with _LOCK:
        _KEPT.setdefault(engine, {})[what] = (time.monotonic(), value)
    return value


def forget() -> None:
    with _LOCK:
        _KEPT.clear()
