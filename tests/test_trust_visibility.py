"""Trust and visibility: moderator-hidden items leave no trace, the duplicate banner, closed-group
feeds and co-ownership by consent. Allowed and denied, through HTTP and the services."""

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from portal.common import ServiceError
from portal.content import services
from portal.content.importer import import_items
from portal.content.kinds import kinds
from portal.content.models import CoOwnerInvitation, Item, Report
from portal.extensions import db
from portal.moderation import services as moderation
from portal.moderation.models import ModerationLog
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from portal.organisations import services as organisations
from portal.permissions import SYSTEM, PermissionDenied
from portal.questions import services as qa
from portal.seeding import demo_docx
from tests.factories import make_item, make_user

HIDDEN_TITLE = "Zonnepanelen op gemeentelijk vastgoed"


def hidden_lesson(client, world, as_user, note="Bevat persoonsgegevens van een inschrijver."):
    """A public lesson by utrecht_member with an attachment, hidden by a moderator from the queue."""
    lesson = make_item("lesson", world.utrecht, world.utrecht_member, title=HIDDEN_TITLE)
    attachment = services.add_attachment(
        lesson, "zon.docx", demo_docx("Zon", "Tekst over panelen"), actor=world.utrecht_member
    )
    services.report_item(lesson, "Persoonsgegevens", actor=world.outsider)
    db.session.commit()
    report = db.session.scalar(select(Report).where(Report.item_id == lesson.id))
    as_user(world.moderator)
    hide = client.post(f"/moderatie/meldingen/{report.id}/hide", data={"note": note})
    assert hide.status_code == 302
    client.post("/uitloggen")
    item = db.session.get(Item, lesson.id)
    # Hidden is its own mark: the status stays what the editors made it.
    assert item.hidden_at is not None and item.status == "published"
    return item, attachment


def sign_in(client, as_user, world, who):
    client.post("/uitloggen")
    if who is not None:
        as_user(getattr(world, who))


# --- 2. hidden means hidden ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (None, False),
        ("outsider", False),
        ("heumen_admin", False),
        ("utrecht_member", True),  # the author
        ("utrecht_editor", True),
        ("moderator", True),
    ],
)
def test_hidden_item_is_404_except_to_moderators_and_its_editors(client, world, as_user, who, sees):
    item, attachment = hidden_lesson(client, world, as_user)
    sign_in(client, as_user, world, who)
    page = client.get(f"/lessen/{item.slug}")
    download = client.get(f"/bijlagen/{attachment.id}/zon.docx")
    download.close()  # the file stays open until the response is closed
    if not sees:
        assert page.status_code == 404 and download.status_code == 404
        assert client.get(f"/lessen/{item.slug}/versies").status_code == 404
        return
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and download.status_code == 200
    assert "Verborgen door een moderator op" in body
    assert "Bevat persoonsgegevens van een inschrijver." in body
    assert "Publiceren" not in body


def test_hidden_item_leaves_lists_links_feeds_and_notices(client, world, as_user):
    tender = make_item("tender", world.heumen, world.heumen_admin, title="Zonne-energie sporthal")
    notifications.follow("organisation", world.utrecht.id, actor=world.heumen_admin)
    db.session.commit()
    item, _attachment = hidden_lesson(client, world, as_user)
    services.link_items(item, tender, actor=SYSTEM)
    db.session.commit()
    region = world.heumen.regions[0]
    pages = [
        "/", "/lessen/", "/themas/circulair", "/organisaties/gemeente-utrecht",
        f"/aanbestedingen/{tender.slug}", "/themas/circulair.atom",
        "/productgroepen/asfalt-en-wegverharding.atom", "/zoeken.atom?q=zonnepanelen",
        f"/regios/{region.slug}.atom",
    ]  # fmt: skip
    for who in (None, "heumen_admin", "utrecht_member", "moderator"):
        sign_in(client, as_user, world, who)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            assert HIDDEN_TITLE not in response.get_data(as_text=True), (who, url)
    sign_in(client, as_user, world, "heumen_admin")
    assert "0 items" in client.get("/lessen/").get_data(as_text=True)
    # The follower was told when it was published; the notice and its count are gone now.
    assert db.session.scalar(select(Notification).where(Notification.item_id == item.id))
    assert HIDDEN_TITLE not in client.get("/meldingen").get_data(as_text=True)
    assert "count-badge" not in client.get("/lessen/").get_data(as_text=True)


