"""Security headers on every response (a Content-Security-Policy without inline scripts, no caching
of what signed-in members see) and the `<int:…>` converter bounded to database integers."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

# The largest id an id column holds: every id is an `Integer`, which PostgreSQL stores in 32 bits
# (SQLite's INTEGER takes 64, Python's int any size; past either, the driver fails).
MAX_DATABASE_INTEGER = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that does not match numbers past an id column: 404, not a 500 when the database
    (or its driver) refuses the number."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INTEGER)
        super().__init__(map, *args, **kwargs)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure or app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and _signed_in():
            # Whatever a signed-in member is sent (pages, group-only attachments, /api/search,
            # feeds) may hold what others may not see: kept by no cache, shared or their own.
            headers["Cache-Control"] = "private, no-store"
        elif "Cache-Control" not in headers and response.mimetype == "text/html":
            headers["Cache-Control"] = "no-store"  # token pages, forms with a CSRF token
        return response


def _signed_in() -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False))
