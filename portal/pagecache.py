"""Whole pages kept per worker until the next write anywhere: shared by all anonymous visitors,
and per signed-in member for that member's own session.

An anonymous visitor without a flash message or basket sees the same page as every other such
visitor, so a page rendered once can be sent again without running its view; a member sees the
same page again until something is written (their own notices, follows and marks are rows too).
What makes this safe:

- Only pages of blueprints that asked for it (`cache_pages`) are kept: a GET answered 200 that
  wrote no flash or other session value, set no cookie and was not streamed. An anonymous page
  with a form token is not kept (the token belongs to one visitor). A member's page is kept under
  the member's id and their session's own CSRF secret, so it only ever goes back to the session
  that saw it, with tokens that session accepts (they stay valid for WTF_CSRF_TIME_LIMIT, far
  longer than a page is kept).
- Every committed transaction that wrote rows (other than the schedule's bookkeeping) moves the
  *page generation*; a page is kept under the generation read before its view ran, so a page
  rendered from data older than a write is never sent after it. The generation lives in Redis
  when CACHE_REDIS_URL is set (several servers) and otherwise in a file in the instance folder
  (the workers of one machine); if Redis cannot be read, nothing is kept or sent.
- A kept page also expires after PAGE_CACHE_SECONDS (relative dates, "upcoming" lists), and the
  cache holds at most PAGE_CACHE_BYTES per worker (least recently used pages go first).

The visibility rule is not bypassed: a kept page is exactly what the view rendered for the same
reader, and any change to what a reader may see is a write, which moves the generation.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from cachetools import TTLCache
from flask import Blueprint, Flask, current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from werkzeug.wrappers import Response

from portal.extensions import redis_client

log = logging.getLogger(__name__)

# Bookkeeping that no page shows: a write to only these tables leaves kept pages alone. What the
# outbox delivers moves the generation itself: notices are rows, and an index update calls
# move_generation() (the Whoosh index is files); a mail sent or a retry planned changes no page.
# Search events and their totals are read only by the insights page, which is never kept; API
# tokens (and their last use, written once a minute per token) only by the account page, never kept.
# The spelling vocabulary's rebuild (every five minutes) only adds or drops hints; a word withdrawn
# from the hints is withdrawn by an item write, which moves the generation itself.
UNSEEN_TABLES = frozenset(
    {
        "scheduled_runs",
        "outbox",
        "search_events",
        "search_query_totals",
        "api_tokens",
        "spelling_vocabulary",
    }
)
# Session values a visitor may carry and still get a kept page: the language and the member are
# part of the key; the CSRF secret is part of a member's key, and an anonymous page with a token
# is not kept. Anything else (a flash message, a basket) means a page of this request's own.
KEEPABLE_SESSION_KEYS = frozenset(
    {"lang", "csrf_token", "_permanent", "_fresh", "_user_id", "_id", "_remember_seconds"}
)
# The view's own headers a kept page is sent with again (the rest are set for every response).
KEPT_HEADERS = frozenset({
    "Content-Type", "Content-Disposition", "Content-Language", "Cache-Control", "ETag",
    "Last-Modified", "Link", "Location", "Vary",
})  # fmt: skip
STALE = "pages_stale"  # session.info flag: this transaction wrote rows a page may show


@dataclass
class Kept:
    generation: str
    stored_at: float
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    on_hit: list[tuple[Callable[..., None], tuple[Any, ...]]] = field(default_factory=list)
    key_size: int = 0

    @property
    def size(self) -> int:
        return len(self.body) + self.key_size + ENTRY_OVERHEAD


_LOCK = threading.Lock()  # the cache is not thread-safe; gthread workers run several requests


# What a kept page costs besides its body (its key, the Kept object, the LRU's own bookkeeping),
# measured: without it, tiny pages under endless query strings would grow a worker without bound.
ENTRY_OVERHEAD = 2048


def _pages(app: Flask) -> TTLCache:
    with _LOCK:
        pages = app.extensions.get("page_cache")
        if pages is None:
            pages = TTLCache(
                maxsize=app.config["PAGE_CACHE_BYTES"], ttl=app.config["PAGE_CACHE_SECONDS"],
                timer=time.monotonic, getsizeof=lambda kept: kept.size,
            )  # fmt: skip
            app.extensions["page_cache"] = pages
        return pages


def _get(key: tuple[str, ...]) -> Kept | None:
    pages = _pages(current_app._get_current_object())  # type: ignore[attr-defined]
    with _LOCK:
        return pages.get(key)


def _put(key: tuple[str, ...], kept: Kept) -> None:
    pages = _pages(current_app._get_current_object())  # type: ignore[attr-defined]
    if kept.size > pages.maxsize // 20:
        return  # one huge page must not push out all the others
    with _LOCK:
        pages[key] = kept


def cache_pages(blueprint: Blueprint) -> None:
    """Let blueprint's GET pages be kept: shared by anonymous visitors, per session for members
    (see the module's rules)."""
    blueprint.before_request(_send_kept)
    blueprint.after_request(_keep)


def on_hit(callback: Callable[..., None], *args: Any) -> None:
    """Run callback(*args) also when this page is later sent from the cache (count a view)."""
    g.setdefault("page_cache_on_hit", []).append((callback, args))


def not_this_page() -> None:
    """Do not keep the page this request renders (it shows something of this visitor's)."""
    g.page_cache_skip = True


# --- The generation -------------------------------------------------------------------------


@dataclass
class _Redis:
    """A worker's view of Redis: after a failure it is not asked again for RETRY seconds (a Redis
    that does not answer would cost its timeout on every page), and a move of the generation that
    could not be written is written once Redis answers again."""

    RETRY = 0.5
    down_until: float = 0.0
    move_owed: bool = False

    @staticmethod
    def of(app: Flask) -> _Redis:
        return app.extensions.setdefault("page_cache_redis", _Redis())

    def call(self, app: Flask, command: str) -> bytes | int | None:
        """Read ("get") or move ("move") the generation, a random value that never comes back
        (a counter would: a Redis restarted without its data counts 1, 2, 3 … again); raise
        redis.RedisError when Redis is not to be asked now."""
        if time.monotonic() < self.down_until:
            raise redis.ConnectionError("kort geleden onbereikbaar")
        client = redis_client(app.config["CACHE_REDIS_URL"], app.config["REDIS_TIMEOUT"])
        key = app.config["PAGE_CACHE_REDIS_KEY"]
        try:
            if self.move_owed:
                client.set(key, uuid.uuid4().hex)
                self.move_owed = False
            if command == "get":
                result = client.get(key)
                if result is None:  # a Redis that lost its data: a new value, never an old one
                    client.set(key, uuid.uuid4().hex, nx=True)
                    result = client.get(key)
            else:
                result = client.set(key, uuid.uuid4().hex)
        except redis.RedisError as error:
            with _LOCK:
                if self.down_until == 0.0:
                    log.warning("Redis onbereikbaar: geen pagina's uit de cache (%s)", error)
                self.down_until = time.monotonic() + self.RETRY
                app.extensions.pop("page_cache", None)  # kept before the outage: maybe stale
            raise
        if self.down_until:
            log.info("Redis weer bereikbaar voor de paginacache")
            self.down_until = 0.0
        return result


def _file(app: Flask) -> Path:
    return Path(app.config["INSTANCE_DIR"]) / "page-generation"


def generation() -> str | None:
    """The current page generation; None when it cannot be read (then nothing is kept or sent)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("CACHE_REDIS_URL", ""):
        try:
            value = _Redis.of(app).call(app, "get")
        except redis.RedisError:
            return None
        return value.decode() if isinstance(value, bytes) else None
    path = _file(app)
    try:
        return path.read_text() or None
    except FileNotFoundError:
        try:
            _write_file(path)
            return path.read_text() or None
        except OSError as error:
            log.error("Paginacache uit: %s niet te schrijven (%s)", path, error)
            return None
    except OSError as error:
        log.error("Paginacache uit: %s niet te lezen (%s)", path, error)
        return None


def _write_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".page-generation-{uuid.uuid4().hex}")
    temporary.write_text(uuid.uuid4().hex)
    os.replace(temporary, path)  # readers see the old or the new value, never half of one


def move_generation() -> None:
    """Let every worker (and server) forget the pages it kept."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _LOCK:
        app.extensions.pop("page_cache", None)  # this worker's own pages at once
    if app.config.get("CACHE_REDIS_URL", ""):
        try:
            _Redis.of(app).call(app, "move")
        except redis.RedisError:
            # Written when Redis answers again. Meanwhile no worker that asks Redis sends a kept
            # page; one that has not asked since may send its pages until PAGE_CACHE_SECONDS.
            _Redis.of(app).move_owed = True
        return
    try:
        _write_file(_file(app))
    except OSError as error:
        # Called after a commit: the data is saved, and the user must not be told otherwise.
        # Readers then keep the old value; the TTL still ends what they kept.
        log.error("Paginacache: generatie niet te verzetten in %s (%s)", _file(app), error)


def _tables_of(objects) -> set[str]:
    return {getattr(type(obj), "__tablename__", "") for obj in objects}


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    changed = set(session.new) | set(session.deleted)
    changed |= {obj for obj in session.dirty if session.is_modified(obj)}
    if changed and not _tables_of(changed) <= UNSEEN_TABLES:
        session.info[STALE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState):
    """An INSERT, or an UPDATE or DELETE that changed rows (the worker's claim of due outbox rows
    runs every second and mostly changes none: that must not empty every cache)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in UNSEEN_TABLES:
        return None
    if state.is_insert:
        state.session.info[STALE] = True
        return None
    result = state.invoke_statement()
    if getattr(result, "rowcount", 1) != 0:
        state.session.info[STALE] = True
    return result


@event.listens_for(Session, "after_commit")
def _moved_on_commit(session: Session) -> None:
    if session.info.pop(STALE, False) and has_app_context():
        move_generation()


@event.listens_for(Session, "after_soft_rollback")
def _not_moved_on_rollback(session: Session, _previous) -> None:
    if not session.in_transaction():
        session.info.pop(STALE, None)


# --- Sending and keeping --------------------------------------------------------------------


def _shared_key() -> tuple[str, ...] | None:
    """The key without the language when this request may get a kept page, else None. Reads the
    session only: the user row is loaded after the generation is read (the language needs it),
    so a page is never rendered from a user row older than its generation."""
    app = current_app
    if app.config["PAGE_CACHE_SECONDS"] <= 0 or request.method not in ("GET", "HEAD"):
        return None
    if not set(session.keys()) <= KEEPABLE_SESSION_KEYS:
        return None  # a flash message waiting, a basket: not a page to send again
    member = session.get("_user_id")
    if not member and request.cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return None  # signed in again from the remember-me cookie during this request
    secret = session.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), "") if member else ""
    return (member or "", secret, request.scheme, request.host, request.full_path)


def _send_kept() -> Response | None:
    shared = _shared_key()
    if shared is None:
        return None
    current = generation()
    if current is None:
        return None
    key = (*shared, str(get_locale()))
    g.page_cache = (key, current)
    kept = _get(key)
    fresh_for = current_app.config["PAGE_CACHE_SECONDS"]
    if kept is None or kept.generation != current or time.monotonic() - kept.stored_at > fresh_for:
        return None
    if not _reader_matches(key[0]):  # the session's member is no longer who the page was for
        return None
    g.page_cache_hit = True
    for callback, args in kept.on_hit:
        callback(*args)
    response = Response(kept.body, status=kept.status, headers=kept.headers)
    response.headers["X-Page-Cache"] = "hit"
    return response


def _reader_matches(member: str) -> bool:
    """Whether the page was rendered for the member in its key (or for nobody, when none)."""
    if current_user.is_authenticated:
        return member == str(current_user.get_id())
    return member == ""


def _keep(response: Response) -> Response:
    found = g.get("page_cache")
    if found is None or g.get("page_cache_hit"):
        return response
    key, kept_generation = found
    member = key[0]
    wrote_token = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g
    keepable = (
        response.status_code == 200
        and not response.is_streamed
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
        and not (wrote_token and not member)  # an anonymous visitor's token is theirs alone
        and not g.get("page_cache_skip")
        and set(session.keys()) <= KEEPABLE_SESSION_KEYS
        and _reader_matches(member)
    )
    response.headers["X-Page-Cache"] = "miss" if keepable else "skip"
    if keepable:
        body = response.get_data()
        headers = [(name, value) for name, value in response.headers.items()
                   if name in KEPT_HEADERS]  # fmt: skip
        kept = Kept(kept_generation, time.monotonic(), response.status_code, headers, body,
                    list(g.get("page_cache_on_hit", [])), len(request.full_path))  # fmt: skip
        _put(key, kept)
    return response
