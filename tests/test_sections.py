"""Pages of lower packages show what higher packages add to them (portal/sections.py): a region
its organisations and groups, a theme its knowledge, the account page its member's things."""

from __future__ import annotations

import re

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


def _dossier_headings(page: str) -> list[str]:
    dossier = page[page.index('aria-labelledby="dossier"') :]
    dossier = dossier[: dossier.index("</section>")]
    return [heading.strip() for heading in re.findall(r"<h3>(.*?)</h3>", dossier, re.S)]


def test_every_kind_in_a_dossier_has_its_own_heading(client, world):
    """Questions get "Vragen", not an empty heading that reads as part of "Bijeenkomsten"."""
    from portal.questions import services as qa
    from tests.test_events import make_event

    make_item("tender", world.utrecht, title="Eiwittransitie in de kantine", themes=["circulair"])
    make_event(world.utrecht)  # on the theme "circulair"
    qa.ask_question(qa.QuestionData(title="Hoe minder vlees in de kantine?", body=".",
                                    themes=["circulair"]), actor=world.utrecht_member)  # fmt: skip
    db.session.commit()
    for url in ("/themas/circulair", "/productgroepen/asfalt-en-wegverharding"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<h3>\s*</h3>", page), url
    page = client.get("/themas/circulair").get_data(as_text=True)
    assert _dossier_headings(page) == ["Voorbeeldaanbestedingen", "Bijeenkomsten", "Vragen"]
    assert page.index("<h3>Vragen</h3>") < page.index("Hoe minder vlees in de kantine?")
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get("/themas/circulair").get_data(as_text=True)
    assert _dossier_headings(page) == ["Example tenders", "Events", "Questions"]


def test_a_kind_cannot_be_registered_without_a_heading_and_dossiers_follow_in_dossier(
    app, client, world, monkeypatch
):
    # Kinds are registered and removed while the app runs (in production only at start-up, before
    # any page is kept): the same pages are asked again and must be rendered again.
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    from dataclasses import replace

    import pytest

    from portal.content.kinds import kinds, register_kind

    question = kinds()["question"]
    for name in ("label", "plural", "badge"):
        with pytest.raises(ValueError, match=name):
            register_kind(replace(question, **{name: ""}))
    assert kinds()["question"] is question  # the refused spec replaced nothing
    make_item("tender", world.utrecht, title="Eiwittransitie in de kantine", themes=["circulair"])
    qa_page = "/themas/circulair"
    from portal.questions import services as qa

    qa.ask_question(qa.QuestionData(title="Hoe minder vlees in de kantine?", body=".",
                                    themes=["circulair"]), actor=world.utrecht_member)  # fmt: skip
    db.session.commit()
    register_kind(replace(question, in_dossier=False))
    try:
        page = client.get(qa_page).get_data(as_text=True)
        assert _dossier_headings(page) == ["Voorbeeldaanbestedingen"]
        assert "Hoe minder vlees in de kantine?" not in page
    finally:
        register_kind(question)
    assert _dossier_headings(client.get(qa_page).get_data(as_text=True)) == [
        "Voorbeeldaanbestedingen", "Vragen"
    ]  # fmt: skip
