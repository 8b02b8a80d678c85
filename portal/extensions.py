"""The Flask extensions, created once and bound in create_app()."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

import redis
from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES, RateLimiter
from sqlalchemy import Column, Integer, MetaData, any_, bindparam, event, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
log = logging.getLogger(__name__)


class _OwnCounts:
    """This process's own counts, used while the shared rate-limit store cannot be reached."""

    limits: RateLimiter | None = None
    shared_failing = False


def count_limit(limit: RateLimitItem, *keys: str, hit: bool = False) -> bool:
    """Whether `keys` are still within `limit` (hit: count one more): in the shared store
    (RATELIMIT_STORAGE_URI); while that (Redis) cannot be reached, in this process's memory, so
    throttling degrades to per worker (one warning per outage), never off and never a 500."""
    strategy = STRATEGIES[current_app.config.get("RATELIMIT_STRATEGY", "fixed-window")]
    try:
        shared = strategy(limiter.storage)
        within = shared.hit(limit, *keys) if hit else shared.test(limit, *keys)
    except StorageError as error:
        if not _OwnCounts.shared_failing:
            log.warning("Opslag van de limieten onbereikbaar; deze worker telt zelf tot ze terug "
                        "is (%s)", error.storage_error)  # fmt: skip
        _OwnCounts.shared_failing = True
        if not isinstance(_OwnCounts.limits, strategy):
            _OwnCounts.limits = strategy(MemoryStorage())
        own = _OwnCounts.limits
        return own.hit(limit, *keys) if hit else own.test(limit, *keys)
    if _OwnCounts.shared_failing:
        log.info("Opslag van de limieten weer bereikbaar")
        _OwnCounts.shared_failing = False
    return within


def select_locale() -> str:
    """Pick the interface language: the header's switch, else the signed-in member's language,
    else the browser's Accept-Language, else Dutch."""
    if not has_request_context():
        return "nl"  # CLI and seeds
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    from flask_login import current_user

    member_language = getattr(current_user, "language", None)
    if member_language in languages:
        return member_language
    return request.accept_languages.best_match(languages) or "nl"


def on_commit(callback: Callable[[], None], session: Session | None = None) -> None:
    """Run callback after the current transaction commits; drop it on rollback.

    The one after-commit mechanism of the portal: the outbox hands its rows to delivery with it,
    and anything else that must wait for the commit uses it too."""
    (session or db.session).info.setdefault("after_commit", []).append(callback)


def on_rollback(callback: Callable[[], None], session: Session | None = None) -> None:
    """Run callback after the current transaction rolls back (e.g. remove a file it wrote);
    drop it on commit."""
    (session or db.session).info.setdefault("after_rollback", []).append(callback)


def lock_row(column: Column, row_id: int) -> None:
    """Hold a row until commit: a simultaneous request that locks it too waits here, then reads
    what this one wrote (lock first, then check).

    PostgreSQL: SELECT ... FOR NO KEY UPDATE (rows that refer to it can still be inserted).
    SQLite ignores FOR UPDATE and starts its transaction only at the first write, so a no-op
    UPDATE setting `column` (a plain, non-key column of the row) to itself takes the database's
    write lock."""
    table = column.table
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(table).where(table.c.id == row_id).values({column.name: column}))
    else:
        db.session.execute(
            select(table.c.id).where(table.c.id == row_id).with_for_update(key_share=True)
        )


def id_among(column, ids: list[int]):
    """column IN ids; on PostgreSQL as = ANY(one array parameter), which plans far faster than
    hundreds of separate parameters."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: wait for the real commit
    session.info.pop("after_rollback", None)
    for callback in session.info.pop("after_commit", []):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _run_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # a SAVEPOINT rolled back: the transaction goes on
    session.info.pop("after_commit", None)
    for callback in session.info.pop("after_rollback", []):
        callback()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys (and ON DELETE CASCADE) only when asked, per connection."""
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, name) -> None:
    """pysqlite opens a transaction only before INSERT/UPDATE/DELETE, not before SAVEPOINT; a
    SAVEPOINT outside a transaction starts one that its RELEASE then commits, so a later rollback
    would undo nothing. Open the real transaction first."""
    dbapi_connection = connection.connection.dbapi_connection
    if (
        dbapi_connection.__class__.__module__.startswith("sqlite3")
        and not dbapi_connection.in_transaction
    ):
        dbapi_connection.execute("BEGIN")


@cache
def redis_client(url: str, timeout: float) -> redis.Redis:
    """One client (with its connection pool) per Redis URL and timeout, shared by this process's
    users of Redis as a shared store (the page cache, the worker caches)."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
