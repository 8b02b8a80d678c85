"""In a real browser: register, verify by the mailed link, log in, join an organisation, log out."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.organisations.models import Membership
from tests.e2e.browser import log_in, log_out
from tests.factories import PASSWORD

NEW_PASSWORD = "Circulair-inkopen-2026"


def test_register_verify_login_join_logout(live_server, page, mailbox, world, axe):
    base = live_server
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Leer van elkaars aanbestedingen"
    axe.check(page, "01-home")

    page.get_by_role("link", name="Registreren").first.click()
    axe.check(page, "02-register")
    page.get_by_label("Naam").fill("Eva Jansen")
    page.get_by_label("E-mailadres").fill("eva.jansen@heumen.nl")
    page.locator("#password").fill("kort")
    page.locator("#password_repeat").fill("kort")
    page.get_by_role("button", name="Account aanmaken").click()
    assert "minstens 12 tekens" in page.locator(".error-summary").inner_text()
    axe.check(page, "03-register-error")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_repeat").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    # Not signed in yet: the same answer whether or not the address has an account (defect 13).
    assert "We hebben een e-mail gestuurd" in page.locator(".alert-success").inner_text()
    axe.check(page, "04-registered")

    link = mailbox.last_link("eva.jansen@heumen.nl")
    path = "/" + link.split("/", 3)[3]
    page.goto(base + path)
    axe.check(page, "05-verify")
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    assert "Uw e-mailadres is bevestigd." in page.locator(".alert-success").inner_text()
    axe.check(page, "06-login")

    log_in(page, base, "eva.jansen@heumen.nl", NEW_PASSWORD)
    page.goto(base + "/account")
    page.get_by_role("button", name="Word lid van Gemeente Heumen").click()
    assert "Uw verzoek is verstuurd" in page.locator(".alert-success").inner_text()
    page.goto(base + "/account")
    assert "wacht op goedkeuring" in page.locator("main").inner_text()
    axe.check(page, "07-account-pending")
    log_out(page)

    # The organisation's admin approves the request.
    log_in(page, base, world.heumen_admin.email, PASSWORD)
    page.goto(base + "/organisaties/gemeente-heumen/leden")
    axe.check(page, "08-members")
    page.get_by_role("row", name=re.compile("Eva Jansen")).get_by_role(
        "button", name="Goedkeuren"
    ).click()
    assert "goedgekeurd" in page.locator(".alert-success").inner_text()
    log_out(page)

    log_in(page, base, "eva.jansen@heumen.nl", NEW_PASSWORD)
    page.goto(base + "/organisaties/gemeente-heumen")
    assert "Eva Jansen" in page.locator("main").inner_text()
    axe.check(page, "09-organisation")
    log_out(page)
    assert page.get_by_role("link", name="Inloggen").first.is_visible()

    db.session.expire_all()
    membership = db.session.scalar(
        select(Membership)
        .join(Membership.user)
        .where(Membership.status == "approved", Membership.organisation_id == world.heumen.id)
        .order_by(Membership.id.desc())
    )
    assert membership.user.email == "eva.jansen@heumen.nl"


def test_public_pages_pass_axe(live_server, page, world, axe):
    for name, path in [
        ("themes", "/themas"), ("theme", "/themas/circulair"), ("product-groups", "/productgroepen"),
        ("product-group", "/productgroepen/catering"), ("organisations", "/organisaties"),
        ("regions", "/regios"), ("region", "/regios/regio-arnhem-nijmegen"), ("groups", "/werkgroepen"),
        ("group", "/werkgroepen/kleine-gemeenten-samen"), ("search", "/zoeken?q=heumen"),
        ("not-found", "/bestaat-niet"), ("forgot", "/wachtwoord-vergeten"),
    ]:  # fmt: skip
        page.goto(live_server + path)
        axe.check(page, f"public-{name}")
    assert len(axe.audited) == 12


def test_admin_pages_pass_axe(live_server, page, world, axe):
    log_in(page, live_server, world.site_admin.email, PASSWORD)
    for name, path in [
        ("dashboard", "/beheer"), ("vocabulary", "/beheer/lijsten/productgroepen"),
        ("term", "/beheer/lijsten/productgroepen/catering/bewerken"),
        ("org-edit", "/organisaties/gemeente-heumen/bewerken"), ("group-new", "/werkgroepen/nieuw"),
        ("profile", "/account/profiel"),
    ]:  # fmt: skip
        page.goto(live_server + path)
        axe.check(page, f"admin-{name}")


def test_language_switch_in_the_browser(live_server, page, world):
    page.goto(live_server + "/organisaties")
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Organisations"
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Nederlands").click()
    assert page.locator("h1").inner_text() == "Organisaties"
