"""Readiness: may this process take traffic? Each check answers in milliseconds and says what
is wrong in one Dutch line; /readyz shows them all. A server that is down costs at most its
connect timeout (the settings DATABASE_CONNECT_TIMEOUT and REDIS_TIMEOUT): when the database cannot be reached,
the checks that need it are reported as not checked instead of waiting for it again."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import redis
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.config import PROJECT_ROOT
from portal.content.storage import StorageError, file_store
from portal.extensions import db
from portal.outbox.queries import waiting
from portal.search.services import engine, engine_name

# What drivers say, in a few Dutch words (matched in their text when no OSError says it).
REASONS = (
    ("connection refused", "verbinding geweigerd (draait de server?)"),
    ("timeout expired", "geen antwoord binnen de wachttijd"),
    ("timed out", "geen antwoord binnen de wachttijd"),
    ("the database system is starting up", "de server start nog op"),
    ("the database system is shutting down", "de server wordt gestopt"),
    ("terminating connection", "de server heeft de verbinding verbroken"),
    ("server closed the connection", "de server heeft de verbinding verbroken"),
    ("connection reset", "de verbinding is verbroken"),
    ("authentication", "aanmelden geweigerd"),
    ("could not translate host name", "onbekende servernaam"),
    ("name or service not known", "onbekende servernaam"),
)


class NotReadyError(Exception):
    """A check's failure, with the one line /readyz shows."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


_PRODUCTS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _causes(problem: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    error: BaseException | None = problem
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def why(problem: BaseException) -> str:
    """Why a server could not be reached, in a few Dutch words (else the driver's first line)."""
    chain = _causes(problem)
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            return "verbinding geweigerd (draait de server?)"
        if isinstance(error, socket.gaierror):
            return "onbekende servernaam"
        if isinstance(error, TimeoutError | redis.TimeoutError):
            return "geen antwoord binnen de wachttijd"
    said = " ".join(str(error) for error in chain).lower()
    for needle, reason in REASONS:
        if needle in said:
            return reason
    return f"{type(problem).__name__}: {(str(problem).splitlines() or [''])[0][:200]}"


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        url = db.engine.url
        where = f"{url.host}:{url.port or 5432}" if url.host else (url.database or "geheugen")
        raise NotReadyError(
            f"{_PRODUCTS.get(url.get_backend_name(), url.get_backend_name())} op {where} "
            f"onbereikbaar: {why(error)}"
        ) from error
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
        timeout = config["REDIS_TIMEOUT"]
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        except redis.RedisError as error:
            raise NotReadyError(f"{url.split('@')[-1]} onbereikbaar: {why(error)}") from error
        finally:
            client.close()
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


def _needs_database(name: str) -> bool:
    return name in {"migrations", "outbox"} or (
        name == "search_index" and engine_name() == "postgres"
    )


def readiness() -> list[Check]:
    """Run every check; a failing one (an exception) never stops the others."""
    results: list[Check] = []
    for name, check in CHECKS:
        database_down = any(r.name == "database" and not r.ok for r in results)
        if database_down and _needs_database(name):
            results.append(Check(name, False, "niet gecontroleerd: database onbereikbaar", 0.0))
            continue
        started = time.perf_counter()
        try:
            ok, detail = True, check()
        except NotReadyError as problem:
            ok, detail = False, str(problem)
        except Exception as problem:  # the database or index is down: say so, never a 500
            db.session.rollback()
            ok, detail = False, why(problem)
        results.append(Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1)))
    return results
