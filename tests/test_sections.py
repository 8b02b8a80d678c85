"""Pages of lower packages show what higher packages add to them (portal/sections.py): a region
its organisations and groups, a theme its knowledge, the account page its member's things."""

from __future__ import annotations

from portal.extensions import db
from portal.sections import add_section, sections_for
from tests.factories import make_item


def test_a_region_page_lists_its_organisations_and_groups(client, world):
    region = world.heumen.regions[0]
    world.closed_group.regions = [region]
    db.session.commit()
    page = client.get(f"/regios/{region.slug}").get_data(as_text=True)
    assert "Gemeente Heumen" in page and "Gemeente Utrecht" not in page
    assert "Kleine gemeenten samen" in page and "Catering en eiwittransitie" not in page
    assert page.index('id="orgs"') < page.index('id="groepen"')  # in the sections' order
    assert f'href="/regios/{region.slug}.atom"' in page
    assert client.get(f"/regios/{region.slug}.atom").status_code == 200


def test_a_theme_page_shows_the_visible_knowledge_on_it(client, world):
    make_item("tender", world.utrecht, title="Eiwittransitie in de kantine", themes=["circulair"])
    make_item("lesson", world.utrecht, title="Alleen voor leden", themes=["circulair"],
              visibility="members")  # fmt: skip
    db.session.commit()
    page = client.get("/themas/circulair").get_data(as_text=True)
    assert "Eiwittransitie in de kantine" in page and "Alleen voor leden" not in page
    assert "Voorbeeldaanbestedingen" in page


def test_the_account_page_gathers_the_sections_of_other_packages(client, world, as_user):
    make_item("criterion", world.utrecht, title="Concept-eis", status="draft",
              author=world.utrecht_member)  # fmt: skip
    db.session.commit()
    as_user(world.utrecht_member)
    page = client.get("/account").get_data(as_text=True)
    for heading in ("Mijn organisaties", "Mijn concepten", "Concept-eis", "Bewaarde items",
                    "Mandje met criteria", "Bewaarde zoekopdrachten"):  # fmt: skip
        assert heading in page
    assert client.get("/account").status_code == 200
    client.get("/uitloggen")


def test_a_section_with_nothing_to_show_is_left_out():
    add_section("test.page", "b.html", order=2)(lambda **_: {"b": 1})
    add_section("test.page", "a.html", order=1)(lambda **_: None)
    add_section("test.page", "c.html", order=3)(lambda subject: {"c": subject})
    assert sections_for("test.page", subject="x") == [("b.html", {"b": 1}), ("c.html", {"c": "x"})]
