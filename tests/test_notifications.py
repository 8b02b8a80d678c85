"""Follows and notifications: who is told, digests sent once, unsubscribe, access both ways."""

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications import services as notify
from portal.notifications.digest import send_digests
from portal.notifications.fanout import unsubscribe_token
from portal.notifications.models import Follow, Notification
from portal.questions import services as qa
from portal.taxonomy.models import Theme
from tests.factories import make_item


def theme(slug: str) -> Theme:
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


def notices(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_followers_of_a_theme_hear_of_new_items_they_may_see(world):
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    notify.follow("theme", theme("circulair").id, actor=world.outsider)
    db.session.commit()
    make_item("tender", world.heumen, title="Circulair asfalt in Heumen", themes=["circulair"])
    make_item("tender", world.heumen, title="Groepsgeheim", themes=["circulair"],
              visibility="group", group=world.closed_group.slug)  # fmt: skip
    make_item("tender", world.heumen, title="Concept", themes=["circulair"], status="draft")
    messages = [n.message for n in notices(world.utrecht_member)]
    assert len(messages) == 1 and "Circulair asfalt in Heumen" in messages[0]
    assert [n.message for n in notices(world.outsider)] == messages  # public item: also outsiders
    assert not any("Groepsgeheim" in n.message for n in notices(world.outsider))


def test_the_author_is_not_told_of_their_own_item_and_never_twice(world):
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    item = make_item("tender", world.utrecht, world.utrecht_member, title="Eigen werk")
    assert notices(world.utrecht_member) == []
    from portal.notifications.fanout import item_published

    item_published(item)  # again: the key keeps it single
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_editor)
    item_published(item)
    item_published(item)
    db.session.commit()
    assert len(notices(world.utrecht_editor)) == 1


def test_daily_digest_is_sent_once_with_an_unsubscribe_link(app, world, mailbox):
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    make_item("tender", world.heumen, title="Circulair meubilair Heumen", themes=["circulair"])
    assert mailbox.messages() == []  # daily: nothing yet
    assert send_digests("daily") == (1, 1)
    db.session.commit()
    mails = mailbox.messages()
    assert len(mails) == 1 and "Circulair meubilair Heumen" in mails[0]
    assert "List-Unsubscribe:" in mails[0] and "/afmelden/" in mails[0]
    assert send_digests("daily") == (0, 0)  # a second run sends nothing
    db.session.commit()
    assert len(mailbox.messages()) == 1
    assert send_digests("weekly") == (0, 0)


def test_immediate_members_get_one_mail_and_no_digest(world, mailbox):
    world.utrecht_member.notify_email = "immediate"
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    make_item("tender", world.heumen, title="Direct bericht", themes=["circulair"])
    assert len(mailbox.messages()) == 1
    assert send_digests("daily") == (0, 0)


def test_digest_leaves_out_what_became_hidden(world, mailbox):
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    item = make_item("tender", world.heumen, title="Straks verborgen", themes=["circulair"])
    item.visibility, item.group = "group", world.closed_group  # now only for that group
    db.session.commit()
    assert send_digests("daily") == (0, 0)
    assert mailbox.messages() == []


def test_unsubscribe_by_token_and_bad_tokens(client, world):
    token = unsubscribe_token(world.utrecht_member)
    assert client.get(f"/afmelden/{token}").status_code == 200
    assert client.post(f"/afmelden/{token}").status_code == 200  # one click, no CSRF form needed
    assert (
        db.session.get(type(world.utrecht_member), world.utrecht_member.id).notify_email == "never"
    )
    forged = client.get(f"/afmelden/{token[:-3]}abc")
    assert forged.status_code == 400 and "ongeldig" in forged.get_data(as_text=True)
    other = unsubscribe_token(world.utrecht_editor)
    world.utrecht_editor.email = "nieuw-adres@utrecht.nl"  # the token was for the old address
    db.session.commit()
    assert client.post(f"/afmelden/{other}").status_code == 400
    assert world.utrecht_editor.notify_email == "daily"


