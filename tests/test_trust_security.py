"""Trust and security (issue 10): sessions end at logout, no account enumeration, "members" means
members, strong passwords and no caching of private answers, hostile input answers 4xx, and
simultaneous clicks or a database error never give a bare 500."""

from __future__ import annotations

import re

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts import services as accounts
from portal.accounts.models import AccountToken, User
from portal.common import ServiceError
from portal.content import services as content
from portal.content.kinds import kinds
from portal.content.models import Bookmark, Item, UsefulMark
from portal.content.queries import visible_to
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Follow, Notification
from portal.organisations import services as organisations
from portal.permissions import SYSTEM, can_view_item
from portal.questions import services as qa
from portal.search.models import SavedSearch
from portal.seeding import demo_docx
from tests.conftest import login
from tests.factories import PASSWORD, make_item, make_user


def _meanwhile(table, **values) -> None:
    """What a simultaneous request does between our check and our insert: insert and commit on
    its own connection, unseen by this session."""
    with db.engine.begin() as connection:
        connection.execute(table.insert().values(**values))


def _flashes(client) -> list:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


# --- 10: logging out ends the session and its remember-me --------------------------------------


def test_logout_ends_the_session_and_its_remember_me_cookie(app, client, world):
    login(client, world.outsider.email, remember="y")
    session_cookie = client.get_cookie("session").value
    remember = client.get_cookie("remember_token").value
    # Allowed: before logging out, each cookie alone signs in.
    for name, value in (("session", session_cookie), ("remember_token", remember)):
        copy = app.test_client()
        copy.set_cookie(name, value)
        assert copy.get("/account").status_code == 200, name
    assert client.post("/uitloggen").status_code == 302
    # Denied: after logging out, a kept copy of either cookie signs in no more.
    for name, value in (("session", session_cookie), ("remember_token", remember)):
        copy = app.test_client()
        copy.set_cookie(name, value)
        response = copy.get("/account")
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"], name
    # The next login gets a fresh remember token, and that one works.
    login(client, world.outsider.email, remember="y")
    fresh = client.get_cookie("remember_token").value
    assert fresh != remember
    copy = app.test_client()
    copy.set_cookie("remember_token", fresh)
    assert copy.get("/account").status_code == 200


# --- 13: no answer tells whether an address has an account ----------------------------------


def _register(client, email: str, name: str = "Eva Jansen"):
    data = {"name": name, "email": email, "password": "Lange-zin-voor-test",
            "password_repeat": "Lange-zin-voor-test"}  # fmt: skip
    return client.post("/registreren", data=data)


def test_registering_a_taken_address_answers_as_for_a_new_one(app, world, mailbox):
    answers = []
    for email in ("nieuw@heumen.nl", "beheer@heumen.nl"):  # free, then Femke Willems's
        client = app.test_client()
        response = _register(client, email)
        with client.session_transaction() as session:
            signed_in = "_user_id" in session
        flashes = [(kind, text.replace(email, "ADRES")) for kind, text in _flashes(client)]
        answers.append((response.status_code, response.headers["Location"], signed_in, flashes))
    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, "/inloggen", False)
    # Nothing made for the taken address; its owner is told, with the way to a new password.
    assert (
        db.session.scalar(select(func.count(User.id)).where(User.email == "beheer@heumen.nl")) == 1
    )
    assert db.session.get(User, world.heumen_admin.id).name == "Femke Willems"
    [notice] = [m for m in mailbox.messages() if "To: beheer@heumen.nl" in m]
    assert "nieuw account aan te maken met uw e-mailadres" in notice
    assert "/wachtwoord-vergeten" in notice
    assert any("To: nieuw@heumen.nl" in m and "/bevestigen/" in m for m in mailbox.messages())
    # The owner is written to in Dutch, whatever language the one who tried had chosen.
    english = app.test_client()
    english.post("/taal", data={"taal": "en"})
    _register(english, "lid@utrecht.nl")
    [notice] = [m for m in mailbox.messages() if "To: lid@utrecht.nl" in m]
    assert "Dit adres hoort al bij uw account" in notice


