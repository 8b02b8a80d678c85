"""Logs a machine can read: one JSON object a line (LOG_FORMAT=json, the production default) or
readable text, each with the request id; one access line per request with the route, status,
duration and a hash of the user id (never the id or e-mail itself)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_login import current_user

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_FIELDS = ("request_id", "user", "method", "route", "path", "status", "duration_ms")
access_log = logging.getLogger("portal.access")


def current_request_id() -> str:
    return g.get("request_id", "") if has_request_context() else ""


class RequestIdFilter(logging.Filter):
    """Give every record made during a request that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: getattr(record, k) for k in _FIELDS if getattr(record, k, "") != ""})
        if "request_id" not in data and (request_id := current_request_id()):
            data["request_id"] = request_id
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(app: Flask) -> None:
    """One handler on the root logger, in the configured format (added once per process)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "portal", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.portal = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    json_logs = app.config["LOG_FORMAT"] == "json"
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(TEXT_FORMAT))
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def user_hash(user_id: int) -> str:
    """A stable pseudonym for a user in the logs (keyed with the secret key)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hashlib.blake2s(str(user_id).encode(), key=key[:32], digest_size=6).hexdigest()


def init_app(app: Flask) -> None:
    configure(app)

    @app.before_request
    def _start() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _VALID_ID.fullmatch(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        if app.config["LOG_ACCESS"] and "request_started" in g:
            user = current_user if current_user and current_user.is_authenticated else None
            access_log.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"request_id": current_request_id(), "method": request.method,
                       "path": request.path,
                       "route": request.url_rule.rule if request.url_rule else "",
                       "status": response.status_code,
                       "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                       "user": user_hash(user.id) if user else ""},
            )  # fmt: skip
        return response