def test_notifications_page_unread_count_and_mark_read(client, world, as_user):
    notify.follow("theme", theme("circulair").id, actor=world.utrecht_member)
    db.session.commit()
    make_item("tender", world.heumen, title="Iets nieuws", themes=["circulair"])
    as_user(world.utrecht_member)
    page = client.get("/meldingen").get_data(as_text=True)
    assert "Iets nieuws" in page and 'class="count-badge">1' in page
    notice = notices(world.utrecht_member)[0]
    client.post("/uitloggen")
    as_user(world.utrecht_editor)
    assert client.post(f"/meldingen/{notice.id}/gelezen").status_code == 403
    client.post("/uitloggen")
    as_user(world.utrecht_member)
    assert client.post(f"/meldingen/{notice.id}/gelezen").status_code == 302
    assert 'class="count-badge"' not in client.get("/meldingen").get_data(as_text=True)


def test_settings_follow_buttons_and_bad_input(client, world, as_user):
    as_user(world.utrecht_member)
    assert client.post("/account/meldingen", data={"frequency": "elk-uur"}).status_code == 400
    ok = client.post("/account/meldingen",
                     data={"frequency": "weekly", "vraagbaak": [str(world.utrecht.id)]})  # fmt: skip
    assert ok.status_code == 302
    assert world.utrecht_member.notify_email == "weekly"
    assert world.utrecht_member.memberships[0].is_vraagbaak
    circular = theme("circulair")
    assert client.post("/volgen", data={"type": "theme", "id": str(circular.id)}).status_code == 302
    assert client.post("/volgen", data={"type": "planeet", "id": "1"}).status_code == 400
    for bad_id in ("²", "99999999999", "-1", ""):  # "²".isdigit() is True, int() refuses it
        assert client.post("/volgen", data={"type": "theme", "id": bad_id}).status_code == 400
    missing = client.post("/volgen", data={"type": "theme", "id": "999999"}, follow_redirects=True)
    assert "Dit kunt u niet volgen." in missing.get_data(as_text=True)
    hidden = make_item("tender", world.heumen, title="Intern", visibility="group",
                       group="kleine-gemeenten-samen")  # fmt: skip
    client.post("/volgen", data={"type": "item", "id": str(hidden.id)})
    assert db.session.scalar(select(func.count(Follow.id)).where(Follow.target_type == "item")) == 0
    page = client.get("/account/meldingen").get_data(as_text=True)
    assert "Circulair" in page
    client.post("/volgen", data={"type": "theme", "id": str(circular.id), "stop": "1"})
    assert "Niet meer volgen" not in client.get("/account/meldingen").get_data(as_text=True)
    client.post("/uitloggen")
    assert client.post("/volgen", data={"type": "theme", "id": str(circular.id)}).status_code == 302
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_question_addressed_to_an_organisation_reaches_its_vraagbaak_only(world):
    world.utrecht_member.memberships[0].is_vraagbaak = True
    db.session.commit()
    qa.ask_question(
        qa.QuestionData(title="Hoe doet Utrecht social return?", body="?",
                        addressed_to=[world.utrecht.slug]),
        actor=world.heumen_admin,
    )  # fmt: skip
    db.session.commit()
    assert len(notices(world.utrecht_member)) == 1
    assert notices(world.utrecht_admin) == []
    assert re.search("stelt een vraag", notices(world.utrecht_member)[0].message)


def test_notices_are_stored_in_dutch_whatever_the_actors_language(world):
    """One notice text serves every recipient: an English-speaking actor does not make it English."""
    from flask_babel import force_locale

    asked = qa.ask_question(qa.QuestionData(title="Hoe meet ik CO2?", body="."),
                            actor=world.heumen_admin)  # fmt: skip
    db.session.commit()
    with force_locale("en"):
        qa.answer_question(asked, "Met de ladder.", actor=world.utrecht_member)
    db.session.commit()
    message = db.session.scalar(
        select(Notification.message).where(Notification.user_id == world.heumen_admin.id)
    )
    assert message == f"{world.utrecht_member.name} beantwoordde de vraag 'Hoe meet ik CO2?'"


def test_digest_leaves_out_a_moderator_hidden_item_even_for_its_editors(world, mailbox):
    from portal.moderation.services import hide_item

    notify.follow("theme", theme("circulair").id, actor=world.utrecht_editor)
    db.session.commit()
    item = make_item("tender", world.utrecht, world.utrecht_member, title="Straks verborgen",
                     themes=["circulair"])  # fmt: skip
    assert len(db.session.scalars(select(Notification)).all()) == 1
    hide_item(item, "Bevat persoonsgegevens", actor=world.moderator)
    db.session.commit()
    assert send_digests("daily") == (0, 0)  # the editor may open it, but no notice carries it
    assert mailbox.messages() == []
