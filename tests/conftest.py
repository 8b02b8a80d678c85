"""Fixtures: one app per session on TEST_DATABASE_URL (SQLite or PostgreSQL), clean tables per test."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal import create_app
from portal.extensions import db, limiter
from tests import factories

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # A file, so the browser tests' server thread sees the same database.
        return f"sqlite:///{tmp_dir / 'test.db'}"
    return url


def _empty_database(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("portal")
    url = _database_url(tmp_dir)
    _empty_database(url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": tmp_dir,
            "MAIL_DIR": tmp_dir / "mail",
            "UPLOAD_DIR": tmp_dir / "uploads",
            "SEARCH_INDEX_DIR": tmp_dir / "search-index",
            "MAIL_SERVER": "",
            # Side effects right after each commit, so a test sees them at once.
            "OUTBOX_DELIVERY": "inline",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    # Tests keep one app context open (so factories' objects stay usable) and requests reuse it;
    # start each request with an empty `g`, as a real request in its own context would.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    """Each test starts with empty tables, no mail and fresh rate-limit counters."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        limiter.reset()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"], ignore_errors=True)
    for leftover in [
        *Path(app.config["MAIL_DIR"]).glob("*.eml"),
        *Path(app.config["UPLOAD_DIR"]).glob("*"),
    ]:
        leftover.unlink()
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SEARCH_ENGINE"] = ""


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def taxonomy(app):
    """The vocabularies from seeds/taxonomy, loaded through the services."""
    from portal.seeding import Loader

    Loader().taxonomies()
    db.session.commit()


@pytest.fixture
def world(taxonomy):
    """Two organisations with admins, editors and members, an open and a closed group."""
    return factories.build_world()


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages(self) -> list[str]:
        """Each mail as its headers plus decoded body."""
        result = []
        for path in sorted(self.directory.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            headers = "".join(f"{k}: {v}\n" for k, v in message.items())
            result.append(headers + "\n" + message.get_content())
        return result

    def last_link(self, to: str | None = None) -> str:
        for body in reversed(self.messages()):
            if to is None or f"To: {to}" in body:
                return re.findall(r"http://\S+", body)[-1]
        raise AssertionError(f"no mail to {to}")

    def last_path(self, to: str | None = None) -> str:
        return "/" + self.last_link(to).split("/", 3)[3]


@pytest.fixture
def mailbox(app) -> Mailbox:
    return Mailbox(Path(app.config["MAIL_DIR"]))


def login(client, email: str, password: str = factories.PASSWORD, **extra):
    return client.post("/inloggen", data={"email": email, "password": password, **extra})


@pytest.fixture
def as_user(client):
    """Log the test client in as the given user."""

    def sign_in(user):
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in
