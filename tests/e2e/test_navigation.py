"""In a real browser on a phone (390 CSS px): the menu and the filters fold away, so results come
first; the Kennis overview is one tap from the menu. axe-core audits every page visited."""

from __future__ import annotations

from tests.factories import make_item

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_results_come_first_and_the_menu_opens_the_knowledge_overview(
    live_server, browser, world, axe
):
    for n in range(6):
        make_item("tender", world.utrecht, title=f"Asfaltonderhoud met MKI deel {n}")
    make_item("criterion", world.utrecht, title="MKI als gunningscriterium voor asfalt")
    context = browser.new_context(locale="nl-NL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/zoeken?q=asfalt")
        first = page.locator("ol.search-results > li").first.bounding_box()
        assert first is not None and first["y"] < PHONE["height"]  # was about 3,500 px down
        assert not page.locator(".filter-panel .facet-list").first.is_visible()
        axe.check(page, "n01-search-phone")
        page.locator(".filter-panel > summary").click()  # the filters open without JavaScript
        assert page.locator(".filter-panel .facet-list").first.is_visible()

        page.goto(live_server + "/aanbestedingen/")
        first = page.locator("ul.card-list > li").first.bounding_box()
        assert first is not None and first["y"] < PHONE["height"]  # was about 1,700 px down
        axe.check(page, "n02-list-phone")

        assert not page.get_by_role("link", name="Kennis", exact=True).is_visible()
        page.locator(".menu-panel > summary").click()
        page.get_by_role("link", name="Kennis", exact=True).click()
        page.wait_for_load_state()
        assert page.url == live_server + "/kennis"
        assert page.get_by_role("heading", name="Criteria en eisen (1)").is_visible()
        axe.check(page, "n03-knowledge-phone")
    finally:
        context.close()


def test_on_a_wide_screen_the_menu_and_filters_stay_open(live_server, page, world, axe):
    make_item("tender", world.utrecht, title="Asfaltonderhoud met MKI")
    page.goto(live_server + "/zoeken?q=asfalt")
    assert page.locator(".filter-panel .facet-list").first.is_visible()
    assert page.get_by_role("link", name="Kennis", exact=True).is_visible()
    page.goto(live_server + "/")
    axe.check(page, "n04-home-desktop")