def test_changing_email_to_a_taken_address_answers_as_for_a_free_one(client, world, mailbox):
    login(client, world.outsider.email)
    client.get("/account")  # shows (and so clears) the login's flash
    answers = []
    for email in ("bram@heumen.nl", "lid@utrecht.nl"):  # free, then Sanne Bakker's
        response = client.post("/account/e-mailadres", data={"email": email, "password": PASSWORD})
        answers.append((response.status_code, response.headers.get("Location"), _flashes(client)))
        client.get("/account")  # shows (and so clears) the flash
    assert answers[0] == answers[1] and answers[0][0] == 302
    tokens = db.session.scalars(
        select(AccountToken.new_email).where(AccountToken.purpose == "email")
    )
    assert list(tokens) == ["bram@heumen.nl"]  # no link to take over the taken address
    [notice] = [m for m in mailbox.messages() if "To: lid@utrecht.nl" in m]
    assert "voor een ander account" in notice
    assert db.session.get(User, world.outsider.id).email == "buiten@example.org"


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(app, world, mailbox):
    answers = []
    for email in (world.outsider.email, "niemand@example.org"):
        client = app.test_client()
        response = client.post("/wachtwoord-vergeten", data={"email": email})
        answers.append((response.status_code, response.headers["Location"], _flashes(client)))
    assert answers[0] == answers[1]
    assert [m for m in mailbox.messages() if "niemand@example.org" in m] == []


def test_mentions_never_tell_whether_an_address_has_an_account(world, mailbox):
    unverified = make_user("nieuw@utrecht.nl", verified=False)
    pending = make_user("wacht@heumen.nl")
    organisations.request_membership(world.heumen, actor=pending)
    db.session.commit()
    nobody = ["onbekend@nergens.nl", unverified.email, world.outsider.email, pending.email]
    # Denied alike, without a word: no account, not verified, no organisation, only pending.
    body = " ".join(f"@{address}" for address in nobody) + f" en @{world.utrecht_member.email}?"
    asked = qa.ask_question(
        qa.QuestionData(title="Wie weet iets van social return?", body=body),
        actor=world.heumen_admin,
    )
    db.session.commit()
    # Allowed: a member who may see the question is told.
    assert asked.mentions == [world.utrecht_member]
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.key == f"asked:{asked.id}")
    )
    assert list(told) == [world.utrecht_member.id]
    # A member who may not see a group-only question is passed over the same way.
    in_group = qa.ask_question(
        qa.QuestionData(title="Alleen voor kleine gemeenten?", body=f"@{world.utrecht_member.email}",
                        group=world.closed_group.slug),
        actor=world.heumen_admin,
    )  # fmt: skip
    db.session.commit()
    assert in_group.mentions == []


# --- 14: "alleen leden" means verified and an approved membership ----------------------------


def _viewers(world) -> dict:
    pending = make_user("wacht@heumen.nl")
    organisations.request_membership(world.heumen, actor=pending)
    unverified = make_user("nieuw@heumen.nl", verified=False)
    organisations.add_member(world.heumen, unverified, "member", actor=SYSTEM)
    lone_moderator = make_user("moderatie@portaal.example", moderator=True)
    db.session.commit()
    return {
        "anonymous": (None, False),
        "verified, no organisation": (world.outsider, False),
        "membership pending": (pending, False),
        "approved, e-mail unverified": (unverified, False),
        "approved member": (world.heumen_admin, True),
        "moderator without organisation": (lone_moderator, True),
        "site admin without organisation": (world.site_admin, True),
    }


def test_members_only_items_need_an_approved_membership(app, world):
    item = make_item("tender", world.utrecht, visibility="members", title="Besloten asfaltbestek")
    attachment = content.add_attachment(
        item, "bestek.docx", demo_docx("Bestek", "Asfalt"), actor=SYSTEM
    )
    db.session.commit()
    for who, (user, allowed) in _viewers(world).items():
        client = app.test_client()
        if user is not None:
            assert login(client, user.email).status_code == 302, who
        viewer = user if user is not None else AnonymousUserMixin()
        # The Python rule and its SQL twin agree.
        assert can_view_item(viewer, item) is allowed, who
        in_sql = db.session.scalar(select(Item.id).where(Item.id == item.id, *visible_to(viewer)))
        assert (in_sql is not None) is allowed, who
        # Detail page, list, search and attachment all follow it.
        assert client.get(f"/aanbestedingen/{item.slug}").status_code == (
            200 if allowed else 404
        ), who
        listing = client.get("/aanbestedingen/").get_data(as_text=True)
        assert ("Besloten asfaltbestek" in listing) is allowed, who
        found = client.get("/api/search?q=asfaltbestek").get_json()
        assert [i["title"] for i in found["items"]] == (
            ["Besloten asfaltbestek"] if allowed else []
        ), who
        download = client.get(f"/bijlagen/{attachment.id}/bestek.docx")
        assert download.status_code == (200 if allowed else 404), who
        download.close()


