"""Following any single item: the button says what a click does; followers hear of new
versions, new links and new answers, through the notices and the outbox."""

import pytest
from sqlalchemy import func, select

from portal.content import services
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Follow, Notification
from portal.outbox.models import OutboxMessage
from portal.permissions import SYSTEM
from portal.questions import services as qa
from tests.factories import make_item


def _notices(user) -> list[str]:
    return list(
        db.session.scalars(select(Notification.message).where(Notification.user_id == user.id))
    )


def _follows() -> int:
    return db.session.scalar(select(func.count(Follow.id)))


@pytest.mark.parametrize("kind, url", [("tender", "aanbestedingen"), ("criterion", "criteria"),
                                       ("lesson", "lessen"), ("consultation", "marktconsultaties")])  # fmt: skip
def test_every_item_kind_can_be_followed_and_the_button_says_what_it_does(
    client, world, as_user, kind, url
):
    item = make_item(kind, world.utrecht)
    as_user(world.heumen_admin)
    page = client.get(f"/{url}/{item.slug}").get_data(as_text=True)
    assert f'name="type" value="item"><input type="hidden" name="id" value="{item.id}"' in page
    assert '">Volgen</button>' in page and "Niet meer volgen" not in page
    response = client.post(
        "/volgen", data={"type": "item", "id": str(item.id), "next": f"/{url}/{item.slug}"}
    )
    assert response.status_code == 302 and _follows() == 1
    page = client.get(f"/{url}/{item.slug}").get_data(as_text=True)
    # The state as text; the button's own name is the action a click takes.
    assert '<span class="follow-state">✓ Volgend</span>' in page
    assert '">Niet meer volgen</button>' in page and 'name="stop" value="1"' in page
    assert "aria-pressed" not in page
    client.post("/volgen", data={"type": "item", "id": str(item.id), "stop": "1"})
    assert _follows() == 0


def test_an_item_one_may_not_see_cannot_be_followed(client, world, as_user):
    item = make_item("lesson", world.heumen, visibility="group", group=world.closed_group.slug)
    as_user(world.utrecht_editor)  # not in the closed group
    assert client.get(f"/lessen/{item.slug}").status_code == 404
    response = client.post(
        "/volgen", data={"type": "item", "id": str(item.id)}, follow_redirects=True
    )
    assert "Dit kunt u niet volgen." in response.get_data(as_text=True) and _follows() == 0
    assert client.post("/volgen", data={"type": "item", "id": "x"}).status_code == 400
    assert _follows() == 0
    client.post("/uitloggen")
    as_user(world.heumen_admin)  # in the group: allowed
    client.post("/volgen", data={"type": "item", "id": str(item.id)})
    assert _follows() == 1


def test_followers_hear_of_a_new_version_by_notice_and_mail(world):
    item = make_item("tender", world.utrecht, title="Asfalt met MKI")
    notifications.follow("item", item.id, actor=world.heumen_admin)
    world.heumen_admin.notify_email = "immediate"
    db.session.commit()
    mails = select(func.count(OutboxMessage.id)).where(OutboxMessage.topic == "mail")
    mails_before = db.session.scalar(mails)
    data = services.ItemData(**{**services.snapshot(item), "body": "Nieuwe aanpak."} | {
        "fields": item.kind_fields(), "co_owners": [], "group": None,
    })  # fmt: skip
    assert services.update_item(item, data, actor=world.utrecht_editor)
    db.session.commit()
    assert _notices(world.heumen_admin) == ["Nieuwe versie van 'Asfalt met MKI'"]
    assert _notices(world.utrecht_member) == []  # does not follow it
    assert _notices(world.utrecht_editor) == []  # made the change
    assert db.session.scalar(mails) == mails_before + 1  # by e-mail after commit, via the outbox
    # An unchanged save is no new version: nothing more.
    services.update_item(item, data, actor=world.utrecht_editor)
    db.session.commit()
    assert len(_notices(world.heumen_admin)) == 1


def test_followers_hear_of_archiving_and_new_links_but_not_of_drafts(world):
    tender = make_item("tender", world.utrecht, title="Catering")
    draft = make_item("lesson", world.utrecht, title="Nog een concept", status="draft")
    notifications.follow("item", tender.id, actor=world.heumen_admin)
    notifications.follow("item", draft.id, actor=world.utrecht_editor)  # may edit the draft
    db.session.commit()
    criterion = make_item("criterion", world.heumen, title="Eiwitcriterium")
    services.link_items(tender, criterion, actor=world.utrecht_editor)
    db.session.commit()
    assert _notices(world.heumen_admin) == ["Er is kennis gekoppeld aan 'Catering'"]
    services.set_status(tender, "archived", actor=world.utrecht_editor)
    db.session.commit()
    assert "Nieuwe versie van 'Catering'" in _notices(world.heumen_admin)
    # A draft's new version goes to nobody (no reader had it yet).
    services.set_status(draft, "archived", actor=SYSTEM)
    db.session.commit()
    assert _notices(world.utrecht_editor) == []


def test_followers_of_a_question_hear_of_new_answers(world):
    question = qa.ask_question(
        qa.QuestionData(title="Hoe weeg ik MKI in een gunning?", body="."), actor=world.heumen_admin
    )
    db.session.commit()
    notifications.follow("item", question.id, actor=world.utrecht_member)
    db.session.commit()
    qa.answer_question(question, "Met een fictieve korting.", actor=world.utrecht_editor)
    db.session.commit()
    assert any("beantwoordde" in m for m in _notices(world.utrecht_member))
