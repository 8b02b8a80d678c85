"""Every kind of page is valid HTML by the Nu Html Checker (vnu.jar; `make vnu` installs it)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.common import utcnow
from portal.extensions import db
from portal.monitor import services as monitor
from portal.permissions import SYSTEM
from tests.conftest import login
from tests.factories import make_item
from tests.test_a11y import BIDS, CONTRACT, MVI

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = Path(
    os.environ.get("VNU_JAR") or ROOT / ".venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
)


def vnu_errors(files: list[Path]) -> list[str]:
    """Run the checker once over all files; its errors as 'file:line: message'."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.fail(f"The Nu Html Checker is missing (java, {VNU_JAR}): run `make vnu`.")
    result = subprocess.run(  # noqa: S603 (a fixed command over files this test wrote)
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]


def test_pages_are_valid_html(app, client, world, as_user, tmp_path):
    fields = {"mvi": MVI, "bids": BIDS, "contract_results": CONTRACT}
    tender = make_item("tender", world.utrecht, title="Asfalt met MKI", fields=fields)
    criterion = make_item("criterion", world.utrecht, title="MKI-waarde voor asfalt")
    plan = make_item("plan", world.utrecht, title="Actieplan MVI", fields={"goals": [
        {"goal": "Meer social return", "theme": "social-return", "indicator": "handmatig",
         "baseline": 10, "target": 40, "target_year": 2100, "unit": "banen"}],
        "measurements": [{"goal": 1, "date": "2025-06-30", "value": 20, "source": "Jaarverslag"}],
        "actions": [{"action": "Convenant", "goal": 1, "status": "bezig"}]})  # fmt: skip
    follow_pages = [
        "/themas/circulair",
        "/productgroepen/asfalt-en-wegverharding",
        f"/organisaties/{world.utrecht.slug}",
        f"/regios/{world.heumen.regions[0].slug}",
        f"/werkgroepen/{world.open_group.slug}",
    ]
    pages: dict[str, str] = {}

    def get(name: str, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[name] = response.get_data(as_text=True)

    for n in range(3):  # three match both words: the rest go below "Minder passend"
        make_item("lesson", world.utrecht, title=f"Asfalt en bermen {n}")
    for url in ["/", "/aanbestedingen/", "/zoeken?q=asfalt", f"/aanbestedingen/{tender.slug}",
                f"/criteria/{criterion.slug}", "/api/v1/docs", "/zoeken?q=asfalt+bermen",
                *follow_pages]:  # fmt: skip
        get("visitor" + url, url)
    assert "Asfalt met MKI" in pages["visitor/zoeken?q=asfalt"]  # the search page with results
    assert "Minder passend</h2>" in pages["visitor/zoeken?q=asfalt+bermen"]

    as_user(world.utrecht_editor)
    failed = client.post("/aanbestedingen/nieuw", data={"title": ""})
    assert failed.status_code == 400
    pages["failed-submit"] = failed.get_data(as_text=True)
    # API tokens: the form after a failed submit, the token shown once, the account's list.
    failed = client.post("/account/api-tokens/nieuw", data={"name": "", "scope": "read"})
    assert failed.status_code == 400
    pages["token-failed"] = failed.get_data(as_text=True)
    made = client.post("/account/api-tokens/nieuw", data={"name": "Koppeling", "scope": "write",
                       "expires_on": utcnow().date().isoformat()})  # fmt: skip
    assert made.status_code == 200
    pages["token-made"] = made.get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = True  # the pages as served, with their tokens
    for url in ["/", "/aanbestedingen/nieuw", f"/aanbestedingen/{tender.slug}",
                f"/aanbestedingen/{tender.slug}/bewerken", f"/criteria/{criterion.slug}",
                f"/actieplannen/{plan.slug}", f"/actieplannen/{plan.slug}/bewerken",
                f"/actieplannen/{plan.slug}/rapportage", "/account", "/account/api-tokens/nieuw",
                *follow_pages]:  # fmt: skip
        get("editor" + url, url)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert login(client, world.utrecht_admin.email).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    get("members", f"/organisaties/{world.utrecht.slug}/leden")
    records = f"/organisaties/{world.utrecht.slug}/monitor/registraties"
    monitor.create_record(
        world.utrecht,
        monitor.RecordData(reference="R-1", title="Verlichting", year=2024, value_min=1000,
                           mvi=[{"theme": "circulair", "instrument": "voorschrijven"}]),
        actor=SYSTEM,
    )  # fmt: skip
    db.session.commit()
    for name, url in [("monitor-index", records), ("monitor-new", f"{records}/nieuw"),
                      ("monitor-overview", f"/organisaties/{world.utrecht.slug}/monitor"),
                      ("monitor-upload", f"{records}/uploaden"),
                      ("monitor-behind", f"/organisaties/{world.utrecht.slug}/monitor/aanbestedingen?thema=circulair")]:  # fmt: skip
        get(name, url)
    # The tender calendar: the calendar, a plan with an overlap and its interest buttons, the
    # form (blank and after a failed submit) and the import.
    from portal.planning import services as planning

    for organisation, title in ((world.utrecht, "Schoonmaak stadskantoor"), (world.heumen, "Schoonmaak Heumen")):  # fmt: skip
        organisation.regions = [world.heumen.regions[0]]
        made = planning.create_planned_tender(
            organisation,
            planning.PlanData(
                title=title, product_group="schoonmaak", year=2027, quarter=2, visibility="public"
            ),
            actor=SYSTEM,
        )
    db.session.commit()
    calendar = f"/organisaties/{world.utrecht.slug}/inkoopkalender"
    for name, url in [("calendar", "/inkoopkalender"), ("calendar-own", calendar),
                      ("calendar-new", f"{calendar}/nieuw"), ("calendar-import", f"{calendar}/importeren"),
                      ("calendar-plan", f"/inkoopkalender/{made.id}")]:  # fmt: skip
        get(name, url)
    assert "Belangstelling om samen in te kopen" in pages["calendar-plan"]
    app.config["WTF_CSRF_ENABLED"] = False
    failed = client.post(f"{calendar}/nieuw", data={"title": "", "quarter": "5"})
    assert failed.status_code == 400
    pages["calendar-failed"] = failed.get_data(as_text=True)
    # The OCDS import: the form, its summary after an import, and a refused file.
    get("ocds-import", "/aanbestedingen/importeren-ocds")
    fixtures = Path(__file__).parent / "fixtures" / "ocds"
    for name, content, status in (("ocds-imported", (fixtures / "package.json").read_bytes(), 200),
                                  ("ocds-refused", b"{niet json", 400)):  # fmt: skip
        sent = client.post(
            "/aanbestedingen/importeren-ocds",
            data={"file": (io.BytesIO(content), "tenderned.json")},
            content_type="multipart/form-data",
        )
        assert sent.status_code == status
        pages[name] = sent.get_data(as_text=True)

    files = []
    for n, (name, html) in enumerate(pages.items()):
        path = tmp_path / f"{n:02d}-{name.strip('/').replace('/', '_').replace('?', '_')}.html"
        path.write_text(html)
        files.append(path)
    assert vnu_errors(files) == []


def test_the_checker_finds_what_this_test_guards_against(tmp_path):
    """A page with the two faults fixed here fails, so a broken checker cannot pass silently."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="nl"><head><title>x</title></head><body>'
        '<p><form method="post"><input type="hidden" id="csrf_token" name="a"></form></p>'
        '<form method="post"><input type="hidden" id="csrf_token" name="b"></form></body></html>'
    )
    errors = vnu_errors([bad])
    assert any("Duplicate ID “csrf_token”" in e for e in errors), errors
    assert any("“p” end tag" in e for e in errors), errors
