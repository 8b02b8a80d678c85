"""In a real browser: an editor's monitor records pages, with a failed upload, and the monitor's
chart page pass axe."""

from __future__ import annotations

from portal.extensions import db
from portal.monitor import services
from portal.permissions import SYSTEM
from tests.e2e.browser import log_in
from tests.factories import PASSWORD


def test_monitor_record_pages_pass_axe(live_server, page, world, axe, tmp_path):
    made = services.create_record(
        world.utrecht,
        services.RecordData(
            reference="2024-INK-017", title="Onderhoud openbare verlichting", year=2024,
            value_min=250000, value_max=500000, mvi_applied=True,
            mvi=[{"theme": "circulair", "instrument": "voorschrijven", "ambition_level": "basis"}],
        ),
        actor=SYSTEM,
    )  # fmt: skip
    db.session.commit()
    log_in(page, live_server, world.utrecht_editor.email, PASSWORD)
    base = f"{live_server}/organisaties/gemeente-utrecht/monitor/registraties"
    page.goto(f"{live_server}/organisaties/gemeente-utrecht")
    page.get_by_role("link", name="1 registratie bekijken").click()
    assert page.locator("h1").inner_text() == "Registraties van Gemeente Utrecht"
    axe.check(page, "monitor-index")
    for name, path in [
        ("new", "/nieuw"),
        ("edit", f"/{made.id}/bewerken"),
        ("upload", "/uploaden"),
    ]:
        page.goto(base + path)
        axe.check(page, f"monitor-{name}")
    bad = tmp_path / "registraties.csv"
    bad.write_text("referentie;titel;jaar\nX-1;;2024\n", encoding="utf-8")
    page.get_by_label("Spreadsheet (CSV of XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Uploaden").click()
    assert (
        "Rij 2, kolom 'titel'"
        in page.get_by_role("region", name="Problemen in het bestand").inner_text()
    )
    axe.check(page, "monitor-upload-failed")
    page.goto(f"{live_server}/organisaties/gemeente-utrecht")
    page.get_by_role("link", name="De MVI-monitor van Gemeente Utrecht").click()
    assert page.locator("h1").inner_text() == "MVI-monitor van Gemeente Utrecht"
    assert page.get_by_role("img", name="Aandeel aanbestedingen met MVI, naar aantal").is_visible()
    axe.check(page, "monitor-overview")
    page.goto(base + "/nieuw")
    page.get_by_role("button", name="Opslaan").click()
    assert page.locator(".error-summary").is_visible()
    axe.check(page, "monitor-new-failed")
