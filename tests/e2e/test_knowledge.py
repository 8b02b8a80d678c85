"""In a real browser: publish a tender with an attachment and two linked criteria, find it, basket a
criterion and download the DOCX, see an edit as a revision, and a visitor never sees a members-only item."""

from __future__ import annotations

import io
import zipfile

from portal.seeding import demo_pdf
from tests.e2e.test_journey import log_in, log_out
from tests.factories import PASSWORD, make_item


def fill_item(page, title: str, summary: str) -> None:
    page.locator("#title").fill(title)
    page.locator("#summary").fill(summary)
    page.get_by_label("Circulair").check()
    page.get_by_label("Asfalt en wegverharding").check()
    page.locator("#status").select_option("published")


def test_publish_find_basket_and_revise(live_server, page, world, axe, tmp_path):
    base = live_server
    hidden = make_item(
        "tender", world.heumen, visibility="members", title="Besloten asfaltbestek Heumen"
    )
    log_in(page, base, world.utrecht_member.email, PASSWORD)

    page.goto(base + "/aanbestedingen/nieuw")
    axe.check(page, "k01-tender-form")
    fill_item(
        page, "Asfaltonderhoud met MKI-gunning", "BPKV met fictieve korting op de MKI-waarde."
    )
    page.locator("#cpv_codes").fill("45233220")
    page.locator("#procedure").select_option("openbare-procedure")
    page.locator("#award_method").select_option("bpkv")
    page.locator("#value_min").fill("1200000")
    page.locator("#mvi-0-theme").select_option("circulair")
    page.locator("#mvi-0-instrument").select_option("aanmoedigen")
    page.locator("#mvi-0-weight_percent").fill("30")
    page.get_by_role("button", name="Opslaan").click()
    assert page.locator("h1").inner_text() == "Asfaltonderhoud met MKI-gunning"
    tender_url = page.url

    pdf = tmp_path / "Gunningsrapport.pdf"
    pdf.write_bytes(demo_pdf(["Gunningsrapport asfalt", "MKI-waarde winnaar 198.000 euro"]))
    page.locator("#file").set_input_files(str(pdf))
    page.get_by_role("button", name="Bijlage uploaden").click()
    assert (
        "Gunningsrapport.pdf"
        in page.locator("#bijlagen ~ ul, section[aria-labelledby=bijlagen]").first.inner_text()
    )
    axe.check(page, "k02-tender")

    tender_slug = tender_url.rstrip("/").rsplit("/", 1)[1]
    for title in ("MKI als gunningscriterium", "Minimumeis CO2-uitstoot asfaltcentrale"):
        page.goto(base + "/criteria/nieuw")
        fill_item(page, title, "Herbruikbare tekst.")
        page.locator("#clause_text").fill(
            f"{title}: de inschrijver levert een MKI-berekening per variant."
        )
        page.get_by_role("button", name="Opslaan").click()
        page.locator("#target").fill(f"/aanbestedingen/{tender_slug}")
        page.get_by_role("button", name="Koppelen").click()
        assert "De koppeling is opgeslagen." in page.locator(".alert-success").inner_text()
    axe.check(page, "k03-criterion")

    page.goto(tender_url)
    linked = page.locator("section[aria-labelledby=koppelingen]").inner_text()
    assert "MKI als gunningscriterium" in linked and "Minimumeis CO2-uitstoot" in linked
    for path in (
        "/aanbestedingen/",
        "/themas/circulair",
        "/productgroepen/asfalt-en-wegverharding",
        "/organisaties/gemeente-utrecht",
    ):
        page.goto(base + path)
        assert "Asfaltonderhoud met MKI-gunning" in page.locator("main").inner_text(), path
    axe.check(page, "k04-organisation-dossier")
    page.goto(base + "/aanbestedingen/")
    axe.check(page, "k05-tender-list")
    log_out(page)

    # Another member puts a criterion in the basket and downloads the Word file.
    log_in(page, base, world.outsider.email, PASSWORD)
    page.goto(base + "/criteria/")
    page.get_by_role("link", name="MKI als gunningscriterium").click()
    page.get_by_role("button", name="In het mandje").click()
    page.goto(base + "/mandje")
    axe.check(page, "k06-basket")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download als Word (DOCX)").click()
    data = download_info.value.path().read_bytes()
    assert (
        "MKI-berekening per variant"
        in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    )
    log_out(page)

    # An editor changes the tender; the change shows as a revision with a diff.
    log_in(page, base, world.utrecht_editor.email, PASSWORD)
    page.goto(tender_url + "/bewerken")
    page.locator("#title").fill("Asfaltonderhoud met MKI-gunning (herzien)")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("link", name="2 versies").click()
    diff = page.locator("main").inner_text()
    assert "Asfaltonderhoud met MKI-gunning (herzien)" in diff and "Joris Hendriks" in diff
    axe.check(page, "k07-revisions")
    log_out(page)

    # A visitor sees the public tender, never the members-only one.
    for path in (
        "/aanbestedingen/",
        "/themas/circulair",
        "/productgroepen/asfalt-en-wegverharding",
        "/organisaties/gemeente-heumen",
        "/",
    ):
        page.goto(base + path)
        assert "Besloten asfaltbestek Heumen" not in page.content(), path
    response = page.goto(f"{base}/aanbestedingen/{hidden.slug}")
    assert response.status == 404
    page.goto(tender_url)
    main = page.locator("main").inner_text()
    assert (
        "Gunningsrapport.pdf" in main and "Hoe MVI is toegepast" in main
    )  # the edit kept the MVI rows
    axe.check(page, "k08-tender-visitor")