@pytest.mark.parametrize("who", [None, "heumen_admin", "utrecht_member", "moderator"])
def test_hidden_item_leaves_search_facets_and_suggestions(client, world, as_user, who):
    make_item("tender", world.heumen, world.heumen_admin, title="Zonnepanelen voor sporthallen")
    hidden_lesson(client, world, as_user)
    sign_in(client, as_user, world, who)
    data = client.get("/api/search?q=zonnepanelen").get_json()
    assert data["total"] == 1
    assert [i["title"] for i in data["items"]] == ["Zonnepanelen voor sporthallen"]
    assert {f["value"] for f in data["facets"]["soort"]} == {"tender"}
    assert all(f["count"] == 1 for rows in data["facets"].values() for f in rows)
    assert "gemeente-utrecht" not in {f["value"] for f in data["facets"].get("organisatie", [])}
    page = client.get("/zoeken?q=zonnepanelen").get_data(as_text=True)
    assert HIDDEN_TITLE not in page and "1 resultaat" in page and "Geleerde les" not in page
    suggestions = client.get("/zoeken/suggesties?q=zonnepanelen").get_json()["suggestions"]
    assert HIDDEN_TITLE not in [s["label"] for s in suggestions]


def test_author_cannot_republish_or_unhide_a_hidden_item(client, world, as_user):
    item, _attachment = hidden_lesson(client, world, as_user)
    as_user(world.utrecht_member)
    assert (
        client.post(f"/lessen/{item.slug}/status", data={"status": "archived"}).status_code == 302
    )
    again = client.post(
        f"/lessen/{item.slug}/status", data={"status": "published"}, follow_redirects=True
    )
    assert "alleen een moderator kan het terugzetten" in again.get_data(as_text=True)
    item = db.session.get(Item, item.id)
    assert item.status == "archived" and item.hidden_at is not None
    data = services.ItemData(title="Verbeterde titel", status="published",
                             fields={"lesson": "Een les.", "phase": "specificeren"})  # fmt: skip
    with pytest.raises(ServiceError) as refused:
        services.update_item(item, data, actor=world.utrecht_member)
    assert refused.value.status == 409
    db.session.rollback()
    data.status = "archived"
    services.update_item(item, data, actor=world.utrecht_member)  # editing is allowed ...
    db.session.commit()
    assert db.session.get(Item, item.id).hidden_at is not None  # ... and keeps it hidden
    for actor in (world.utrecht_member, world.utrecht_editor, world.heumen_admin):
        with pytest.raises(PermissionDenied):
            moderation.restore_item(item, actor=actor)
    client.post("/uitloggen")
    assert client.get(f"/lessen/{item.slug}").status_code == 404


def test_restore_from_the_queue_and_every_step_is_logged(client, world, as_user):
    item, _attachment = hidden_lesson(client, world, as_user, note="Tijdelijk verborgen.")
    assert client.get("/moderatie?toon=verborgen").status_code == 302  # to the login
    as_user(world.utrecht_editor)
    assert client.get("/moderatie?toon=verborgen").status_code == 403
    assert client.post(f"/moderatie/items/{item.id}/terugzetten").status_code == 403
    sign_in(client, as_user, world, "moderator")
    queue = client.get("/moderatie?toon=verborgen").get_data(as_text=True)
    assert HIDDEN_TITLE in queue and f"/moderatie/items/{item.id}/terugzetten" in queue
    assert "Tijdelijk verborgen." in queue
    assert "Verborgen items" in client.get("/moderatie").get_data(as_text=True)
    restored = client.post(f"/moderatie/items/{item.id}/terugzetten", data={"note": "Opgelost."})
    assert restored.status_code == 302
    assert HIDDEN_TITLE not in client.get("/moderatie?toon=verborgen").get_data(as_text=True)
    entries = db.session.scalars(
        select(ModerationLog).where(ModerationLog.item_id == item.id).order_by(ModerationLog.id)
    ).all()
    assert [(e.action, e.moderator_id, e.answer_id) for e in entries] == [
        ("hide", world.moderator.id, None),
        ("restore", world.moderator.id, None),
    ]
    assert entries[1].note == "Opgelost."
    client.post("/uitloggen")
    assert client.get(f"/lessen/{item.slug}").status_code == 200
    assert HIDDEN_TITLE in client.get("/lessen/").get_data(as_text=True)


