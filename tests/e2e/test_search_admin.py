"""In a real browser: a visitor without JavaScript opens a result (counted by the redirect), and
an administrator turns a failed query into a concept; every page audited with axe."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.search.models import Concept, SearchEvent
from tests.e2e.browser import log_in
from tests.factories import PASSWORD, make_item


def test_a_failed_query_becomes_a_concept(live_server, browser, page, world, axe):
    make_item("lesson", world.utrecht, title="Eiwittransitie in de catering van het stadskantoor")
    make_item("lesson", world.utrecht, title="Minder vlees in de kantine")

    # A visitor without JavaScript: the result's link is a plain redirect that counts the click.
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    visitor = context.new_page()
    visitor.goto(live_server + "/zoeken?q=kantine")
    visitor.locator("ol.search-results > li h2 a").first.click()
    visitor.wait_for_load_state()
    assert visitor.url.startswith(live_server + "/lessen/")
    visitor.goto(live_server + "/zoeken?q=eiwitrijk menu")
    context.close()
    db.session.expire_all()
    assert [(e.query, e.results) for e in db.session.scalars(select(SearchEvent))] == [
        ("kantine", 1), ("kantine", None), ("eiwitrijk menu", 0),
    ]  # fmt: skip

    log_in(page, live_server, world.site_admin.email, PASSWORD)
    page.goto(live_server + "/beheer/zoekinzicht")
    axe.check(page, "insights")
    page.locator("#leeg-tabel").locator("xpath=..").get_by_role(
        "link", name="Begrip toevoegen"
    ).click()
    page.wait_for_load_state()
    assert page.locator("#name").input_value() == "eiwitrijk menu"
    axe.check(page, "concept-new")
    page.locator("#name").fill("eiwittransitie")
    page.locator("#synonym").fill("de")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    assert "stopwoord" in page.locator(".error-summary, .error-message").first.inner_text()
    axe.check(page, "concept-error")
    page.locator("#synonym").fill("eiwitrijk")
    page.locator("#related").fill("vlees\nkantine\nmenu")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    assert "is opgeslagen" in page.inner_text(".messages")
    axe.check(page, "concepts")
    page.goto(live_server + "/beheer/begrippen?probeer=eiwitrijk menu")
    axe.check(page, "concepts-try")
    concept = db.session.scalar(select(Concept))
    page.goto(live_server + f"/beheer/begrippen/{concept.id}/bewerken")
    axe.check(page, "concept-edit")
    page.goto(live_server + "/zoeken?q=vlees")
    assert "Ook gezocht met verwante woorden van: eiwittransitie." in page.inner_text("main")
    assert page.locator("ol.search-results > li").count() == 2
