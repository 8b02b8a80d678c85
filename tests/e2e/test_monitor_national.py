"""In a real browser: the national overview (/monitor) with figures and with too few
organisations, and after a bad period, passes axe at 1280 and 320 px without scrolling sideways."""

from __future__ import annotations

from tests.test_monitor_national import known_data, record


def test_the_national_monitor_passes_axe(live_server, page, world, axe):
    others = known_data(world)
    record(others[2], "B", year=2023, value_min=500)  # 2023: five organisations
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="MVI-monitor").first.click()
    assert page.locator("h1").inner_text() == "MVI-monitor: heel Nederland"
    assert page.get_by_role("img", name="Aandeel aanbestedingen per thema").is_visible()
    assert page.get_by_role("region", name="MVI per jaar").is_visible()
    axe.check(page, "monitor-national")
    page.get_by_label("Van jaar").fill("2024")
    page.get_by_label("Tot en met jaar").fill("2021")
    page.get_by_role("button", name="Toon cijfers").click()
    assert "ligt na het eindjaar" in page.get_by_role("alert").inner_text()
    axe.check(page, "monitor-national-bad-period")
    page.goto(f"{live_server}/monitor?van=2024&tot=2024")
    assert page.get_by_text("te weinig organisaties").first.is_visible()
    axe.check(page, "monitor-national-too-few")