def test_moderators_hide_an_item_from_its_page(client, world, as_user):
    item = make_item("lesson", world.utrecht, world.utrecht_member, title=HIDDEN_TITLE)
    url = f"/moderatie/items/{item.id}/verbergen"
    assert client.post(url).status_code == 302  # to the login
    for who in ("utrecht_member", "utrecht_editor"):
        sign_in(client, as_user, world, who)
        assert client.post(url, data={"reason": "Zelf"}).status_code == 403
    assert db.session.get(Item, item.id).hidden_at is None
    sign_in(client, as_user, world, "moderator")
    assert "Verbergen (moderator)" in client.get(f"/lessen/{item.slug}").get_data(as_text=True)
    assert client.post(url, data={"reason": "Auteursrecht"}).status_code == 302
    item = db.session.get(Item, item.id)
    assert item.hidden_at is not None and item.hidden_reason == "Auteursrecht"
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.item_id == item.id))
    assert (entry.action, entry.note) == ("hide", "Auteursrecht")
    with pytest.raises(PermissionDenied):
        moderation.hide_item(item, actor=AnonymousUserMixin())


def test_hidden_answers_leave_the_page_search_and_notices(client, world, as_user):
    question = qa.ask_question(qa.QuestionData(title="Wie heeft ervaring met warmtepompen?",
                                               body="."), actor=world.heumen_admin)  # fmt: skip
    answer = qa.answer_question(
        question, "Vraag het de warmtepompfluisteraar.", actor=world.utrecht_member
    )
    db.session.commit()
    as_user(world.utrecht_editor)
    client.post(f"/antwoorden/{answer.id}/melden", data={"reason": "Onzin"})
    report = db.session.scalar(select(Report).where(Report.answer_id == answer.id))
    sign_in(client, as_user, world, "moderator")
    assert client.post(f"/moderatie/meldingen/{report.id}/hide").status_code == 302
    moderator_page = client.get(f"/vragen/{question.slug}").get_data(as_text=True)
    assert (
        "warmtepompfluisteraar" in moderator_page and "verborgen door moderator" in moderator_page
    )
    hidden_list = client.get("/moderatie?toon=verborgen").get_data(as_text=True)
    assert f"/moderatie/antwoorden/{answer.id}/terugzetten" in hidden_list
    for who in (None, "heumen_admin", "utrecht_member"):
        sign_in(client, as_user, world, who)
        assert "warmtepompfluisteraar" not in client.get(f"/vragen/{question.slug}").get_data(
            as_text=True
        )
        assert client.get("/api/search?q=warmtepompfluisteraar").get_json()["total"] == 0
    sign_in(client, as_user, world, "heumen_admin")  # the asker was told of the answer
    assert "beantwoordde" not in client.get("/meldingen").get_data(as_text=True)
    sign_in(client, as_user, world, "utrecht_editor")
    answer_restore = f"/moderatie/antwoorden/{answer.id}/terugzetten"
    assert client.post(answer_restore).status_code == 403
    sign_in(client, as_user, world, "moderator")
    assert client.post(answer_restore).status_code == 302
    assert db.session.get(type(answer), answer.id).hidden_at is None


# --- 9. the duplicate banner obeys can_view_item ---------------------------------------------


def test_duplicate_banner_names_only_a_question_the_viewer_may_see(client, world, as_user):
    secret = qa.ask_question(qa.QuestionData(title="Geheime groepsvraag over schoonmaak", body=".",
                                             group=world.closed_group.slug), actor=world.heumen_admin)  # fmt: skip
    public = qa.ask_question(
        qa.QuestionData(title="Wie koopt schoonmaak samen in?", body="."),
        actor=world.utrecht_member,
    )
    qa.mark_duplicate(public, secret.slug, actor=world.moderator)
    db.session.commit()
    for who in (None, "outsider", "utrecht_member"):
        sign_in(client, as_user, world, who)
        page = client.get(f"/vragen/{public.slug}").get_data(as_text=True)
        assert "Geheime groepsvraag" not in page and secret.slug not in page, who
        assert "gemarkeerd als dubbel van een andere vraag" in page, who
    for who in ("heumen_admin", "moderator"):
        sign_in(client, as_user, world, who)
        page = client.get(f"/vragen/{public.slug}").get_data(as_text=True)
        assert "Geheime groepsvraag over schoonmaak" in page and f"/vragen/{secret.slug}" in page
    # Its version history names the other question only to who may see it, too.
    sign_in(client, as_user, world, "utrecht_member")
    history = client.get(f"/vragen/{public.slug}/versies")
    text = history.get_data(as_text=True)
    assert (
        history.status_code == 200 and secret.slug not in text and "Geheime groepsvraag" not in text
    )
    assert "Dubbel van: (een item dat u niet kunt zien)" in text
    sign_in(client, as_user, world, "heumen_admin")  # the history names it by its title
    text = client.get(f"/vragen/{public.slug}/versies").get_data(as_text=True)
    assert "Dubbel van: Geheime groepsvraag over schoonmaak" in text


# --- 11. a closed group's feed does not disclose its members ---------------------------------


