"""In a real browser: a tender's editor finds a peer's criterion by title and links it from the
tender's page, follows the tender (the button says what a click does), and a small municipality
addresses a question to larger peers, all without JavaScript-only controls."""

from __future__ import annotations

import re

from tests.e2e.test_journey import log_in, log_out
from tests.factories import PASSWORD, make_item


def test_link_from_the_tender_follow_it_and_ask_larger_peers(live_server, page, world, axe):
    base = live_server
    tender = make_item("tender", world.utrecht, title="Asfalt met MKI")
    make_item("criterion", world.heumen, title="Emissieloos bouwmaterieel (Heumen)")

    log_in(page, base, world.utrecht_editor.email, PASSWORD)
    page.goto(f"{base}/aanbestedingen/{tender.slug}")
    page.get_by_label("Zoek op titel (ook items van andere organisaties)").fill("emissieloos")
    page.get_by_role("button", name="Zoeken", exact=True).last.click()
    axe.check(page, "lf01-link-search")
    # Each result's button names its item (the title is visually hidden in it).
    page.get_by_role("button", name=re.compile(r"^Koppelen.*Emissieloos bouwmaterieel")).click()
    assert "De koppeling is opgeslagen." in page.locator(".alert-success").inner_text()
    linked = page.locator("section[aria-labelledby=koppelingen]").inner_text()
    assert "Gebruikt criterium" in linked and "Emissieloos bouwmaterieel (Heumen)" in linked

    page.get_by_role("button", name="Volgen", exact=True).click()
    assert page.get_by_role("button", name="Niet meer volgen").is_visible()
    assert "✓ Volgend" in page.locator(".follow-state").inner_text()
    axe.check(page, "lf02-following")
    log_out(page)

    log_in(page, base, world.heumen_admin.email, PASSWORD)
    page.goto(base + "/vragen/nieuw")
    axe.check(page, "lf03-ask-groups")
    page.locator("#title").fill("Hoe wegen grotere gemeenten MKI in de gunning?")
    page.get_by_label("Grotere organisaties (een grotere grootteklasse dan de uwe)").check()
    page.get_by_role("button", name="Vraag plaatsen").click()
    facts = page.locator("dl.facts").first.inner_text()
    assert "Gericht aan" in facts and "Gemeente Utrecht" in facts
