"""The page cache (portal/pagecache.py): anonymous visitors' pages are kept until the next write,
a member's only for that member's session, never a page with a message of its own; the generation moves
on every committed write, in this worker at once and in other workers through the instance file
or Redis; a kept item page still counts its view."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import redis

from portal import create_app
from portal.content import services
from portal.content.models import Bookmark, Item
from portal.extensions import db
from portal.ops.models import ScheduledRun
from portal.outbox.models import OutboxMessage
from portal.pagecache import ENTRY_OVERHEAD, generation
from portal.permissions import SYSTEM
from portal.questions import services as qa
from portal.seeding import demo_pdf
from tests.conftest import REDIS, login
from tests.factories import PASSWORD, make_item


def fetch(client, url: str, **headers):
    response = client.get(url, headers=headers)
    return (
        response.status_code,
        response.headers.get("X-Page-Cache"),
        response.get_data(as_text=True),
    )


def test_an_anonymous_page_is_kept_and_sent_again_unchanged(client, world):
    make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    status, first, page = fetch(client, "/lessen/")
    assert (status, first) == (200, "miss") and "Houtbouw in de praktijk" in page
    status, second, again = fetch(client, "/lessen/")
    assert (status, second) == (200, "hit") and again == page


def test_a_write_moves_the_generation_and_the_next_visitor_sees_it(client, world):
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    fetch(client, "/lessen/")
    item.title = "Houtbouw: wat we leerden"
    db.session.commit()
    _, state, page = fetch(client, "/lessen/")
    assert state == "miss" and "Houtbouw: wat we leerden" in page
    assert "Houtbouw in de praktijk" not in page


def test_an_item_made_members_only_leaves_no_kept_page_behind(client, world):
    item = make_item("tender", world.utrecht, title="Zonnepanelen op sporthallen")
    url = f"/aanbestedingen/{item.slug}"
    assert fetch(client, url)[0] == 200 and fetch(client, url)[1] == "hit"
    assert "Zonnepanelen op sporthallen" in fetch(client, "/aanbestedingen/")[2]
    item.visibility = "members"
    db.session.commit()
    assert fetch(client, url)[0] == 404
    assert "Zonnepanelen op sporthallen" not in fetch(client, "/aanbestedingen/")[2]


def test_an_answer_posted_through_the_site_shows_at_once(client, world, as_user):
    question = qa.ask_question(
        qa.QuestionData(title="Hoe minder vlees in de kantine?", body="Wie heeft ervaring?"),
        actor=world.heumen_admin,
    )
    db.session.commit()
    url = f"/vragen/{question.slug}"
    fetch(client, url)
    assert fetch(client, url)[1] == "hit"
    as_user(world.utrecht_member)
    posted = client.post(f"{url}/antwoorden", data={"body": "Begin met een vegetarische dag."})
    assert posted.status_code == 302
    client.post("/uitloggen")
    client.delete_cookie("session")
    _, state, page = fetch(client, url)
    assert state == "miss" and "Begin met een vegetarische dag." in page


def signed_in(client, user):
    """Sign in, then open a page: the welcome message is shown and the session's form secret made
    (a page that writes to the session is not kept)."""
    login(client, user.email)
    client.get("/")
    return client


def test_a_members_page_is_kept_for_that_session_only(app, client, world):
    make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    signed_in(client, world.utrecht_member)
    status, state, page = fetch(client, "/lessen/")
    assert (status, state) == (200, "miss") and world.utrecht_member.name in page
    assert fetch(client, "/lessen/")[1:] == ("hit", page)
    other = signed_in(app.test_client(), world.heumen_admin)
    _, state, theirs = fetch(other, "/lessen/")
    assert state == "miss" and world.heumen_admin.name in theirs
    assert world.utrecht_member.name not in theirs
    _, state, anonymous = fetch(app.test_client(), "/lessen/")
    assert state == "miss" and world.utrecht_member.name not in anonymous
    assert world.heumen_admin.name not in anonymous


def test_a_members_own_write_shows_on_their_next_page(client, world):
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    url = f"/lessen/{item.slug}"
    signed_in(client, world.heumen_admin)
    fetch(client, url)
    assert fetch(client, url)[1] == "hit"
    assert client.post(f"{url}/bewaren").status_code == 302
    client.get("/")  # the flash message of the bookmark is shown here
    _, state, page = fetch(client, url)
    assert state == "miss" and "Niet meer bewaren" in page


def test_a_kept_members_page_carries_a_token_their_session_accepts(app, client, world):
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    url = f"/lessen/{item.slug}"
    signed_in(client, world.heumen_admin)
    app.config["WTF_CSRF_ENABLED"] = True  # put back by the suite's clean-up
    fetch(client, url)
    _, state, page = fetch(client, url)
    assert state == "hit"
    token = re.search(r'action="[^"]*/bewaren".*?name="csrf_token" value="([^"]+)"', page, re.S)
    response = client.post(f"{url}/bewaren", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Bookmark, (world.heumen_admin.id, item.id)) is not None
    stranger = app.test_client()
    login_page = stranger.get("/inloggen").get_data(as_text=True)
    stranger.post("/inloggen", data={"email": world.utrecht_member.email, "password": PASSWORD,
                                     "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                                             login_page).group(1)})  # fmt: skip
    refused = stranger.post(f"{url}/bewaren", data={"csrf_token": token.group(1)})
    assert refused.status_code == 400  # another session cannot use the kept page's token


def test_a_page_with_a_form_token_or_a_message_is_not_kept(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert fetch(client, "/inloggen")[1] is None  # not a page of a cached blueprint
    assert 'name="csrf_token"' not in fetch(client, "/")[2]  # the language switch needs none
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Opgeslagen.")]
    status, state, page = fetch(client, "/")
    assert status == 200 and state is None and "Opgeslagen." in page
    assert fetch(client, "/")[1] == "miss"  # the message was shown once; now the shared page


def test_an_item_page_writes_no_token_for_an_anonymous_visitor(app, client, world, monkeypatch):
    # The page makes its members' forms (bookmark, attachment, link) but shows none of them:
    # no token may land in the visitor's session, or no visitor would ever get the kept page.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for kind, path in (("tender", "aanbestedingen"), ("question", "vragen")):
        item = make_item(kind, world.utrecht) if kind != "question" else qa.ask_question(
            qa.QuestionData(title="Wie koopt circulair meubilair?", body="Ervaringen?"),
            actor=world.heumen_admin,
        )  # fmt: skip
        db.session.commit()
        first = client.get(f"/{path}/{item.slug}")
        assert first.status_code == 200 and "Set-Cookie" not in first.headers
        assert first.headers["X-Page-Cache"] == "miss"
        assert client.get(f"/{path}/{item.slug}").headers["X-Page-Cache"] == "hit"


def test_the_language_switch_works_without_a_token(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/taal", data={"taal": "en", "next": "/kennis"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kennis")
    assert client.post("/taal", data={"taal": "xx"}).status_code == 400


def test_each_language_has_its_own_kept_page(client, world):
    dutch = fetch(client, "/", **{"Accept-Language": "nl"})[2]
    english = fetch(client, "/", **{"Accept-Language": "en"})[2]
    assert '<html lang="nl">' in dutch and '<html lang="en">' in english
    assert fetch(client, "/", **{"Accept-Language": "en"})[1:] == ("hit", english)
    with client.session_transaction() as session:
        session["lang"] = "nl"
    assert fetch(client, "/", **{"Accept-Language": "en"})[1:] == ("hit", dutch)


def test_a_kept_item_page_still_counts_its_view(client, world):
    item = make_item("lesson", world.utrecht)
    for _ in range(3):
        fetch(client, f"/lessen/{item.slug}")
    db.session.expire_all()
    assert db.session.get(Item, item.id).view_count == 3


def test_a_kept_page_expires(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0.2)
    fetch(client, "/kennis")
    assert fetch(client, "/kennis")[1] == "hit"
    time.sleep(0.3)
    assert fetch(client, "/kennis")[1] == "miss"


def test_the_schedules_bookkeeping_keeps_the_pages(world):
    before = generation()
    db.session.add(ScheduledRun(job="digest-daily", period="2026-12-06", runner="test:1"))
    db.session.commit()
    assert generation() == before
    make_item("lesson", world.utrecht)
    assert generation() != before


@contextmanager
def worker(app, **config):
    """Another worker on the same database and instance folder, with its own kept pages."""
    other = create_app({**app.config, **config})
    try:
        yield other.test_client()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_write_on_worker_a_empties_worker_b_without_redis(app, client, world):
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    with worker(app) as other:
        fetch(other, "/lessen/")
        assert fetch(other, "/lessen/")[1] == "hit"
        item.title = "Houtbouw: wat we leerden"
        db.session.commit()  # on worker A: the instance folder's generation file moves
        _, state, page = fetch(other, "/lessen/")
        assert state == "miss" and "Houtbouw: wat we leerden" in page


def test_a_write_on_worker_a_empties_worker_b_through_redis(app, client, world, key, monkeypatch):
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "PAGE_CACHE_REDIS_KEY", key)
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    other_folder = {"INSTANCE_DIR": app.config["INSTANCE_DIR"] / f"b-{key[-8:]}"}
    with worker(app, **other_folder) as other:  # another server: no shared folder, only Redis
        fetch(other, "/lessen/")
        assert fetch(other, "/lessen/")[1] == "hit"
        item.title = "Houtbouw: wat we leerden"
        db.session.commit()
        assert redis.Redis.from_url(REDIS).get(key) is not None
        _, state, page = fetch(other, "/lessen/")
        assert state == "miss" and "Houtbouw: wat we leerden" in page


def test_an_unreachable_redis_sends_fresh_pages_and_no_error(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", "redis://127.0.0.1:1/0")
    make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    for _ in range(2):
        status, state, page = fetch(client, "/lessen/")
        assert status == 200 and state is None and "Houtbouw in de praktijk" in page


def test_a_move_redis_missed_is_written_when_it_answers_again(app, client, world, key, monkeypatch):
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "PAGE_CACHE_REDIS_KEY", key)
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    fetch(client, "/lessen/")
    assert fetch(client, "/lessen/")[1] == "hit"
    before = redis.Redis.from_url(REDIS).get(key)
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", "redis://127.0.0.1:1/0")  # Redis away
    item.title = "Houtbouw: wat we leerden"
    db.session.commit()  # the move cannot be written now
    status, state, page = fetch(client, "/lessen/")
    assert (status, state) == (200, None) and "Houtbouw: wat we leerden" in page
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", REDIS)  # Redis back
    time.sleep(0.6)
    _, state, page = fetch(client, "/lessen/")
    assert state == "miss" and "Houtbouw: wat we leerden" in page
    assert redis.Redis.from_url(REDIS).get(key) != before  # the owed move, written


def test_a_download_is_streamed_and_never_kept(client, world):
    item = make_item("tender", world.utrecht)
    pdf = demo_pdf(["Bestek met social return"])
    attachment = services.add_attachment(item, "bestek.pdf", pdf, actor=SYSTEM)
    db.session.commit()
    url = f"/bijlagen/{attachment.id}/bestek.pdf"
    for _ in range(2):
        with client.get(url) as response:
            assert response.status_code == 200 and response.data == pdf
            assert response.headers["X-Page-Cache"] == "skip"


def test_an_idle_worker_round_keeps_the_pages_and_an_index_update_moves_them(app, world):
    from portal.outbox.delivery import work_once

    item = make_item("lesson", world.utrecht)  # its index update is delivered after its commit
    before = generation()
    work_once(app)  # claims due rows (none), purges old ones (none): statements that change nothing
    db.session.commit()
    assert generation() == before
    db.session.add(OutboxMessage(topic="index", payload={"item_ids": [item.id]}))
    db.session.commit()  # the outbox's own rows are bookkeeping ...
    assert generation() == before
    work_once(app)  # ... the index update it delivers is what search pages show
    assert generation() != before


def test_tiny_pages_under_endless_addresses_stay_within_the_budget(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_BYTES", 100_000)
    for n in range(200):  # a stranger's loop: a 19-byte answer each, under a long new address
        response = client.get(f"/zoeken/suggesties?q=a&x={n}{'y' * 1000}")
        assert response.status_code == 200
    pages = app.extensions["page_cache"]
    assert sum(kept.size for kept in pages.values()) <= 100_000
    assert len(pages) <= 100_000 // ENTRY_OVERHEAD  # the key and the entry count, not the body


def test_a_redis_that_lost_its_data_never_brings_an_old_generation_back(
    app, client, world, key, monkeypatch
):
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "PAGE_CACHE_REDIS_KEY", key)
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")
    with worker(app, INSTANCE_DIR=app.config["INSTANCE_DIR"] / f"c-{key[-8:]}") as other:
        fetch(other, "/lessen/")
        assert fetch(other, "/lessen/")[1] == "hit"
        store = redis.Redis.from_url(REDIS)
        kept_under = store.get(key)
        store.delete(key)  # Redis restarted without its data (or evicted the key)
        for n in range(5):  # writes after it: a counter would pass the old value again
            item.title = f"Houtbouw, versie {n}"
            db.session.commit()
            assert store.get(key) != kept_under
        _, state, page = fetch(other, "/lessen/")
        assert state == "miss" and "Houtbouw, versie 4" in page


def test_another_site_cannot_post_the_language_switch(app, client, world, as_user):
    # Another site's form posts without the member's cookie (SameSite=Lax): answering it with a
    # new session would replace theirs, signing them out. It is refused and sets no cookie.
    stranger = app.test_client()
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://elders.example"}):
        refused = stranger.post("/taal", data={"taal": "en"}, headers=headers)
        assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
    as_user(world.utrecht_member)
    client.post("/taal", data={"taal": "en"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert world.utrecht_member.name in client.get("/").get_data(as_text=True)  # still signed in
    own = client.post("/taal", data={"taal": "en"}, headers={"Sec-Fetch-Site": "same-origin",
                                                             "Origin": "http://localhost"})  # fmt: skip
    assert own.status_code == 302


def test_an_unwritable_generation_file_switches_the_cache_off_not_the_site(
    app, client, world, tmp_path, monkeypatch
):
    folder = tmp_path / "instance"
    (folder / "page-generation").mkdir(parents=True)  # a folder where the file should be
    monkeypatch.setitem(app.config, "INSTANCE_DIR", folder)
    item = make_item("lesson", world.utrecht, title="Houtbouw in de praktijk")  # commit: no error
    for _ in range(2):
        status, state, page = fetch(client, "/lessen/")
        assert status == 200 and state is None and "Houtbouw in de praktijk" in page
    item.title = "Houtbouw: wat we leerden"
    db.session.commit()
    assert "Houtbouw: wat we leerden" in fetch(client, "/lessen/")[2]


def test_views_are_written_by_a_thread_of_their_own_when_due(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "VIEW_COUNT_WRITE_SECONDS", 0.05)
    item = make_item("lesson", world.utrecht)
    client.get(f"/lessen/{item.slug}")
    time.sleep(0.1)
    client.get(f"/lessen/{item.slug}")  # due: handed to the writer thread
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Item, item.id).view_count == 2:
            break
        time.sleep(0.05)
    assert db.session.get(Item, item.id).view_count == 2
