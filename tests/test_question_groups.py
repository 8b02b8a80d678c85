"""'Gericht aan' a group of peers (larger ones, those in my region, those of my type), expanded
to organisations when the question is saved; works without JavaScript (checkboxes)."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.questions.models import Question
from tests.factories import make_organisation, make_user
from tests.test_questions import ask


def _questions() -> int:
    return db.session.scalar(select(func.count(Question.id)))


def _vraagbaak(user, organisation) -> None:
    from portal.organisations import services as organisations
    from portal.permissions import SYSTEM

    organisations.add_member(organisation, user, "member", actor=SYSTEM)
    db.session.flush()
    for membership in user.memberships:
        membership.is_vraagbaak = True
    db.session.commit()


def test_the_ask_form_offers_groups_as_checkboxes(client, world, as_user):
    as_user(world.heumen_admin)  # a small municipality in a region
    page = client.get("/vragen/nieuw").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'name="addressed_groups" value="groter"' in page
    assert "Grotere organisaties" in page
    # The region holds only Heumen so far: no empty group is offered.
    assert 'value="regio"' not in page


def test_larger_peers_are_addressed_and_told(client, world, as_user):
    middle = make_organisation("Gemeente Midden", size="50000-100000")
    smaller = make_organisation("Gemeente Klein", size="tot-20000")
    province = make_organisation("Provincie Gelderland", type_slug="provincie")
    helper = make_user("vraagbaak@midden.nl")
    _vraagbaak(helper, middle)
    as_user(world.heumen_admin)
    response = ask(client, addressed_groups=["groter"])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    asked = db.session.scalar(select(Question))
    names = {o.name for o in asked.addressed_to}
    assert names == {"Gemeente Midden", "Gemeente Utrecht"}
    assert smaller.name not in names and province.name not in names
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == helper.id))
    assert any("stelt een vraag aan u of uw organisatie" in m for m in told)


def test_region_and_type_groups_expand_to_organisations(client, world, as_user):
    region = world.heumen.regions[0]
    neighbour = make_organisation("Gemeente Mook", regions_=[region])
    water = make_organisation("Waterschap Rivierenland", type_slug="waterschap", regions_=[region])
    db.session.commit()
    as_user(world.heumen_admin)
    assert 'value="regio"' in client.get("/vragen/nieuw").get_data(as_text=True)
    response = ask(client, addressed_groups=["regio", "type"], addressed_to=[water.slug])
    assert response.status_code == 302
    asked = db.session.scalar(select(Question))
    # Region: Mook and the water board; type: Mook and Utrecht; never the asker's own.
    assert {o.slug for o in asked.addressed_to} == {neighbour.slug, water.slug, world.utrecht.slug}


def test_unknown_or_empty_groups_are_refused_and_nothing_is_written(client, world, as_user):
    as_user(world.heumen_admin)
    unknown = ask(client, addressed_groups=["planeet"])
    assert unknown.status_code == 400
    assert "Onbekende groep bij &#39;gericht aan&#39;." in unknown.get_data(as_text=True)
    assert _questions() == 0
    client.post("/uitloggen")
    as_user(world.utrecht_admin)  # Utrecht is in the largest size class
    assert 'value="groter"' not in client.get("/vragen/nieuw").get_data(as_text=True)
    empty = ask(client, addressed_groups=["groter"])
    assert empty.status_code == 400
    assert "bevat voor uw organisatie geen andere organisaties" in empty.get_data(as_text=True)
    assert _questions() == 0 and db.session.scalar(select(func.count(Notification.id))) == 0


def test_only_members_of_an_organisation_address_groups(client, world, as_user):
    as_user(world.outsider)  # no organisation: may not ask at all
    assert ask(client, addressed_groups=["groter"]).status_code == 403
    assert _questions() == 0
