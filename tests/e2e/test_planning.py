"""In a real browser: a small municipality adds a planned tender, sees that its neighbour plans
the same ("Ook van plan") and expresses interest in buying together; the neighbour accepts and
both see each other's contact. Every page passes axe at 1280 and 320 px."""

from __future__ import annotations

from portal.extensions import db
from portal.organisations import services as organisations
from portal.permissions import SYSTEM
from portal.planning import services
from tests.e2e.browser import log_in, log_out
from tests.factories import PASSWORD, make_organisation, make_user


def test_a_neighbour_plans_the_same_and_they_agree_to_buy_together(live_server, page, world, axe):
    log_in(page, live_server, world.heumen_admin.email, PASSWORD)
    neighbours_buy_together(live_server, page, world, axe)


def neighbours_buy_together(live_server, page, world, axe) -> None:
    """Heumen's admin (signed in) adds a planned tender, sees Mook's and expresses interest;
    Mook's editor accepts. Also the second half of the small municipality's journey
    (tests/e2e/test_plans.py)."""
    region = world.heumen.regions[0]
    mook = make_organisation("Gemeente Mook", domains=["mook.nl"], regions_=[region])
    editor = make_user("inkoop@mook.nl", name="Mira Mook")
    organisations.add_member(mook, editor, "editor", actor=SYSTEM)
    services.create_planned_tender(
        mook,
        services.PlanData(title="Schoonmaak gemeentehuis Mook", product_group="schoonmaak",
                          year=2027, quarter=3, visibility="members", contact_role="inkoper"),
        actor=SYSTEM,
    )  # fmt: skip
    db.session.commit()

    page.goto(live_server + "/")
    page.get_by_role("link", name="Inkoopkalender").first.click()
    assert page.locator("h1").inner_text() == "Inkoopkalender"
    axe.check(page, "planning-index")
    page.get_by_role("link", name="Geplande aanbesteding toevoegen").click()
    axe.check(page, "planning-new")
    page.get_by_role("button", name="Opslaan").click()  # empty: the errors first
    assert page.locator(".error-summary").is_visible()
    axe.check(page, "planning-new-failed")
    page.get_by_label("Titel").fill("Schoonmaak gemeentehuis Heumen")
    page.get_by_label("Productgroep").select_option("schoonmaak")
    page.get_by_label("Jaar van publicatie").fill("2027")
    page.get_by_label("Kwartaal van publicatie").select_option("2")
    page.get_by_label("Geraamde waarde vanaf (EUR, optioneel)").fill("60000")
    page.get_by_label("Geraamde waarde tot (EUR, optioneel)").fill("90000")
    page.get_by_label("Social return").check()
    page.get_by_label("Wie mag dit zien?").select_option("members")
    page.get_by_role("button", name="Opslaan").click()
    assert page.locator("h1").inner_text() == "Schoonmaak gemeentehuis Heumen"
    overlap = page.get_by_role("region", name="Ook van plan")
    assert "Schoonmaak gemeentehuis Mook" in overlap.inner_text()
    axe.check(page, "planning-show")
    overlap.get_by_role("button", name="Belangstelling om samen in te kopen").click()
    assert "Gemeente Mook heeft uw belangstelling gekregen" in page.get_by_role("status").first.inner_text()  # fmt: skip
    assert "Wacht op antwoord" in page.get_by_role("region", name="Belangstelling om samen in te kopen").inner_text()  # fmt: skip
    axe.check(page, "planning-interest-sent")
    log_out(page)

    log_in(page, live_server, editor.email, PASSWORD)
    page.goto(f"{live_server}/meldingen")
    notice = page.get_by_role("link", name="Gemeente Heumen wil misschien samen inkopen")
    axe.check(page, "planning-notice")
    # Notices link to PUBLIC_URL (as in the mail); the same page on the test's server.
    page.goto(live_server + "/" + notice.first.get_attribute("href").split("/", 3)[3])
    interest = page.get_by_role("region", name="Belangstelling om samen in te kopen")
    assert "Gemeente Heumen wil samen inkopen, vanuit:" in interest.inner_text()
    axe.check(page, "planning-interest-received")
    interest.get_by_role("button", name="Accepteren en contactgegevens delen").click()
    interest = page.get_by_role("region", name="Belangstelling om samen in te kopen")
    assert "Femke Willems" in interest.inner_text() and "beheer@heumen.nl" in interest.inner_text()
    axe.check(page, "planning-interest-accepted")
    page.goto(f"{live_server}/organisaties/gemeente-mook/inkoopkalender/importeren")
    axe.check(page, "planning-import")
