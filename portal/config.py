"""Settings from the environment, with safe embedded defaults under instance/."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production by check_production
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def _database_url(instance_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{instance_dir / 'portal.db'}")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def settings_from_env() -> dict:
    """Read every setting from the environment; the README lists them with their defaults."""
    instance_dir = Path(os.environ.get("PORTAL_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    secure = _bool("SESSION_COOKIE_SECURE", False)
    return {
        "ENV_NAME": os.environ.get("PORTAL_ENV", "development"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_dir),
        # A connection the server dropped (restart, failover) is noticed at checkout and replaced.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Seconds to wait for PostgreSQL to accept a connection (libpq's minimum is 2).
        "DATABASE_CONNECT_TIMEOUT": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2")),
        # Seconds to wait for Redis to connect or answer: rate limits and /readyz.
        "REDIS_TIMEOUT": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
        "INSTANCE_DIR": instance_dir,
        "MAIL_DIR": Path(os.environ.get("MAIL_DIR", instance_dir / "mail")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        "OUTBOX_DELIVERY": os.environ.get("OUTBOX_DELIVERY", "thread"),
        # The schedule the outbox worker runs (portal/ops/schedule.py), in Dutch local time.
        "SCHEDULE_ENABLED": _bool("SCHEDULE_ENABLED", True),
        "SCHEDULE_DIGEST_AT": os.environ.get("SCHEDULE_DIGEST_AT", "07:00"),
        "SCHEDULE_ALERTS_AT": os.environ.get("SCHEDULE_ALERTS_AT", "06:30"),
        "SCHEDULE_HOUSEKEEPING_AT": os.environ.get("SCHEDULE_HOUSEKEEPING_AT", "03:00"),
        # Several workers or servers: Redis tells every worker to drop its cached names.
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL", ""),
        "CACHE_REDIS_KEY": os.environ.get("CACHE_REDIS_KEY", "mvi-portal:cache-generation"),
        # Whole pages for anonymous visitors (portal/pagecache.py); 0 seconds switches it off.
        "PAGE_CACHE_SECONDS": float(os.environ.get("PAGE_CACHE_SECONDS", "30")),
        "PAGE_CACHE_BYTES": int(os.environ.get("PAGE_CACHE_BYTES", str(64 * 1024 * 1024))),
        "PAGE_CACHE_REDIS_KEY": os.environ.get(
            "PAGE_CACHE_REDIS_KEY", "mvi-portal:page-generation"
        ),
        # Item views are counted in memory and written together (portal/content/counting.py).
        "VIEW_COUNT_WRITE_SECONDS": float(os.environ.get("VIEW_COUNT_WRITE_SECONDS", "10")),
        # Running it (portal/ops): logs, readiness, metrics, error reporting.
        "LOG_FORMAT": os.environ.get(
            "LOG_FORMAT",
            "json" if os.environ.get("PORTAL_ENV", "development") == "production" else "text",
        ),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "LOG_ACCESS": _bool("LOG_ACCESS", True),
        "READY_OUTBOX_LAG_SECONDS": float(os.environ.get("READY_OUTBOX_LAG_SECONDS", "600")),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        "SENTRY_DSN": os.environ.get("SENTRY_DSN", ""),
        "SENTRY_TRACES_SAMPLE_RATE": float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        "OUTBOX_SWEEP_SECONDS": float(os.environ.get("OUTBOX_SWEEP_SECONDS", "30")),
        "OUTBOX_KEEP_DAYS": float(os.environ.get("OUTBOX_KEEP_DAYS", "7")),
        "MAIL_SENDER": os.environ.get(
            "MAIL_SENDER", "MVI-kennisportaal <noreply@mvi-portaal.example>"
        ),
        # Links in e-mails are built from this base, never from the request's Host header.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 6 * 3600,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ("nl", "en"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # When the store (Redis) cannot be reached, each worker counts in its own memory until it
        # is back (Flask-Limiter checks now and then), and any other storage error lets the request
        # through with a logged error: an outage of Redis is never a failed request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"),
        "MAIL_LIMIT_PER_IP": os.environ.get("MAIL_LIMIT_PER_IP", "10 per hour"),
        # REST API (/api/v1): requests per token, and per IP address without a token.
        "API_LIMIT_PER_TOKEN": os.environ.get("API_LIMIT_PER_TOKEN", "600 per minute"),
        "API_LIMIT_PER_IP": os.environ.get("API_LIMIT_PER_IP", "120 per minute"),
        "API_MAX_JSON_BYTES": int(os.environ.get("API_MAX_JSON_BYTES", str(1024 * 1024))),
        "VERIFY_TOKEN_HOURS": int(os.environ.get("VERIFY_TOKEN_HOURS", "48")),
        "RESET_TOKEN_HOURS": int(os.environ.get("RESET_TOKEN_HOURS", "2")),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", "demo-MVI-2026"),
        # Behind a TLS-terminating proxy: how many X-Forwarded-* hops to trust (0 = none).
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        # "whoosh" or "postgres"; empty: PostgreSQL search on PostgreSQL, Whoosh otherwise.
        "SEARCH_ENGINE": os.environ.get("SEARCH_ENGINE", ""),
        "SEARCH_INDEX_DIR": Path(os.environ.get("SEARCH_INDEX_DIR", instance_dir / "search-index")),
        # Attachment files: "local" (UPLOAD_DIR) or "s3" (a bucket several servers share).
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "local").strip().lower(),
        "UPLOAD_DIR": Path(os.environ.get("UPLOAD_DIR", instance_dir / "uploads")),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", ""),
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MAX_ATTACHMENT_MB", "25")) * 1024 * 1024,
        "OUTDATED_AFTER_MONTHS": int(os.environ.get("OUTDATED_AFTER_MONTHS", "36")),
        # OCDS (portal/ocds): the ocid prefix of tenders made here (ocds- and six letters or
        # digits; register one with the Open Contracting Partnership before publishing widely),
        # and the largest OCDS file a member may upload.
        "OCDS_OCID_PREFIX": os.environ.get("OCDS_OCID_PREFIX", "ocds-mvinl0"),
        "OCDS_MAX_UPLOAD_BYTES": int(os.environ.get("OCDS_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(30 * 1024 * 1024))),
    }


def connection_settings(settings: dict) -> None:
    """Fill in what depends on the servers chosen (after the caller's overrides): PostgreSQL's
    connect timeout, and the rate-limit store's timeouts and wrapped errors."""
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"],
            **options.get("connect_args", {}),
        }
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = options
    storage = {"wrap_exceptions": True}  # limits.errors.StorageError, whatever the store
    if settings["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+unix://")):
        timeout = settings["REDIS_TIMEOUT"]
        storage.update(socket_connect_timeout=timeout, socket_timeout=timeout)
    settings["RATELIMIT_STORAGE_OPTIONS"] = {
        **storage,
        **settings.get("RATELIMIT_STORAGE_OPTIONS", {}),
    }


class ConfigError(RuntimeError):
    """Raised when the app must not start with the given settings."""


def check_production(settings: dict) -> None:
    """Refuse to start in production with a missing, default or short SECRET_KEY."""
    if settings.get("ENV_NAME") != "production":
        return
    key = settings.get("SECRET_KEY") or ""
    if key in {"", DEFAULT_SECRET_KEY} or len(key) < 32:
        raise ConfigError(
            "SECRET_KEY ontbreekt, is de standaardwaarde of is korter dan 32 tekens; "
            "de portal start niet in productie zonder een eigen geheime sleutel."
        )


def check_storage(settings: dict) -> None:
    """Refuse to start with an unknown STORAGE_BACKEND, or S3 without a bucket."""
    backend = settings.get("STORAGE_BACKEND") or "local"
    if backend not in ("local", "s3"):
        raise ConfigError(f"STORAGE_BACKEND={backend!r} is onbekend; kies 'local' of 's3'.")
    if backend == "s3" and not settings.get("S3_BUCKET"):
        raise ConfigError("STORAGE_BACKEND=s3 heeft S3_BUCKET nodig (een bestaande bucket).")
