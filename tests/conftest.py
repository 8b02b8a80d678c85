"""Fixtures: one app per session on TEST_DATABASE_URL (SQLite or PostgreSQL), clean tables per test."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
import redis
from flask import g
from flask_migrate import upgrade
from sqlalchemy import Integer, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db, limiter
from portal.ops import schedule
from portal.pagecache import move_generation
from portal.search.worker_cache import forget
from portal.seeding import Loader
from tests import factories
from tests.s3server import ACCESS_KEY_ID, BUCKET, SECRET_ACCESS_KEY, S3Server, start_s3_server

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # A file, so the browser tests' server thread sees the same database.
        return f"sqlite:///{tmp_dir / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and url.startswith("postgresql"):
        # pytest-xdist: each worker its own database beside the given one (test -> test_gw0).
        own = make_url(url).set(database=f"{make_url(url).database}_{worker}")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{own.database}"'))
        engine.dispose()
        return own.render_as_string(hide_password=False)
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
            "VIEW_COUNT_WRITE_SECONDS": 0,  # a view is in the database when its request ends
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
    """Each test starts with empty tables, no mail, fresh rate-limit counters and no kept pages
    (tables are emptied and filled outside the session, which would move the page generation)."""
    with app.app_context():
        app.extensions.pop("page_cache_redis", None)  # no Redis outage carried over from a test
        move_generation()
        yield
        db.session.rollback()
        db.session.remove()
        _empty_tables(app)
        limiter.reset()
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SEARCH_ENGINE"] = ""


def _empty_tables(app) -> None:
    """Every table emptied, the mail, upload and index folders too, the kept values forgotten."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"], ignore_errors=True)
    for leftover in [
        *Path(app.config["MAIL_DIR"]).glob("*.eml"),
        *Path(app.config["UPLOAD_DIR"]).glob("*"),
    ]:
        leftover.unlink()
    forget()
    schedule._DONE.clear()  # the schedule's runs this process saw claimed: their rows are gone


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    """A real S3-compatible server (rclone serve s3) on a free 127.0.0.1 port, for this session;
    stopped by its PID at the end."""
    server = start_s3_server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def s3_backend(app, s3_server) -> Iterator[str]:
    """The app keeps attachments in the test server's bucket (STORAGE_BACKEND=s3), under a prefix
    of its own for this test; yields the prefix. Afterwards: local again, the prefix emptied."""
    prefix = f"test-{uuid.uuid4().hex[:12]}/"
    settings = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "S3_PREFIX": prefix,
    }
    before = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield prefix
    app.config.update(before)
    s3_server.empty(prefix)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Snapshot:
    """What a fixture's set-up wrote: the new rows of each table and the new files."""

    rows: dict[Table, list[dict]]
    files: dict[Path, bytes]


def _everything(app) -> tuple[dict[Table, list[dict]], dict[Path, bytes]]:
    with db.engine.connect() as connection:
        rows = {
            table: [dict(row._mapping) for row in connection.execute(select(table))]
            for table in db.metadata.sorted_tables
        }
    folders = [Path(app.config[key]) for key in ("MAIL_DIR", "UPLOAD_DIR", "SEARCH_INDEX_DIR")]
    files = {p: p.read_bytes() for folder in folders if folder.exists() for p in folder.rglob("*")
             if p.is_file()}  # fmt: skip
    return rows, files


def _taken(app, build) -> Snapshot:
    """Run build() and keep what it added to the database and the instance folders."""
    rows_before, files_before = _everything(app)
    build()
    rows_after, files_after = _everything(app)
    rows = {}
    for table, after in rows_after.items():
        before = rows_before[table]
        assert all(row in after for row in before), f"set-up changed a row of {table.name}"
        rows[table] = [row for row in after if row not in before]
    files = {p: data for p, data in files_after.items() if files_before.get(p) != data}
    return Snapshot(rows, files)


def _put_back(snapshot: Snapshot) -> None:
    """Insert the snapshot's rows as they were (ids included) and write its files."""
    with db.engine.begin() as connection:
        for table, rows in snapshot.rows.items():
            if rows:
                connection.execute(table.insert(), rows)
        if connection.dialect.name == "postgresql":
            for table, rows in snapshot.rows.items():
                serial = [c.name for c in table.primary_key.columns if c.autoincrement is True
                          or (c.autoincrement == "auto" and isinstance(c.type, Integer))]  # fmt: skip
                if rows and len(serial) == 1 and len(table.primary_key.columns) == 1:
                    column = table.c[serial[0]]
                    sequence = func.pg_get_serial_sequence(table.name, column.name)
                    connection.execute(
                        select(func.setval(sequence, select(func.max(column)).scalar_subquery()))
                    )
    for path, data in snapshot.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    forget()


@pytest.fixture(scope="session")
def _set_ups(app) -> dict[str, object]:
    """The taxonomy and the world, each built once through the services and kept as rows and
    files: a test's fixture puts them back in a few milliseconds instead of building them again."""
    with app.app_context():
        taxonomy = _taken(app, lambda: (Loader().taxonomies(), db.session.commit()))
        built: list[factories.World] = []
        world = _taken(app, lambda: built.append(factories.build_world()))
        ids = {
            field.name: (type(getattr(built[0], field.name)), getattr(built[0], field.name).id)
            for field in fields(factories.World)
        }
        db.session.rollback()
        db.session.remove()
        _empty_tables(app)
    return {"taxonomy": taxonomy, "world": world, "world_ids": ids}


@pytest.fixture
def taxonomy(app, _set_ups):
    """The vocabularies from seeds/taxonomy (loaded once through the services, see _set_ups)."""
    _put_back(_set_ups["taxonomy"])


@pytest.fixture
def world(taxonomy, _set_ups):
    """Two organisations with admins, editors and members, an open and a closed group."""
    _put_back(_set_ups["world"])
    return factories.World(
        **{name: db.session.get(model, id_) for name, (model, id_) in _set_ups["world_ids"].items()}
    )


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


REDIS = "redis://127.0.0.1:6379/0"  # the machine's Redis; each test uses its own key


@pytest.fixture
def key():
    """A Redis key of this test's own on the machine's Redis, deleted afterwards."""
    name = f"mvi-portal-test:{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(REDIS).delete(name)