# --- 15: passwords of 12 characters, not common; private answers never cached ---------------


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("Kort-maar-1", "minstens 12 tekens"),
        ("qwerty123456", "veelgebruikte wachtwoorden"),
        ("QWERTY123456", "veelgebruikte wachtwoorden"),  # compared case-insensitively
        ("1q2w3e4r5t6y", "veelgebruikte wachtwoorden"),
        ("Wachtwoord123", "veelgebruikte wachtwoorden"),
        ("Lange-zin-12", None),
        ("demo-MVI-2026", None),  # the demo accounts' password
        (PASSWORD, None),  # the test factories'
    ],
)
def test_passwords_need_12_characters_and_must_not_be_common(app, password, refusal):
    if refusal is None:
        accounts.check_password_strength(password, email="eva@heumen.nl", name="Eva")
        return
    with pytest.raises(ServiceError, match=refusal):
        accounts.check_password_strength(password, email="eva@heumen.nl", name="Eva")


def test_registration_refuses_a_common_password_in_dutch(client, taxonomy):
    response = client.post("/registreren", data={
        "name": "Eva", "email": "eva@heumen.nl", "password": "qwerty123456",
        "password_repeat": "qwerty123456"})  # fmt: skip
    assert response.status_code == 400
    assert "veelgebruikte wachtwoorden" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(email="eva@heumen.nl").count() == 0


def test_what_signed_in_members_get_is_never_cached(app, client, world):
    make_item("tender", world.utrecht, title="Openbaar asfaltbestek")
    group_item = make_item("lesson", world.heumen, title="Groepsles asfalt", visibility="group",
                           group=world.closed_group.slug)  # fmt: skip
    attachment = content.add_attachment(
        group_item, "les.docx", demo_docx("Les", "Asfalt"), actor=SYSTEM
    )
    db.session.commit()
    group_file = f"/bijlagen/{attachment.id}/les.docx"
    login(client, world.heumen_admin.email)  # admin of the closed group
    for path in ("/", "/aanbestedingen/", "/api/search?q=asfalt", "/zoeken.atom?q=asfalt",
                 "/themas/circulair.atom", group_file):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
        assert "public" not in response.headers["Cache-Control"], path
        response.close()
    # Public files may still be cached for visitors; the group's file is not there for them.
    visitor = app.test_client()
    assert visitor.get(group_file).status_code == 404
    static = visitor.get("/static/css/portal.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


# --- 16: hostile input gives a 4xx, never a 500 -----------------------------------------------

HUGE = str(10**20)  # past any database integer (2**63 - 1 on SQLite)


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        if any(type(c).__name__ == "BoundedIntConverter" or c.regex == r"\d+"
               for c in rule._converters.values()):  # fmt: skip
            yield rule


def test_every_int_route_answers_404_for_an_id_past_a_database_integer(app, client, world):
    login(client, world.moderator.email)
    routes = list(_int_routes(app))
    assert len(routes) >= 17
    for rule in routes:
        values = {}
        for name, converter in rule._converters.items():
            if type(converter).__name__ == "KindConverter":
                values[name] = "aanbestedingen"
            elif name in rule.arguments and converter.regex == r"\d+":
                values[name] = HUGE
            else:
                values[name] = "x"
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m, v=values: v[m.group(1)], rule.rule)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(path, method=method)
        assert response.status_code == 404, (rule.rule, response.status_code)
    # Also past PostgreSQL's `integer` (every id column), and up to it still routes (not there).
    for number in (2**31, 2**63 - 1, 2**31 - 1):
        assert client.get(f"/bijlagen/{number}/x").status_code == 404, number
        assert client.post(f"/antwoorden/{number}/nuttig").status_code == 404, number
    assert client.get(f"/leden/{world.utrecht_member.id}").status_code == 200


