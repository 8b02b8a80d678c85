"""Atom feeds per theme, product group, region and group (public items only); group pages."""

from portal.extensions import db
from portal.groups import services as groups
from portal.permissions import SYSTEM
from portal.questions import services as qa
from tests.factories import make_item


def test_feeds_hold_public_items_only(client, world):
    make_item("tender", world.heumen, world.heumen_admin, title="Openbaar circulair asfalt",
              themes=["circulair"])  # fmt: skip
    make_item(
        "tender", world.heumen, title="Alleen leden", themes=["circulair"], visibility="members"
    )
    make_item("tender", world.heumen, title="Alleen de groep", themes=["circulair"],
              visibility="group", group=world.closed_group.slug)  # fmt: skip
    region = world.heumen.regions[0]
    for url in ("/themas/circulair.atom", "/productgroepen/asfalt-en-wegverharding.atom",
                f"/regios/{region.slug}.atom"):  # fmt: skip
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml", url
        assert "Openbaar circulair asfalt" in body, url
        assert "Alleen leden" not in body and "Alleen de groep" not in body, url
    # A closed group's feed does not follow its members (that would say who they are).
    closed = client.get(f"/werkgroepen/{world.closed_group.slug}.atom").get_data(as_text=True)
    assert "Openbaar circulair asfalt" not in closed and "Alleen de groep" not in closed
    assert client.get("/themas/bestaat-niet.atom").status_code == 404


def test_group_page_shows_discussions_to_members_only(client, world, as_user):
    groups.add_group_member(world.closed_group, world.utrecht_member, actor=SYSTEM)
    db.session.commit()
    qa.ask_question(qa.QuestionData(title="Wie koopt samen schoonmaak in?", body=".",
                                    group=world.closed_group.slug), actor=world.heumen_admin)  # fmt: skip
    db.session.commit()
    url = f"/werkgroepen/{world.closed_group.slug}"
    assert "Wie koopt samen schoonmaak in?" not in client.get(url).get_data(as_text=True)
    as_user(world.utrecht_member)
    page = client.get(url).get_data(as_text=True)
    assert "Wie koopt samen schoonmaak in?" in page and "Stel een vraag in deze werkgroep" in page
    # The follow button, named by what a click does (no aria-pressed: its name changes instead).
    assert 'name="type" value="group"' in page and '">Volgen</button>' in page
