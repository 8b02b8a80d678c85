"""Running the portal: /healthz, /readyz with each check (and 503 naming what fails), the request
id in every response and log line, structured JSON logs, Prometheus metrics kept from the public,
and optional error reporting."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import text

from portal import create_app
from portal.common import utcnow
from portal.extensions import db
from portal.ops.logs import JsonFormatter
from portal.outbox.models import OutboxMessage
from portal.search.services import reindex
from tests.conftest import login


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_green_when_everything_works(client, taxonomy):
    reindex()  # an index exists, as after `make run`
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok" and response.headers["Cache-Control"] == "no-store"
    assert set(response.json["checks"]) == {
        "database",
        "redis",
        "migrations",
        "search_index",
        "outbox",
        "storage",
    }
    assert all(check["ok"] for check in response.json["checks"].values())


def test_readyz_names_what_fails_and_recovers_without_a_restart(client, taxonomy):
    reindex()
    old = OutboxMessage(topic="mail", payload={}, created_at=utcnow() - timedelta(hours=2))
    db.session.add(old)
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()

    response = client.get("/readyz")
    checks = response.json["checks"]
    assert response.status_code == 503 and response.json["status"] == "niet gereed"
    assert not checks["outbox"]["ok"] and "mail: 1 wachtend" in checks["outbox"]["detail"]
    assert not checks["migrations"]["ok"] and "flask db upgrade" in checks["migrations"]["detail"]
    assert checks["database"]["ok"] and checks["search_index"]["ok"]

    head = next(iter(__import__("portal.ops.checks", fromlist=["_heads"])._heads()))
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    old.delivered_at = utcnow()
    db.session.commit()
    assert client.get("/readyz").status_code == 200


def test_readyz_says_the_database_is_unreachable_instead_of_failing(app, tmp_path):
    """A stopped database server: nothing listens on the port. 503 naming it, never a 500."""
    unreachable = create_app({**app.config, "SQLALCHEMY_DATABASE_URI":
                              "postgresql+psycopg://postgres@127.0.0.1:9/nergens",
                              "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
                              "SEARCH_ENGINE": "whoosh", "SEARCH_INDEX_DIR": tmp_path / "index"})  # fmt: skip
    with unreachable.app_context():
        response = unreachable.test_client().get("/readyz")
        checks = response.json["checks"]
        db.engine.dispose()
    assert response.status_code == 503
    assert not checks["database"]["ok"]
    assert checks["database"]["detail"] == (  # one Dutch line, not the driver's English
        "PostgreSQL op 127.0.0.1:9 onbereikbaar: verbinding geweigerd (draait de server?)"
    )
    assert checks["outbox"] == {"ok": False, "detail": "niet gecontroleerd: database onbereikbaar",
                                "ms": 0.0}  # fmt: skip
    assert not checks["search_index"]["ok"]  # Whoosh here: its own reason (no index yet)


def test_every_response_carries_a_request_id(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert given.headers["X-Request-ID"] == "lb-1234.abc"  # a proxy's id is kept
    for bad in ["kapot id", "x" * 65, "a\u00e9b"]:
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert made != bad and len(made) == 32  # a stranger's value is replaced
    assert client.get("/").headers["X-Request-ID"] != client.get("/").headers["X-Request-ID"]


def test_access_log_lines_are_json_with_route_status_duration_and_a_user_hash(
    client, world, caplog
):
    assert login(client, world.utrecht_member.email).status_code == 302
    with caplog.at_level(logging.INFO, logger="portal.access"):
        response = client.get("/organisaties/gemeente-utrecht", headers={"X-Request-ID": "r-42"})
    record = next(r for r in caplog.records
                  if r.name == "portal.access" and r.path == "/organisaties/gemeente-utrecht")  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert response.status_code == 200
    assert line["request_id"] == "r-42" and line["status"] == 200 and line["method"] == "GET"
    assert line["route"] == "/organisaties/<slug>" and line["level"] == "INFO"
    assert line["time"].endswith("+00:00") and line["duration_ms"] >= 0
    assert line["user"] and str(world.utrecht_member.id) != line["user"]
    assert world.utrecht_member.email not in json.dumps(line)


def test_metrics_count_requests_and_read_the_outbox_but_only_for_the_operator(app, client):
    client.get("/healthz")
    db.session.add(OutboxMessage(topic="index", payload={}, attempts=2,
                                 created_at=utcnow() - timedelta(minutes=5)))  # fmt: skip
    db.session.commit()
    response = client.get("/metrics")  # from this machine, no proxy in between
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'portal_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert 'portal_request_duration_seconds_bucket{le="0.1",route="/healthz"}' in body
    assert 'portal_outbox_waiting{topic="index"} 1.0' in body
    assert 'portal_outbox_failing{topic="index"} 1.0' in body
    lag = float(re.search(r"^portal_search_index_lag_seconds (\S+)$", body, re.M).group(1))
    assert 290 < lag < 400

    # Denied: another machine, or this one through the proxy, without the token.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 404
    app.config["METRICS_TOKEN"] = "geheim-token-voor-prometheus"
    try:
        outside = {"REMOTE_ADDR": "192.0.2.7"}
        wrong = client.get("/metrics", environ_base=outside,
                           headers={"Authorization": "Bearer fout"})  # fmt: skip
        right = client.get("/metrics", environ_base=outside,
                           headers={"Authorization": "Bearer geheim-token-voor-prometheus"})  # fmt: skip
        assert wrong.status_code == 404 and right.status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def python(code: str, instance) -> subprocess.CompletedProcess:
    """Run code in a fresh Python process of this virtualenv, with an empty environment."""
    return subprocess.run(  # noqa: S603 - our own code, no shell
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={"PORTAL_INSTANCE_DIR": str(instance), "PATH": ""},
    )  # fmt: skip


def test_errors_are_reported_to_sentry_only_when_configured(tmp_path):
    """In a separate process (the SDK hooks into the whole process): with SENTRY_DSN the SDK is
    on, without personal data, and an event gets the request id as a tag; without it, off."""
    script = textwrap.dedent(
        """
        import sentry_sdk
        from portal import create_app
        app = create_app({"TESTING": True, "SENTRY_DSN": %r})
        client = sentry_sdk.get_client()
        print(client.is_active(), client.options["send_default_pii"])
        with app.test_request_context("/"):
            app.preprocess_request()
            event = client.options["before_send"]({}, {})
            print(event["tags"]["request_id"] != "")
        """
    )
    on = python(script % "http://sleutel@127.0.0.1:9/1", tmp_path)
    assert on.stdout.split() == ["True", "False", "True"], on.stderr[-2000:]
    off = python(
        "import sentry_sdk\nfrom portal import create_app\ncreate_app({'TESTING': True})\n"
        "print(sentry_sdk.get_client().is_active())",
        tmp_path,
    )
    assert off.stdout.split() == ["False"], off.stderr[-2000:]


def test_metrics_count_the_page_caches_hits_and_misses(app, client):
    def count(result: str) -> float:
        body = client.get("/metrics").get_data(as_text=True)
        found = re.search(rf'^portal_page_cache_total{{result="{result}"}} (\S+)$', body, re.M)
        return float(found.group(1)) if found else 0.0

    hits, misses = count("hit"), count("miss")
    client.get("/kennis")
    client.get("/kennis")
    assert (count("hit"), count("miss")) == (hits + 1, misses + 1)
