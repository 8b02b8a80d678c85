"""In a real browser: a small municipality asks a larger one, a follower there answers with a
tender example, the asker accepts, a moderator verifies, and the daily digest goes out once."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.notifications import services as notify
from portal.notifications.digest import send_digests
from portal.taxonomy.models import Theme
from tests.e2e.browser import log_in, log_out
from tests.factories import make_item


def test_question_answer_accept_verify_digest(live_server, page, world, axe, mailbox):
    base = live_server
    tender = make_item("tender", world.utrecht, title="Social return in de schoonmaakaanbesteding",
                       themes=["social-return"])  # fmt: skip
    social = db.session.scalar(select(Theme).where(Theme.slug == "social-return"))
    notify.follow("theme", social.id, actor=world.utrecht_member)
    world.utrecht_member.memberships[0].is_vraagbaak = True
    db.session.commit()

    # A member of a small municipality asks, addressed to Utrecht.
    log_in(page, base, world.heumen_admin.email)
    page.goto(base + "/vragen/")
    axe.check(page, "c01-questions")
    page.get_by_role("link", name="Stel een vraag").click()
    page.locator("#title").fill("Hoe vraag ik social return bij een kleine schoonmaakopdracht?")
    page.locator("#body").fill("Wij zijn een gemeente van 17.000 inwoners zonder MVI-coördinator.")
    page.get_by_label("Social return").check()
    page.locator("#addressed_to").select_option(label="Gemeente Utrecht")
    axe.check(page, "c02-ask")
    page.get_by_role("button", name="Vraag plaatsen").click()
    page.wait_for_load_state()
    assert "Uw vraag staat online" in page.content()
    question_url = page.url
    axe.check(page, "c03-question")
    log_out(page)

    # A member at Utrecht who follows the theme sees the notice and answers with a tender.
    log_in(page, base, world.utrecht_member.email)
    badge = page.locator(".count-badge")
    assert badge.count() == 1 and badge.inner_text().startswith("1")
    page.get_by_role("link", name="Meldingen").first.click()
    assert "Hoe vraag ik social return" in page.content()
    axe.check(page, "c04-notifications")
    page.goto(question_url)  # the notice links to the configured site address (PUBLIC_URL)
    page.locator("#antwoord").fill("Wij vroegen 5% van de loonsom als contractvoorwaarde.")
    page.locator("#linked_items").fill(f"{base}/aanbestedingen/{tender.slug}")
    page.get_by_role("button", name="Antwoord plaatsen").click()
    page.wait_for_load_state()
    assert "Dank u! Uw antwoord staat bij de vraag." in page.content()
    assert page.get_by_role("link", name="Social return in de schoonmaakaanbesteding").count() >= 1
    log_out(page)

    # The asker accepts it.
    log_in(page, base, world.heumen_admin.email)
    page.goto(question_url)
    page.get_by_role("button", name="Accepteer dit antwoord").click()
    page.wait_for_load_state()
    assert "Geaccepteerd door de vrager" in page.content()
    page.get_by_role("link", name="Melden", exact=True).first.click()
    page.wait_for_load_state()
    axe.check(page, "c05b-report-answer")
    log_out(page)

    # A moderator verifies it.
    log_in(page, base, world.moderator.email)
    page.goto(question_url)
    page.get_by_role("button", name="Markeer als geverifieerd").click()
    page.wait_for_load_state()
    assert "Geverifieerd op" in page.content()
    axe.check(page, "c05-verified")
    page.goto(base + "/moderatie")
    axe.check(page, "c06-moderation")
    page.goto(base + "/moderatie/logboek")
    axe.check(page, "c06b-moderation-log")
    # The moderator hides the tender from its page, sees the banner, and restores it from the queue.
    page.goto(f"{base}/aanbestedingen/{tender.slug}")
    page.get_by_text("Verbergen (moderator)").click()
    page.get_by_label("Reden (de redacteuren van het item lezen deze)").fill("Bevat namen.")
    page.get_by_role("button", name="Verbergen", exact=True).click()
    page.wait_for_load_state()
    page.goto(f"{base}/aanbestedingen/{tender.slug}")
    assert "Verborgen door een moderator" in page.content()
    axe.check(page, "c06c-hidden-item")
    page.goto(base + "/moderatie?toon=verborgen")
    axe.check(page, "c06d-hidden-queue")
    page.get_by_role("button", name="Terugzetten").first.click()
    page.wait_for_load_state()
    page.goto(f"{base}/aanbestedingen/{tender.slug}")
    assert "Verborgen door een moderator" not in page.content()
    page.goto(f"{base}/leden/{world.utrecht_member.id}")
    axe.check(page, "c07b-profile")
    page.goto(base + "/leden")
    axe.check(page, "c07-members")
    page.goto(base + "/account/meldingen")
    axe.check(page, "c08-settings")

    # The daily digest sends it once; a second run sends nothing.
    before = len(mailbox.messages())
    mails, _notices = send_digests("daily")
    db.session.commit()
    assert mails >= 1
    digests = mailbox.messages()[before:]
    mine = [m for m in digests if f"To: {world.utrecht_member.email}" in m]
    assert len(mine) == 1 and "Hoe vraag ik social return" in mine[0] and "/afmelden/" in mine[0]
    assert send_digests("daily") == (0, 0)


def test_event_group_and_member_home_pages_pass_axe(live_server, page, world, axe):
    from portal.groups import services as groups
    from portal.permissions import SYSTEM
    from tests.test_events import make_event

    base = live_server
    groups.add_group_member(world.open_group, world.utrecht_member, actor=SYSTEM)
    event = make_event(world.utrecht, title="Regiobijeenkomst circulair inkopen", capacity=1)
    db.session.commit()
    log_in(page, base, world.utrecht_member.email)
    page.goto(f"{base}/bijeenkomsten/{event.slug}")
    page.get_by_role("button", name="Aanmelden").first.click()
    page.wait_for_load_state()
    assert "Regiobijeenkomst circulair inkopen" in page.content()
    axe.check(page, "c09-event")
    page.goto(base + "/bijeenkomsten/")
    axe.check(page, "c10-events")
    page.goto(f"{base}/werkgroepen/{world.open_group.slug}")
    assert "Discussies" in page.content()
    axe.check(page, "c11-group")
    page.goto(base + "/")
    assert "Voor u" in page.content()
    axe.check(page, "c12-member-home")