def test_a_title_with_line_breaks_never_breaks_a_mail(client, world, mailbox):
    data = content.ItemData(title="Asfalt\r\nBcc: iedereen@example.org", status="published",
                            fields={"lesson": "Een les."})  # fmt: skip
    item = content.create_item(world.utrecht, kinds()["lesson"], data, actor=world.utrecht_member)
    db.session.commit()
    assert item.title == "Asfalt Bcc: iedereen@example.org"  # stored on one line
    # A title from before this rule (or a direct import) is made safe where the header is built.
    db.session.execute(update(Item).where(Item.id == item.id).values(title="Oud\r\nBcc: x@y.nl"))
    db.session.commit()
    login(client, world.outsider.email)
    response = client.post(f"/lessen/{item.slug}/melden", data={"reason": "Klopt niet."})
    assert response.status_code == 302
    [mail] = [m for m in mailbox.messages() if "To: moderator@portaal.example" in m]
    assert "Subject: Melding over 'Oud Bcc: x@y.nl'" in mail
    assert "\nBcc:" not in mail


@pytest.mark.parametrize(
    "form",
    [
        {"zoekopdracht": "q=asfalt%0D%0ASet-Cookie:+x%3Dy"},
        {"zoekopdracht": "q=asfalt\r\nSet-Cookie: x=y"},
        {"zoekopdracht": "q=asfalt", "naam": "Asfalt\r\nBcc: iedereen@example.org"},
    ],
)
def test_a_saved_search_with_line_breaks_is_refused_not_stored(client, world, form):
    login(client, world.outsider.email)
    response = client.post("/zoeken/bewaren", data=form)
    assert response.status_code == 400
    assert "geen regeleinden" in response.get_data(as_text=True)
    assert db.session.query(SavedSearch).count() == 0
    # Allowed: the same search without them is kept.
    assert client.post("/zoeken/bewaren", data={"zoekopdracht": "q=asfalt"}).status_code == 302
    assert db.session.query(SavedSearch).count() == 1


# --- 17: simultaneous requests and database errors --------------------------------------------


def test_two_creates_with_one_title_both_succeed_with_their_own_slug(world, monkeypatch):
    make_item("lesson", world.utrecht, title="Zelfde titel")
    original = content._unique_slug
    raced = []

    def free_then_taken(title, *args):
        slug = original(title, *args)
        if not raced:  # the other request inserts the same slug just after our check
            raced.append(slug)
            _meanwhile(Item.__table__, kind="lesson", slug=slug, title=title,
                       organisation_id=world.heumen.id, status="published")  # fmt: skip
        return slug

    monkeypatch.setattr(content, "_unique_slug", free_then_taken)
    data = content.ItemData(title="Zelfde titel", status="published", fields={"lesson": "Les."})
    item = content.create_item(world.utrecht, kinds()["lesson"], data, actor=world.utrecht_member)
    db.session.commit()
    assert raced == ["zelfde-titel-2"]
    assert item.slug == "zelfde-titel-3" and len(item.revisions) == 1
    slugs = db.session.scalars(select(Item.slug).where(Item.title == "Zelfde titel"))
    assert sorted(slugs) == ["zelfde-titel", "zelfde-titel-2", "zelfde-titel-3"]