def test_closed_group_feed_and_page_do_not_disclose_members(client, world, as_user):
    make_item("tender", world.heumen, world.heumen_admin, title="Openbare Heumense aanbesteding")
    make_item("tender", world.utrecht, world.utrecht_admin, title="Openbare Utrechtse aanbesteding")
    closed = world.closed_group.slug  # heumen_admin is in it; utrecht_admin in the open one
    feed = client.get(f"/werkgroepen/{closed}.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert "Openbare Heumense aanbesteding" not in feed.get_data(as_text=True)
    for who in (None, "outsider"):
        sign_in(client, as_user, world, who)
        page = client.get(f"/werkgroepen/{closed}").get_data(as_text=True)
        assert "Femke Willems" not in page and "Openbare Heumense aanbesteding" not in page
        assert "Openbare Heumense" not in client.get(f"/werkgroepen/{closed}/agenda.ics").get_data(
            as_text=True
        )
    # An open group shows its members anyway, so its feed may follow what they publish.
    open_feed = client.get(f"/werkgroepen/{world.open_group.slug}.atom").get_data(as_text=True)
    assert "Openbare Utrechtse aanbesteding" in open_feed


# --- 12. co-ownership by consent --------------------------------------------------------------


def _lesson_data(co_owners, title="Samen ingekochte schoonmaak"):
    return services.ItemData(title=title, status="published", co_owners=co_owners,
                             fields={"lesson": "Een les.", "phase": "specificeren"})  # fmt: skip


def test_naming_an_organisation_invites_it_and_its_editors_are_told(client, world, as_user):
    lesson = services.create_item(world.utrecht, kinds()["lesson"],
                                  _lesson_data([world.heumen]), actor=world.utrecht_editor)  # fmt: skip
    db.session.commit()
    assert lesson.co_owners == []
    invitation = db.session.get(CoOwnerInvitation, (lesson.id, world.heumen.id))
    assert invitation is not None and invitation.invited_by_id == world.utrecht_editor.id
    told = db.session.scalars(select(Notification.user_id)).all()
    assert told == [world.heumen_admin.id]
    page = client.get(f"/lessen/{lesson.slug}").get_data(as_text=True)
    assert "Gemeente Heumen" not in page
    as_user(world.heumen_admin)
    assert client.get(f"/lessen/{lesson.slug}/bewerken").status_code == 403
    assert "mede-eigenaar" in client.get("/meldingen").get_data(as_text=True)
    # An editor of both organisations gives the consent themselves.
    both = make_user("beide@heumen.nl", name="Kim Beide")
    organisations.add_member(world.utrecht, both, "editor", actor=SYSTEM)
    organisations.add_member(world.heumen, both, "editor", actor=SYSTEM)
    direct = services.create_item(world.utrecht, kinds()["lesson"],
                                  _lesson_data([world.heumen], "Direct gedeeld"), actor=both)  # fmt: skip
    db.session.commit()
    assert direct.co_owners == [world.heumen]
    assert db.session.get(CoOwnerInvitation, (direct.id, world.heumen.id)) is None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (None, False),
        ("outsider", False),
        ("utrecht_editor", False),  # the inviter
        ("moderator", False),  # consent is the organisation's own
        ("heumen_member", False),  # a member, not an editor
        ("heumen_admin", True),
    ],
)
def test_only_the_invited_organisations_editors_accept(client, world, as_user, who, allowed):
    heumen_member = make_user("lid@heumen.nl", name="Piet Lid")
    organisations.add_member(world.heumen, heumen_member, "member", actor=SYSTEM)
    world.heumen_member = heumen_member
    lesson = services.create_item(world.utrecht, kinds()["lesson"],
                                  _lesson_data([world.heumen]), actor=world.utrecht_editor)  # fmt: skip
    db.session.commit()
    sign_in(client, as_user, world, who)
    page = client.get("/organisaties/gemeente-heumen").get_data(as_text=True)
    assert ("Uitnodigingen als mede-eigenaar" in page) is allowed
    assert ("Samen ingekochte schoonmaak" in page) is allowed
    response = client.post(f"/organisaties/gemeente-heumen/uitnodigingen/{lesson.id}/accepteren")
    if who is None:
        assert response.status_code == 302 and "/inloggen" in response.location
    else:
        assert response.status_code == (302 if allowed else 403)
    lesson = db.session.get(Item, lesson.id)
    assert (world.heumen in lesson.co_owners) is allowed
    assert (db.session.get(CoOwnerInvitation, (lesson.id, world.heumen.id)) is None) is allowed
    invitation = CoOwnerInvitation(item=lesson, organisation=world.heumen)
    actor = AnonymousUserMixin() if who is None else getattr(world, who)
    if not allowed:
        for answer in (services.accept_co_ownership, services.decline_co_ownership):
            with pytest.raises(PermissionDenied):
                answer(invitation, actor=actor)
    else:
        assert "Gemeente Heumen" in client.get(f"/lessen/{lesson.slug}").get_data(as_text=True)
        assert client.get(f"/lessen/{lesson.slug}/bewerken").status_code == 200


