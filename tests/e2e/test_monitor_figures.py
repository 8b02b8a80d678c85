"""In a real browser: the organisation monitor with every section (per theme, the benchmark among
five peers, outcomes, settings) and the tenders behind a figure pass axe at 1280 and 320 px."""

from __future__ import annotations

from portal.extensions import db
from tests.e2e.browser import log_in
from tests.factories import PASSWORD, make_item, make_organisation
from tests.test_monitor import record

CIRCULAR = {"theme": "circulair", "instrument": "aanmoedigen", "ambition_level": "significant"}


def test_the_full_monitor_and_the_tenders_behind_a_figure_pass_axe(live_server, page, world, axe):
    record(world.utrecht, "A", year=2023, mvi=[CIRCULAR], realised_percent=70)
    record(world.utrecht, "B", year=2024)
    make_item("tender", world.utrecht, title="Circulair meubilair", fields={
        "mvi": [{**CIRCULAR, "weight_percent": 25}],
        "bids": [{"bidder": "A", "mki_eur": 800, "winner": True}, {"bidder": "B", "mki_eur": 1000}],
    })  # fmt: skip
    for n in range(5):
        peer = make_organisation(f"Gemeente Peer {n}", size="meer-dan-100000")
        for i in range(4):
            record(peer, f"P{i}", year=2024, mvi=[CIRCULAR] if i < n else [])
    db.session.commit()
    log_in(page, live_server, world.utrecht_admin.email, PASSWORD)
    page.goto(f"{live_server}/organisaties/gemeente-utrecht/monitor")
    assert page.get_by_role("table", name="Positie per thema").is_visible()
    assert page.get_by_label("Iedereen mag de cijfers van onze monitor zien").is_visible()
    axe.check(page, "monitor-full")
    with page.expect_navigation():
        page.get_by_role("link", name="2 Circulair", exact=True).click()  # the theme's count
    assert "Circulair meubilair" in page.locator("main").inner_text()
    axe.check(page, "monitor-behind")
    page.goto(f"{live_server}/organisaties/gemeente-utrecht/monitor?van=2025&tot=2020")
    assert "ligt na het eindjaar" in page.locator("main").inner_text()
    axe.check(page, "monitor-bad-period")
