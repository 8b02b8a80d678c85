"""Outages, as an operator sees them: the portal served by gunicorn (the deploy/ config) on a
PostgreSQL cluster and a Redis of this test's own (free ports, temporary folders), which the test
stops and starts again by their process ids. /readyz answers 503 within seconds naming the check
that fails, in Dutch on one line, while still reporting the others; it is green again as soon as
the server is back, without restarting the app (the database pool and the Redis clients
reconnect). While Redis is down the site keeps serving: the rate limits count in the worker's own
memory and the cache falls back on expiry, each with a logged warning, never a 500."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from portal import create_app
from portal.extensions import db
from tests.servers import PostgresCluster, RedisServer, free_port
from tests.test_serve import Browser

ROOT = Path(__file__).resolve().parents[1]
FAST = 5.0  # seconds: /readyz must answer well within this, also with a server down
OTHER_CHECKS = ("migrations", "search_index", "outbox")


@dataclass
class Site:
    browser: Browser
    cache: RedisServer
    cluster: PostgresCluster
    log: Path
    limits_url: str

    def readyz(self) -> tuple[int, dict, float]:
        started = time.monotonic()
        status, _, body = self.browser.open("/readyz")
        return status, json.loads(body), time.monotonic() - started

    def form_post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the form for its CSRF token, then POST it (as a browser does)."""
        status, _, page = self.browser.open(path)
        assert status == 200, page[-2000:]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        status, _, page = self.browser.open(path, data)
        return status, page

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _start_app(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, Browser]:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own server
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "portal:create_app()"],
            cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    browser = Browser(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if browser.open("/healthz")[0] == 200:
                return process, browser
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn (one worker, two threads) on its own PostgreSQL and Redis, migrated with
    `flask db upgrade`; every process stopped by its id afterwards."""
    folder = tmp_path_factory.mktemp("outage")
    cache = RedisServer(folder)
    cluster = PostgresCluster()
    app = None
    try:
        cache.start()
        cluster.start()
        cluster.create_database("portal")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))},
            "PORTAL_ENV": "development",
            "SECRET_KEY": "outage-test-secret-key-0123456789abcdef",
            "DATABASE_URL": cluster.url("portal"),
            "PORTAL_INSTANCE_DIR": str(folder / "instance"),
            "CACHE_REDIS_URL": cache.url,  # database 0
            "RATELIMIT_STORAGE_URI": cache.url[:-1] + "1",  # database 1
            "RATELIMIT_ENABLED": "true",
            "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
            "OUTBOX_DELIVERY": "worker",  # the app only records; no background thread
            "LOG_FORMAT": "json",
            "RUN_DIR": str(folder / "run"),
            "GUNICORN_WORKERS": "1",  # one process: every request meets the same pool
            "GUNICORN_THREADS": "2",
        }
        for name in ("SENTRY_DSN", "MAIL_SERVER", "PROMETHEUS_MULTIPROC_DIR", "SEARCH_ENGINE"):
            env.pop(name, None)
        (folder / "run").mkdir()
        subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        log = folder / "gunicorn.log"
        app, browser = _start_app(env, log)
        yield Site(browser, cache, cluster, log, env["RATELIMIT_STORAGE_URI"])
    finally:
        if app is not None and app.poll() is None:
            app.send_signal(signal.SIGTERM)
            app.wait(timeout=60)
        cache.stop()
        cluster.remove()


@pytest.fixture
def up(site):
    """Each test starts (and leaves the next one) with both servers running."""
    if not site.cache.running:
        site.cache.start()
    if not site.cluster.running:
        site.cluster.start()
    yield site
    if not site.cache.running:
        site.cache.start()
    if not site.cluster.running:
        site.cluster.start()


def test_readyz_is_green_on_its_own_database_and_redis(up):
    status, body, seconds = up.readyz()
    assert status == 200, body
    assert body["status"] == "ok" and seconds < FAST
    assert all(check["ok"] for check in body["checks"].values()), body
    assert body["checks"]["redis"]["detail"] == "2 bereikbaar"  # the cache's and the limits'
    assert body["checks"]["database"]["detail"] == "postgresql"


def test_redis_stopped_is_503_naming_redis_and_green_again_once_it_is_back(up):
    up.cache.stop()
    status, body, seconds = up.readyz()
    assert status == 503 and body["status"] == "niet gereed", body
    assert seconds < FAST
    redis_check = body["checks"]["redis"]
    assert not redis_check["ok"]
    detail = redis_check["detail"]
    assert f"127.0.0.1:{up.cache.port}" in detail and "onbereikbaar" in detail
    assert "verbinding geweigerd" in detail and "\n" not in detail  # Dutch, one line
    assert "Error" not in detail and "Connection refused" not in detail
    for name in ("database", *OTHER_CHECKS):  # the others are still checked and pass
        assert body["checks"][name]["ok"], body

    up.cache.start()  # the same port, the same app process
    status, body, _ = up.readyz()
    assert status == 200, body
    assert body["checks"]["redis"]["ok"] and body["checks"]["redis"]["detail"] == "2 bereikbaar"


def test_the_site_keeps_serving_while_redis_is_down(up):
    up.cache.stop()
    for path in ("/", "/aanbestedingen/", "/zoeken?q=circulair", "/api/search?q=circulair",
                 "/inloggen"):  # fmt: skip
        status, _, page = up.browser.open(path)
        assert status == 200, (path, page[-2000:])

    # The login throttle counts in this worker's memory while the shared store is down.
    statuses = [
        up.form_post("/inloggen", {"email": "dader@example.nl", "password": "fout-wachtwoord-1"})[0]
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]  # still throttled: counted in memory, not open
    # A decorated limit (mail per IP) falls back on this worker's memory too (Flask-Limiter).
    status, page = up.form_post("/wachtwoord-vergeten", {"email": "iemand@example.nl"})
    assert status == 200 and "Als er een account bij dit adres hoort" in page
    log = up.log_text()
    # The cache's warning, once per outage: it asks Redis again at most twice a second.
    assert log.count("Redis onbereikbaar voor de cache") == 1
    assert "Opslag van de limieten onbereikbaar" in log  # the login throttle's warning
    assert '"status": 500' not in log and "Traceback" not in log

    up.cache.start()
    shared = redis.Redis.from_url(up.limits_url)
    assert not shared.keys("*login-account*")  # a fresh Redis: nothing counted there yet
    status, _ = up.form_post(
        "/inloggen", {"email": "ander@example.nl", "password": "fout-wachtwoord-1"}
    )
    assert status == 401
    assert shared.keys("*login-account*ander@example.nl*")  # counted in Redis again


def test_postgres_stopped_is_503_naming_the_database_and_green_again_once_it_is_back(up):
    assert up.readyz()[0] == 200  # the pool holds a connection to the running server
    up.cluster.stop()
    status, body, seconds = up.readyz()
    assert status == 503 and body["status"] == "niet gereed", body
    assert seconds < FAST
    database = body["checks"]["database"]
    assert not database["ok"]
    assert f"127.0.0.1:{up.cluster.port}" in database["detail"]
    assert "onbereikbaar" in database["detail"] and "\n" not in database["detail"]
    for name in OTHER_CHECKS:  # reported as failing (they need the database), not a crash
        assert not body["checks"][name]["ok"], body
        assert "database onbereikbaar" in body["checks"][name]["detail"]
    assert body["checks"]["redis"]["ok"]

    status, headers, _ = up.browser.open("/")
    assert status == 503 and headers["Retry-After"] == "60"  # a page says so too, no 500

    up.cluster.start()  # the same port and data, the same app process: its pool reconnects
    status, body, _ = up.readyz()
    assert status == 200, body
    assert up.browser.open("/")[0] == 200


@contextmanager
def hung_server() -> Iterator[int]:
    """A port whose server takes connections and never answers (hung, or a dropped network)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_readyz_answers_within_seconds_when_the_servers_hang(app):
    with ThreadPoolExecutor(1) as pool, hung_server() as database_port:
        with hung_server() as redis_port:
            hung = create_app({
                **app.config,
                "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{database_port}/x",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
                "CACHE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "RATELIMIT_STORAGE_URI": "memory://",
            })  # fmt: skip
            asked = pool.submit(hung.test_client().get, "/readyz")
            # DATABASE_CONNECT_TIMEOUT (2 s) + REDIS_TIMEOUT (0.5 s), each waited for once
            answered_in_time = wait([asked], timeout=FAST).done
        # Both servers are gone now: a readiness check still waiting gets its error at once.
        response = asked.result(timeout=60)
        with hung.app_context():
            db.engine.dispose()
    assert answered_in_time
    checks = response.json["checks"]
    assert response.status_code == 503
    assert checks["database"]["detail"] == (
        f"PostgreSQL op 127.0.0.1:{database_port} onbereikbaar: geen antwoord binnen de wachttijd"
    )
    assert checks["redis"]["detail"] == (
        f"redis://127.0.0.1:{redis_port}/0 onbereikbaar: geen antwoord binnen de wachttijd"
    )
    for name in OTHER_CHECKS:  # not asked again: each would cost the timeout once more
        assert checks[name] == {"ok": False, "detail": "niet gecontroleerd: database onbereikbaar",
                                "ms": 0.0}  # fmt: skip


def test_a_database_restart_between_requests_goes_unnoticed(up):
    """The pool's connections died with the old server; pool_pre_ping replaces them at checkout,
    so not even the first request after the restart fails."""
    for _ in range(3):
        assert up.browser.open("/")[0] == 200  # connections in the pool
    up.cluster.stop()
    up.cluster.start()
    status, body, _ = up.readyz()
    assert status == 200, body
    assert [up.browser.open("/")[0] for _ in range(3)] == [200, 200, 200]
