"""Several workers: a write on worker A makes worker B drop its cached names within a second,
through Redis (CACHE_REDIS_URL); without Redis B keeps its copy until it expires; an unreachable
Redis never fails a request and /readyz names it."""

from __future__ import annotations

import time
from contextlib import contextmanager

from portal import create_app
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.search.display_names import names
from portal.search.worker_cache import CHECK_SECONDS
from tests.conftest import REDIS


@contextmanager
def worker(app, **config):
    """Another worker process on the same database: its own app, engine and cached values."""
    other = create_app({**app.config, **config})
    try:
        with other.app_context(), other.test_request_context("/"):
            yield other
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()


def organisation_name(slug: str) -> str:
    return names()["organisatie"][slug]


def rename(slug: str, name: str) -> None:
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.slug == slug))
    organisation.name = name
    db.session.commit()  # the flush forgets the names (display_names.forget_if_named)


def test_a_write_on_worker_a_is_seen_by_worker_b_within_a_second(app, world, key):
    app.config.update(CACHE_REDIS_URL=REDIS, CACHE_REDIS_KEY=key)
    try:
        with worker(app, CACHE_REDIS_URL=REDIS, CACHE_REDIS_KEY=key):
            assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht"  # B keeps a copy
            with app.test_request_context("/"):
                rename("gemeente-utrecht", "Gemeente Utrecht (stad)")  # written on A
            time.sleep(CHECK_SECONDS + 0.1)
            assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht (stad)"
    finally:
        app.config.update(CACHE_REDIS_URL="")


def test_without_redis_worker_b_keeps_its_copy_until_it_expires(app, world):
    with worker(app, CACHE_REDIS_URL=""):
        assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht"
        with app.test_request_context("/"):
            rename("gemeente-utrecht", "Gemeente Utrecht (stad)")
        time.sleep(CHECK_SECONDS + 0.1)
        assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht"  # the copy stands


def test_an_unreachable_redis_never_fails_a_request_and_readyz_names_it(app, world, caplog):
    nowhere = "redis://127.0.0.1:1/0"
    with worker(app, CACHE_REDIS_URL=nowhere) as other:
        assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht"
        rename("gemeente-utrecht", "Gemeente Utrecht (stad)")  # forget() cannot reach Redis
        assert organisation_name("gemeente-utrecht") == "Gemeente Utrecht (stad)"  # own copy gone
        assert "Redis onbereikbaar" in caplog.text
        response = other.test_client().get("/readyz")
    assert response.status_code == 503
    check = response.json["checks"]["redis"]
    assert not check["ok"] and "127.0.0.1:1/0 onbereikbaar" in check["detail"]


def test_readyz_checks_the_redis_it_uses(app, client, key):
    app.config.update(CACHE_REDIS_URL=REDIS, CACHE_REDIS_KEY=key)
    try:
        check = client.get("/readyz").json["checks"]["redis"]
    finally:
        app.config.update(CACHE_REDIS_URL="")
    assert check["ok"] and check["detail"] == "1 bereikbaar"
    assert client.get("/readyz").json["checks"]["redis"]["detail"] == "niet gebruikt"
