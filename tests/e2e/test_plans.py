"""In a real browser, the journey of issue 15: a small municipality copies a peer's public action
plan and adapts one goal, adds a planned tender, sees the overlap with a neighbour and expresses
interest; the neighbour accepts. Every page on the way passes axe at 1280 and 320 px."""

from __future__ import annotations

from portal.common import utcnow
from portal.extensions import db
from tests.e2e.browser import log_in
from tests.e2e.test_planning import neighbours_buy_together
from tests.factories import PASSWORD, make_item

NEXT_YEAR = utcnow().year + 1


def test_copy_a_peers_plan_adapt_a_goal_then_buy_together(live_server, page, world, axe):
    original = make_item("plan", world.utrecht, title="Actieplan MVI Utrecht", fields={
        "goals": [{"goal": "Social return in de helft van de aanbestedingen", "theme": "social-return",
                   "indicator": "aandeel-thema", "direction": "stijgen", "baseline": 30,
                   "target": 50, "target_year": NEXT_YEAR}],
        "actions": [{"action": "Convenant social return met de buurgemeente", "goal": 1,
                     "status": "gereed"}],
    })  # fmt: skip
    db.session.commit()
    log_in(page, live_server, world.heumen_admin.email, PASSWORD)
    page.goto(f"{live_server}/actieplannen/{original.slug}")
    axe.check(page, "plan-show")
    with page.expect_navigation():
        page.get_by_role("button", name="Plan overnemen").click()
    assert "bewerken" in page.url
    axe.check(page, "plan-edit-copy")
    page.get_by_label("Doel (SMART)").first.fill("Social return in 40% van de aanbestedingen")
    page.get_by_label("Streefwaarde").first.fill("40")
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan").click()
    assert "Social return in 40% van de aanbestedingen" in page.locator("main").inner_text()
    assert "Gebaseerd op" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Jaarrapportage voor het bestuur").click()
    axe.check(page, "plan-report")
    neighbours_buy_together(live_server, page, world, axe)
