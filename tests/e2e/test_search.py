"""In a real browser: Dutch search with highlights, facets in the URL, attachment text, type-ahead."""

from __future__ import annotations

from portal.content import services as content
from portal.extensions import db
from portal.permissions import SYSTEM
from portal.seeding import demo_pdf
from tests.factories import make_item


def test_search_journey(live_server, page, world, axe):
    base = live_server
    tender = make_item("tender", world.utrecht, title="Raamcontract asfaltonderhoud met gunning op MKI",
                       product_groups=["asfalt-en-wegverharding"])  # fmt: skip
    make_item("criterion", world.utrecht, title="MKI-waarde als gunningscriterium voor asfalt")
    make_item("lesson", world.heumen, title="Kleine gemeenten kunnen ook op milieukosten gunnen")
    make_item("tender", world.utrecht, title="Besloten asfaltbestek met MKI", visibility="members")
    make_item("tender", world.utrecht, title="Circulair kantoormeubilair voor het stadskantoor")
    content.add_attachment(
        tender,
        "Gunningsrapport.pdf",
        demo_pdf(["De bitumenemulsie scoorde het best."]),
        actor=SYSTEM,
    )
    db.session.commit()

    page.goto(base + "/")
    page.locator("#header-q").fill("MKI asfalt")
    page.locator("#header-q").press("Enter")
    page.wait_for_load_state()
    results = page.locator("ol.search-results > li h2")
    top_two = {results.nth(0).inner_text(), results.nth(1).inner_text()}
    assert top_two == {
        "Raamcontract asfaltonderhoud met gunning op MKI",
        "MKI-waarde als gunningscriterium voor asfalt",
    }
    assert (
        page.locator("ol.search-results mark").count() > 0
        or page.locator("ol.search-results").inner_text()
    )
    assert "Besloten asfaltbestek" not in page.content()
    axe.check(page, "s01-results")

    page.get_by_role("link", name="Criteria en eisen (1)").click()
    assert "soort=criterion" in page.url
    assert page.locator("ol.search-results > li").count() == 1
    shared = page.url
    page.goto(shared)  # the URL alone reproduces the narrowed search
    assert (
        page.locator("ol.search-results > li h2").inner_text()
        == "MKI-waarde als gunningscriterium voor asfalt"
    )
    axe.check(page, "s02-facet")

    page.goto(base + "/zoeken?q=bitumenemulsie")
    snippet = page.locator("ol.search-results .snippet").first.inner_text()
    assert "Gunningsrapport.pdf" in snippet and "bitumenemulsie" in snippet
    assert page.locator("ol.search-results mark").first.inner_text().lower() == "bitumenemulsie"
    axe.check(page, "s03-attachment")

    page.goto(base + "/zoeken?q=leerlingenvervoor")
    axe.check(page, "s04-empty")

    page.goto(base + "/")
    page.locator("#header-q").press_sequentially("kantoorm", delay=30)
    page.locator("#search-suggestions option").first.wait_for(state="attached")
    options = page.eval_on_selector_all(
        "#search-suggestions option", "els => els.map(e => e.value)"
    )
    assert "Kantoormeubilair" in options


def test_the_minder_passend_divider_is_a_heading_at_both_widths(live_server, page, world, axe):
    for n in range(3):
        make_item("lesson", world.utrecht, title=f"Bermbeheer met maaisel {n}",
                  body="Ecologisch bermbeheer levert maaisel op.")  # fmt: skip
    make_item("lesson", world.utrecht, title="Ecologisch werken", body="Iets anders.")
    page.goto(live_server + "/zoeken?q=ecologisch+bermbeheer+maaisel")
    divider = page.get_by_role("heading", name="Minder passend")
    assert divider.is_visible()
    weaker = page.get_by_role("list", name="Minder passend")
    assert weaker.get_by_role("listitem").count() == 1
    assert "Ecologisch werken" in weaker.inner_text()
    axe.check(page, "s06-divider")
