"""Readiness: may this process take traffic? Each check answers in milliseconds and says what
is wrong in one line; /readyz shows them all."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import redis
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from portal.config import PROJECT_ROOT
from portal.content.storage import StorageError, file_store
from portal.extensions import db
from portal.outbox.queries import waiting
from portal.search.services import engine


class NotReadyError(Exception):
    """A check's failure, with the one line /readyz shows."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _database() -> str:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return db.engine.dialect.name


@cache
def _heads() -> frozenset[str]:
    """The migrations' heads in this code (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _migrations() -> str:
    heads = _heads()
    with db.engine.connect() as connection:
        current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    if current != heads:
        raise NotReadyError(
            f"database op {', '.join(sorted(current)) or 'geen versie'}, "
            f"code verwacht {', '.join(sorted(heads))}: voer `flask db upgrade` uit"
        )
    return f"op {', '.join(sorted(heads))}"


def _search_index() -> str:
    search_engine = engine()
    if not search_engine.available():
        raise NotReadyError("de zoekindex ontbreekt of is beschadigd (de worker bouwt hem opnieuw)")
    return type(search_engine).__name__


def _outbox() -> str:
    limit = current_app.config["READY_OUTBOX_LAG_SECONDS"]
    rows = waiting()
    late = [row for row in rows if row.age_seconds > limit]
    if late:
        raise NotReadyError(
            "; ".join(f"{row.topic}: {row.count} wachtend, oudste {row.age_seconds:.0f} s"
                      for row in late) + f" (grens {limit:.0f} s): draait de worker?"
        )  # fmt: skip
    return f"{sum(row.count for row in rows)} wachtend"


def _redis() -> str:
    """Every Redis the settings name (the cache's generation, the rate limits): reachable."""
    config = current_app.config
    urls = {url for url in (config.get("CACHE_REDIS_URL", ""), config.get("RATELIMIT_STORAGE_URI", ""))
            if url.startswith(("redis://", "rediss://"))}  # fmt: skip
    for url in sorted(urls):
        try:
            redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        except redis.RedisError as error:
            raise NotReadyError(f"{url.split('@')[-1]} onbereikbaar: {error}") from error
    return f"{len(urls)} bereikbaar" if urls else "niet gebruikt"


def _storage() -> str:
    """The attachment store (a folder, or the S3 bucket) answers and takes files."""
    store = file_store()
    try:
        store.ping()
    except StorageError as error:
        raise NotReadyError(str(error)) from error
    return store.location


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("database", _database),
    ("redis", _redis),
    ("migrations", _migrations),
    ("search_index", _search_index),
    ("outbox", _outbox),
    ("storage", _storage),
)


def readiness() -> list[Check]:
    """Run every check; a failing one (an exception) never stops the others."""
    results = []
    for name, check in CHECKS:
        started = time.perf_counter()
        try:
            ok, detail = True, check()
        except NotReadyError as problem:
            ok, detail = False, str(problem)
        except Exception as problem:  # the database or index is down: say so, never a 500
            db.session.rollback()
            ok, detail = (
                False,
                f"{type(problem).__name__}: {(str(problem).splitlines() or [''])[0][:200]}",
            )
        results.append(Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1)))
    return results
