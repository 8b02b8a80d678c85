"""In a real browser: the OCDS import page, its summary after an import and a refused file pass
axe."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.browser import log_in
from tests.factories import PASSWORD

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ocds"


def test_the_ocds_import_page_passes_axe(live_server, page, world, axe, tmp_path):
    log_in(page, live_server, world.utrecht_editor.email, PASSWORD)
    page.goto(f"{live_server}/aanbestedingen/importeren-ocds")
    assert page.locator("h1").inner_text() == "Aanbestedingen importeren uit OCDS"
    axe.check(page, "ocds-import")
    page.get_by_label("OCDS-bestand (JSON)").set_input_files(str(FIXTURES / "package.json"))
    page.get_by_role("button", name="Importeren").click()
    result = page.get_by_role("region", name="Resultaat van de import").inner_text()
    assert "1 aangemaakt" in result and "Schoonmaak gemeentelijke gebouwen" in result
    axe.check(page, "ocds-imported")
    bad = tmp_path / "kapot.json"
    bad.write_text("{niet json", encoding="utf-8")
    page.get_by_label("OCDS-bestand (JSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Importeren").click()
    assert (
        "geen geldige JSON"
        in page.get_by_role("region", name="Probleem met het bestand").inner_text()
    )
    axe.check(page, "ocds-refused")
