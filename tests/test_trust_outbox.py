"""Side effects survive faults: the outbox delivers index updates and mail after a process died,
while the index is locked, missing or damaged, and while the mail server refuses or hangs."""

from __future__ import annotations

import os
import re
import socket
import socketserver
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.common import utcnow
from portal.content import services as content
from portal.content.models import Item
from portal.extensions import db
from portal.notifications import services as notify
from portal.notifications.models import Notification
from portal.outbox import delivery
from portal.outbox.models import OutboxMessage
from portal.outbox.services import deliver_after_commit_with
from portal.permissions import SYSTEM
from portal.search import services as search
from portal.taxonomy.models import Theme
from tests.factories import make_item


def titles(client, query: str) -> list[str]:
    page = client.get("/zoeken", query_string={"q": query}).get_data(as_text=True)
    return re.findall(r'<h2 class="h3"><a href="[^"]+">([^<]+)</a>', page)


def pending(topic: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def make_due() -> None:
    """Skip the back-off: every waiting message is due now."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None))
        .values(available_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


@pytest.fixture
def whoosh(app):
    app.config["SEARCH_ENGINE"] = "whoosh"
    yield
    app.config["SEARCH_ENGINE"] = ""


@contextmanager
def died_after_commit(monkeypatch):
    """The process dies right after the commit: nothing is delivered in it."""
    deliver_after_commit_with(lambda ids: None)
    try:
        yield
    finally:
        deliver_after_commit_with(delivery.after_commit)


def worker(app) -> str:
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


# --- the index ------------------------------------------------------------------------------


def test_death_between_commit_and_index_update_is_repaired_by_the_worker(
    app, client, world, monkeypatch
):
    make_item("tender", world.utrecht, title="Bestaande aanbesteding schoonmaak")
    with died_after_commit(monkeypatch):
        make_item("tender", world.utrecht, title="Zonnepanelen op het gemeentehuis")
    if search.engine_name() == "postgres":
        # PostgreSQL: the document was written in the item's own transaction; nothing waits.
        assert titles(client, "zonnepanelen") == ["Zonnepanelen op het gemeentehuis"]
        assert pending("index") == []
        return
    assert titles(client, "zonnepanelen") == []  # not yet: the process died
    assert len(pending("index")) == 1
    assert "Bezorgd: 1" in worker(app)
    assert titles(client, "zonnepanelen") == ["Zonnepanelen op het gemeentehuis"]
    assert pending() == []


def test_a_held_index_lock_delays_the_update_but_never_drops_it(app, client, world, whoosh):
    make_item("tender", world.utrecht, title="Eerste item in de index")
    held = search.engine()._open().writer()  # another worker holds the writer lock
    try:
        item = make_item("tender", world.utrecht, title="Laadpalen voor deelautos")
        (message,) = pending("index")
        assert message.attempts == 1 and "Lock" in message.last_error
        # Backed off, retried later.
        assert message.available_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    finally:
        held.cancel()
    assert titles(client, "laadpalen") == []
    make_due()
    assert delivery.deliver_due().delivered == 1
    assert titles(client, "laadpalen") == [item.title]


def test_check_finds_a_stale_document_whose_old_text_still_matches_and_fix_repairs_it(
    app, client, world
):
    item = make_item("tender", world.utrecht, title="Inzameling van bedrijfsafval")
    # An edit that reaches the database but not the index (e.g. a lost update before this fix).
    db.session.execute(
        update(Item).where(Item.id == item.id).values(title="Inzameling van bedrijfsafval Oost")
    )
    db.session.commit()
    report = search.check()
    assert report.stale == [item.id] and report.missing == [] and report.extra == []
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 1 and "verouderd: 1" in result.output
    result = app.test_cli_runner().invoke(args=["search", "check", "--fix"])
    assert result.exit_code == 0 and "Hersteld." in result.output, result.output
    assert search.check().ok
    assert titles(client, "oost") == ["Inzameling van bedrijfsafval Oost"]


def test_saving_while_the_index_is_missing_rebuilds_it_whole(app, client, world, whoosh):
    import shutil

    for title in ("Asfalt met minder CO2", "Asfalt hergebruik", "Asfalt onderhoud"):
        make_item("tender", world.utrecht, title=title)
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    answer = client.get("/api/search", query_string={"q": "asfalt"}).get_json()
    assert answer["unavailable"] is True and answer["total"] == 0  # said, never a silent 0
    make_item("tender", world.utrecht, title="Asfalt nieuw")
    # Not a one-item index: the save rebuilt it from the database.
    assert len(titles(client, "asfalt")) == 4
    assert (
        client.get("/api/search", query_string={"q": "asfalt"}).get_json()["unavailable"] is False
    )


def test_a_damaged_segment_is_reported_as_unavailable_and_rebuilt(
    app, client, world, whoosh, monkeypatch
):
    # The index file is damaged behind the portal's back (no write moves the page generation):
    # the same search must be answered again, not sent from the page cache.
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    make_item("tender", world.utrecht, title="Groen beheer van bermen")
    assert titles(client, "bermen") == ["Groen beheer van bermen"]
    live = Path(app.config["SEARCH_INDEX_DIR"]) / "live"
    (segment,) = [p for p in live.resolve().iterdir() if p.suffix == ".seg"]
    time.sleep(0.01)
    segment.write_bytes(os.urandom(segment.stat().st_size))  # overwritten in place
    page = client.get("/zoeken", query_string={"q": "bermen"}).get_data(as_text=True)
    assert "wordt opnieuw opgebouwd" in page
    assert client.get("/api/search?q=bermen").get_json()["unavailable"] is True
    search.rebuild_when_missing()  # the worker's housekeeping round
    assert titles(client, "bermen") == ["Groen beheer van bermen"]


def test_reindex_builds_beside_the_live_index_and_keeps_changes_made_meanwhile(
    app, client, world, whoosh
):
    for n in range(5):
        make_item("tender", world.utrecht, title=f"Catering duurzaam {n}")
    item = make_item("tender", world.utrecht, title="Criterium eiwittransitie")
    seen_during: list[list[str]] = []

    def during_build(_done: int) -> None:
        seen_during.append(titles(client, "catering"))  # searches keep answering
        if len(seen_during) == 1:
            content.update_item(
                item,
                content.ItemData(title="Criterium eiwittransitie kantine", status="published"),
                actor=SYSTEM,
            )
            db.session.commit()  # a write during the rebuild does not wait for it

    assert search.reindex(batch=2, progress=during_build) == 6
    assert all(len(found) == 5 for found in seen_during) and len(seen_during) >= 3
    assert titles(client, "kantine") == ["Criterium eiwittransitie kantine"]
    assert search.check().ok
    builds = [p.name for p in Path(app.config["SEARCH_INDEX_DIR"]).iterdir()]
    assert sum(name.startswith("build-") for name in builds) <= 2


# --- mail -----------------------------------------------------------------------------------


class FakeSMTP(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on 127.0.0.1: 'accept' takes every mail, 'refuse' answers 554,
    'hang' accepts the connection and never answers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[bytes] = []
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        if server.mode == "hang":
            server.release.wait(30)
            return
        if server.mode == "refuse":
            self.wfile.write(b"554 5.3.2 geen dienst\r\n")
            return
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go\r\n")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    data += self.rfile.readline()
                server.received.append(data)
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp(app):
    servers: list[FakeSMTP] = []

    def start(mode: str) -> FakeSMTP:
        server = FakeSMTP(mode)
        servers.append(server)
        app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1], MAIL_USE_TLS=False,
            MAIL_TIMEOUT=0.5,
        )  # fmt: skip
        return server

    yield start
    app.config.update(MAIL_SERVER="", MAIL_PORT=587, MAIL_USE_TLS=True, MAIL_TIMEOUT=10)
    app.config["OUTBOX_DELIVERY"] = "inline"
    for server in servers:
        server.stop()


def _daily_notice(world) -> Item:
    notify.follow("theme", _theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    return make_item("tender", world.heumen, title="Circulair meubilair", themes=["circulair"])


def _theme(slug: str) -> Theme:
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


def test_digest_with_a_refusing_mail_server_fails_loudly_and_loses_nothing(app, world, smtp):
    _daily_notice(world)
    smtp("refuse")
    result = app.test_cli_runner().invoke(args=["notify", "digest"])
    assert result.exit_code != 0 and "niet door de mailserver aangenomen" in result.output
    (mail,) = pending("mail")
    assert mail.attempts == 1 and mail.last_error
    notice = db.session.scalar(select(Notification))
    assert notice.mailed_at is None  # not marked mailed: the server did not take it
    # A second run (e.g. the next day) does not queue the same notice twice, and still fails
    # loudly while the earlier mail waits.
    again = app.test_cli_runner().invoke(args=["notify", "digest"])
    assert again.exit_code == 1 and "niet door de mailserver aangenomen" in again.output
    assert len(pending("mail")) == 1
    # The server is back: the worker delivers the waiting mail, and only then is it mailed.
    accepting = smtp("accept")
    make_due()
    worker(app)
    assert len(accepting.received) == 1 and b"Circulair meubilair" in accepting.received[0]
    db.session.expire_all()
    assert db.session.scalar(select(Notification)).mailed_at is not None
    assert pending() == []


def test_a_hanging_mail_server_never_slows_a_request_and_loses_nothing(app, client, world, smtp):
    app.config["OUTBOX_DELIVERY"] = "thread"
    smtp("hang")
    started = time.perf_counter()
    response = client.post("/wachtwoord-vergeten", data={"email": world.utrecht_member.email})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302
    assert elapsed < 1.0, f"the request waited {elapsed:.1f} s on SMTP"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (pending("mail") and pending("mail")[0].last_error):
        time.sleep(0.05)  # the background deliverer tries, times out, and backs off
    (mail,) = pending("mail")
    assert mail.attempts == 1 and "timed out" in mail.last_error.lower()
    app.config["OUTBOX_DELIVERY"] = "inline"
    accepting = smtp("accept")
    make_due()
    worker(app)
    assert len(accepting.received) == 1 and b"wachtwoord" in accepting.received[0].lower()


def test_death_between_commit_and_mail_is_repaired_by_the_worker(
    app, client, world, mailbox, monkeypatch
):
    with died_after_commit(monkeypatch):
        client.post("/wachtwoord-vergeten", data={"email": world.utrecht_member.email})
    assert mailbox.messages() == [] and len(pending("mail")) == 1
    worker(app)
    assert len(mailbox.messages()) == 1 and pending() == []


def test_a_rolled_back_change_leaves_no_side_effect(world, mailbox):
    item = make_item("tender", world.utrecht, title="Wordt teruggedraaid")
    count = db.session.scalar(select(func.count(OutboxMessage.id)))
    content.update_item(
        item, content.ItemData(title="Nooit opgeslagen", status="published"), actor=SYSTEM
    )
    from portal.mail import send_mail

    send_mail("iemand@example.nl", "Nooit", "Nooit verstuurd")
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == count
    assert mailbox.messages() == []


def test_a_mail_header_never_carries_a_line_break(world, mailbox):
    from portal.mail import send_mail

    send_mail("iemand@example.nl", "Onderwerp\r\nBcc: kwaad@example.nl", "Tekst")
    db.session.commit()
    (mail,) = mailbox.messages()
    assert "Bcc:" not in mail.split("\n\n", 1)[0].replace("Subject: Onderwerp Bcc:", "")
    assert "Subject: Onderwerp Bcc: kwaad@example.nl" in mail


def test_outbox_status_reports_waiting_messages(app, world, smtp):
    smtp("refuse")
    from portal.mail import send_mail

    send_mail("iemand@example.nl", "Onderwerp", "Tekst")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 1 and "mail: 1 wachtend" in result.output
    assert "SMTP" in result.output or "Error" in result.output


def test_backoff_doubles_and_is_capped():
    assert delivery.backoff(1) == timedelta(seconds=5)
    assert delivery.backoff(2) == timedelta(seconds=10)
    assert delivery.backoff(30) == timedelta(hours=1)


def test_two_deliverers_never_deliver_one_message_twice(app, world, mailbox, monkeypatch):
    from portal.mail import send_mail

    with died_after_commit(monkeypatch):
        send_mail("iemand@example.nl", "Eén keer", "Tekst")
        db.session.commit()
    (message,) = pending("mail")
    first = delivery.deliver_ids([message.id])
    second = delivery.deliver_ids([message.id])  # e.g. the worker and a background thread
    assert (first.delivered, second.delivered) == (1, 0)
    assert len(mailbox.messages()) == 1


def test_unreachable_port_is_a_failure_not_a_crash(app, world, smtp):
    smtp("accept")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    app.config["MAIL_PORT"] = free_port  # nothing listens there
    from portal.mail import send_mail

    send_mail("iemand@example.nl", "Onderwerp", "Tekst")
    db.session.commit()
    (mail,) = pending("mail")
    assert mail.attempts == 1 and "refused" in mail.last_error.lower()


def test_a_new_process_sweeps_what_a_dead_one_left_without_waiting_for_a_change(
    app, client, world, mailbox, monkeypatch
):
    from portal.mail import send_mail

    with died_after_commit(monkeypatch):
        send_mail("iemand@example.nl", "Bleef liggen", "Tekst")
        db.session.commit()
    assert len(pending("mail")) == 1
    app.config["OUTBOX_DELIVERY"] = "thread"
    monkeypatch.setattr(delivery, "_THREAD", {})  # as in a freshly started process
    try:
        assert client.get("/").status_code == 200  # any first request, no change at all
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and pending("mail"):
            time.sleep(0.05)
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    assert pending("mail") == [] and len(mailbox.messages()) == 1


# Whoosh leaves the files of a segment it failed to read open; they are closed when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_damage_that_keeps_size_and_time_is_noticed_when_read_and_rebuilt(
    app, client, world, whoosh
):
    make_item("tender", world.utrecht, title="Groen beheer van bermen")
    live = Path(app.config["SEARCH_INDEX_DIR"]) / "live"
    segment = max((p for p in live.resolve().iterdir() if p.suffix == ".seg"),
                  key=lambda p: p.stat().st_size)  # fmt: skip
    stat = segment.stat()
    segment.write_bytes(os.urandom(stat.st_size))
    os.utime(segment, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the manifest cannot see it
    assert client.get("/api/search?q=bermen").get_json()["unavailable"] is True
    assert not search.engine().available()  # remembered as damaged, so housekeeping rebuilds
    search.rebuild_when_missing()
    assert titles(client, "bermen") == ["Groen beheer van bermen"]
    assert search.engine().available()
    import gc

    gc.collect()  # the failed reads' files, closed here under this test's warning filter


def test_the_background_sweep_runs_while_commits_keep_coming(app, monkeypatch):
    """Housekeeping (retries, the spelling vocabulary) is not postponed by a busy site: commits
    arriving faster than OUTBOX_SWEEP_SECONDS used to keep the sweep waiting for a quiet moment."""
    sweeps = []
    monkeypatch.setattr(delivery, "work_once", lambda _app: sweeps.append(time.monotonic()))
    monkeypatch.setattr(delivery, "deliver_ids", lambda ids: None)
    monkeypatch.setattr(delivery, "_THREAD", {})  # as in a freshly started process
    app.config.update(OUTBOX_DELIVERY="thread", OUTBOX_SWEEP_SECONDS=0.2)
    try:
        inbox = delivery._background(app)
        stop = time.monotonic() + 1.2
        while time.monotonic() < stop:
            inbox.put([1])  # a commit every 50 ms
            time.sleep(0.05)
    finally:
        app.config.update(OUTBOX_DELIVERY="inline", OUTBOX_SWEEP_SECONDS=30)
    assert len(sweeps) >= 3  # the first sweep, then about every 0.2 s