@pytest.mark.parametrize(("button", "model"), [("bewaren", Bookmark), ("nuttig", UsefulMark)])
def test_a_double_click_on_a_mark_keeps_one_mark_and_no_500(
    client, world, monkeypatch, button, model
):
    from sqlalchemy.orm import Session

    item = make_item("lesson", world.utrecht)
    login(client, world.heumen_admin.email)
    original_get = Session.get

    def get(self, entity, ident, *args, **kwargs):
        found = original_get(self, entity, ident, *args, **kwargs)
        if entity is model and found is None:  # the first click lands just after our check
            with db.engine.begin() as connection:
                connection.execute(
                    model.__table__.insert().values(user_id=world.heumen_admin.id, item_id=item.id)
                )
                if model is UsefulMark:  # and counts its own mark
                    connection.execute(
                        update(Item).where(Item.id == item.id)
                        .values(useful_count=Item.useful_count + 1)
                    )  # fmt: skip
        return found

    monkeypatch.setattr(Session, "get", get)
    response = client.post(f"/lessen/{item.slug}/{button}")
    monkeypatch.undo()
    assert response.status_code == 302  # the same answer as the first click got
    assert db.session.query(model).count() == 1
    if model is UsefulMark:
        db.session.expire_all()
        assert db.session.get(Item, item.id).useful_count == 1  # counted once, by the other click
    # The next click takes the mark back, as a toggle does.
    assert client.post(f"/lessen/{item.slug}/{button}").status_code == 302
    assert db.session.query(model).count() == 0
    if model is UsefulMark:
        db.session.expire_all()
        assert db.session.get(Item, item.id).useful_count == 0


def test_a_double_click_on_follow_keeps_one_follow(client, world, monkeypatch):
    item = make_item("lesson", world.utrecht)
    login(client, world.heumen_admin.email)
    original = notifications._follow_id

    def follow_id(actor, target_type, target_id):
        found = original(actor, target_type, target_id)
        _meanwhile(Follow.__table__, user_id=actor.id, target_type=target_type, target_id=target_id)
        return found

    monkeypatch.setattr(notifications, "_follow_id", follow_id)
    response = client.post("/volgen", data={"type": "item", "id": str(item.id), "next": "/"})
    monkeypatch.undo()
    assert response.status_code == 302
    assert db.session.query(Follow).count() == 1
    # Allowed and denied as before: following needs a verified account.
    unverified = make_user("nieuw@heumen.nl", verified=False)
    db.session.commit()
    from portal.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        notifications.follow("item", item.id, actor=unverified)


def test_a_database_error_shows_the_dutch_error_page_to_a_signed_in_member(
    app, client, world, monkeypatch
):
    item = make_item("lesson", world.utrecht)
    login(client, world.heumen_admin.email)

    def failing_toggle(item, *, actor):
        db.session.add(Follow(user_id=actor.id, target_type="onzin", target_id=1))
        db.session.flush()  # refused by a check constraint: the session needs a rollback

    monkeypatch.setattr(content, "toggle_bookmark", failing_toggle)
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test
    try:
        response = client.post(f"/lessen/{item.slug}/bewaren")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in page and "Internal Server Error" not in page
    assert 'lang="nl"' in page and "Uitloggen" in page  # the full page, still signed in
    assert db.session.query(Follow).count() == 0


def test_a_create_still_fails_loudly_on_a_constraint_other_than_the_slug(world):
    data = content.ItemData(title="Met externe id", status="published", external_id="dubbel",
                            fields={"lesson": "Les."})  # fmt: skip
    content.create_item(world.utrecht, kinds()["lesson"], data, actor=SYSTEM)
    db.session.commit()
    with pytest.raises(IntegrityError):
        content.create_item(world.utrecht, kinds()["lesson"], data, actor=SYSTEM)
    db.session.rollback()


@pytest.mark.parametrize(("lang", "expected"), [("nl", "Even niet beschikbaar"),
                                                ("en", "Temporarily unavailable")])  # fmt: skip
def test_an_unreachable_database_gives_a_503_page_in_the_members_language(
    app, client, world, monkeypatch, lang, expected
):
    """Even when loading the signed-in member fails (SQLite locked past its timeout, PostgreSQL
    restarting), the styled page answers, in the language chosen, never Werkzeug's English page."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from portal.extensions import login_manager

    login(client, world.heumen_admin.email)
    with client.session_transaction() as session:
        session["lang"] = lang

    def locked(user_id):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(login_manager, "_user_callback", locked)
    response = client.get("/vragen/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert expected in page and f'lang="{lang}"' in page
    assert "Internal Server Error" not in page


def test_a_schema_fault_is_a_500_not_a_temporary_503(app, client, world, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from portal.extensions import login_manager

    login(client, world.heumen_admin.email)

    def broken(user_id):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such column: x"))

    monkeypatch.setattr(login_manager, "_user_callback", broken)
    response = client.get("/vragen/")
    assert response.status_code == 500 and "Er ging iets mis" in response.get_data(as_text=True)