def test_declining_leaves_the_item_alone_and_removal_needs_no_consent(client, world, as_user):
    lesson = services.create_item(world.utrecht, kinds()["lesson"],
                                  _lesson_data([world.heumen]), actor=world.utrecht_editor)  # fmt: skip
    db.session.commit()
    as_user(world.heumen_admin)
    declined = client.post(f"/organisaties/gemeente-heumen/uitnodigingen/{lesson.id}/afwijzen")
    assert declined.status_code == 302
    assert db.session.get(CoOwnerInvitation, (lesson.id, world.heumen.id)) is None
    assert db.session.get(Item, lesson.id).co_owners == []
    again = client.post(f"/organisaties/gemeente-heumen/uitnodigingen/{lesson.id}/accepteren")
    assert again.status_code == 404  # nothing left to accept
    # The import (an operator's command) names co-owners directly ...
    line = ('{"kind": "lesson", "external_id": "les-samen", "title": "Geïmporteerde les", '
            '"organisation": "Gemeente Utrecht", "co_owners": ["Gemeente Heumen"], '
            '"fields": {"lesson": "Een les.", "phase": "specificeren"}}')  # fmt: skip
    report = import_items([line])
    db.session.commit()
    assert report.created == 1 and not report.errors
    imported = db.session.scalar(select(Item).where(Item.external_id == "les-samen"))
    assert imported.co_owners == [world.heumen]
    # ... any of its editors removes one without asking, and adding it back is an invitation.
    services.update_item(
        imported, _lesson_data([], "Geïmporteerde les"), actor=world.utrecht_editor
    )
    db.session.commit()
    assert db.session.get(Item, imported.id).co_owners == []
    services.update_item(
        imported, _lesson_data([world.heumen], "Geïmporteerde les"), actor=world.utrecht_editor
    )
    db.session.commit()
    imported = db.session.get(Item, imported.id)
    assert imported.co_owners == [] and imported.invited_co_owners == [world.heumen]
    # Leaving it out of the next edit withdraws the invitation.
    services.update_item(
        imported, _lesson_data([], "Geïmporteerde les"), actor=world.utrecht_editor
    )
    db.session.commit()
    assert db.session.get(CoOwnerInvitation, (imported.id, world.heumen.id)) is None


def test_group_items_need_a_verified_account_in_python_as_in_sql(world):
    """One rule: the detail page (can_view_item) and every list (visible_to) agree."""
    from sqlalchemy import select

    from portal.content.models import Item
    from portal.content.queries import visible_to
    from portal.groups.models import GroupMembership
    from portal.permissions import can_view_item
    from tests.factories import make_user

    item = make_item("tender", world.utrecht, title="Alleen voor de groep",
                     visibility="group", group=world.closed_group.slug)  # fmt: skip
    unverified = make_user(verified=False)
    verified = make_user()
    for user in (unverified, verified):
        db.session.add(GroupMembership(user_id=user.id, group_id=world.closed_group.id,
                                       status="approved"))  # fmt: skip
    db.session.commit()

    def listed(user) -> bool:
        return item.id in db.session.scalars(select(Item.id).where(*visible_to(user))).all()

    assert can_view_item(verified, item) and listed(verified)
    assert not can_view_item(unverified, item) and not listed(unverified)


def test_inviting_a_co_owner_by_the_edit_form_says_so_and_makes_no_version(client, world, as_user):
    from tests.test_trust_forms import submitted

    lesson = services.create_item(world.utrecht, kinds()["lesson"], _lesson_data([]),
                                  actor=world.utrecht_editor)  # fmt: skip
    db.session.commit()
    versions = len(lesson.revisions)
    as_user(world.utrecht_editor)
    url = f"/lessen/{lesson.slug}/bewerken"
    form = submitted(client.get(url).get_data(as_text=True), co_owners=[world.heumen.slug])
    page = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "uitnodigingen als mede-eigenaar zijn bijgewerkt" in page
    assert "opgeslagen als versie" not in page
    db.session.expire_all()
    assert len(db.session.get(Item, lesson.id).revisions) == versions
    assert db.session.get(CoOwnerInvitation, (lesson.id, world.heumen.id)) is not None
