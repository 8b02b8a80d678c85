"""In a real browser at 320 CSS px (WCAG 2.1 1.4.10): no page scrolls sideways, wide tables scroll
in a region the keyboard reaches, a failed submit lands on the error summary; the copy button only
shows when JavaScript can copy."""

from __future__ import annotations

import pytest

from tests.e2e.browser import log_in
from tests.e2e.conftest import NARROW
from tests.factories import PASSWORD, make_item
from tests.test_a11y import BIDS, CONTRACT, MVI

LONG_WORD = "Duurzaamheidsinkoopsamenwerkingsverbandsbijeenkomstenverslagen"
SCROLL_WIDTH = "document.documentElement.scrollWidth"
STICKING_OUT = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 8).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def eventually(page, expression: str, seconds: float = 3) -> bool:
    """Poll a JavaScript expression (wait_for_function evaluates strings, which the CSP forbids)."""
    for _ in range(int(seconds * 20)):
        if page.evaluate(expression):
            return True
        page.wait_for_timeout(50)
    return False


@pytest.fixture
def narrow(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": NARROW, "height": 800})
    yield context.new_page()
    context.close()


def test_no_page_scrolls_sideways_at_320_px(live_server, narrow, world, axe):
    base, page = live_server, narrow
    fields = {"mvi": MVI * 3, "bids": BIDS * 2, "contract_results": CONTRACT}
    tender = make_item("tender", world.utrecht, title=f"{LONG_WORD} asfalt", fields=fields)
    make_item("criterion", world.utrecht, title="MKI-waarde als gunningscriterium voor asfalt")

    for name, path in [("r01-home", "/"), ("r02-list", "/aanbestedingen/"),
                       ("r03-search", "/zoeken?q=asfalt"), ("r04-tender", f"/aanbestedingen/{tender.slug}")]:  # fmt: skip
        page.goto(base + path)
        assert page.evaluate(SCROLL_WIDTH) <= NARROW, (path, page.evaluate(STICKING_OUT))
        axe.check(page, name)
    assert page.locator("ol.search-results li, main h1").count() > 0
    h1 = page.locator("main h1")
    assert LONG_WORD in h1.inner_text()  # the long word wraps instead of being clipped
    assert h1.evaluate("e => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().right")
    assert h1.bounding_box()["x"] + h1.bounding_box()["width"] <= NARROW

    # Each wide table scrolls inside a named region that Tab reaches and the arrow keys scroll.
    regions = page.locator(".table-wrap")
    assert regions.count() == 3
    first = regions.first
    assert first.get_attribute("role") == "region" and first.get_attribute("tabindex") == "0"
    assert first.evaluate("e => e.scrollWidth > e.clientWidth")  # it really is wider than 320 px
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
            break
    else:
        pytest.fail("Tab never reached the table's region")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    assert eventually(page, "document.activeElement.scrollLeft > 0")

    # A form at 320 px, and a failed submit: focus on the error summary, the title says so.
    log_in(page, base, world.utrecht_member.email, PASSWORD)
    page.goto(base + "/aanbestedingen/nieuw")
    assert page.evaluate(SCROLL_WIDTH) <= NARROW
    axe.check(page, "r05-form")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    assert page.title().startswith("Fout: ")
    assert eventually(page, "document.activeElement.classList.contains('error-summary')")
    assert page.evaluate(SCROLL_WIDTH) <= NARROW
    axe.check(page, "r06-form-error")


def test_the_copy_button_shows_only_with_javascript(live_server, browser, world, page, axe):
    criterion = make_item("criterion", world.utrecht, title="MKI-waarde als gunningscriterium")
    url = f"{live_server}/criteria/{criterion.slug}"
    context = browser.new_context(locale="nl-NL", java_script_enabled=False)
    try:
        without = context.new_page()
        without.goto(url)
        assert without.locator("[data-copy-target]").count() == 1
        assert without.locator("[data-copy-target]").is_hidden()
        assert "MKI-berekening per variant" in without.locator("#clause-text").inner_text()
    finally:
        context.close()
    page.goto(url)
    page.get_by_role("button", name="Kopieer tekst").wait_for(state="visible")
    axe.check(page, "r07-criterion")
