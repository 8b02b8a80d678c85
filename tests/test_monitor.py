"""Monitor records: who sees and writes them, the form, the spreadsheet upload, promotion to an
example tender, and the organisation's monitor population on a small set with known answers."""

from __future__ import annotations

import csv
import io

import pytest
from flask_login import AnonymousUserMixin
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal import permissions as p
from portal.content import services as content
from portal.extensions import db
from portal.monitor import services
from portal.monitor.models import MonitorRecord, MonitorRecordMvi
from portal.monitor.queries import population, summarise_population
from portal.permissions import SYSTEM, PermissionDenied
from portal.tenders.models import Tender
from tests.factories import make_item, make_user

BASE = "/organisaties/gemeente-utrecht/monitor/registraties"


def record(organisation, reference="R-1", **overrides) -> MonitorRecord:
    values = {"reference": reference, "title": f"Aanbesteding {reference}", "year": 2024}
    values.update(overrides)
    made = services.create_record(organisation, services.RecordData(**values), actor=SYSTEM)
    db.session.commit()
    return made


def count_records() -> int:
    return db.session.scalar(select(func.count()).select_from(MonitorRecord))


# --- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, may_view, may_edit",
    [
        ("utrecht_admin", True, True),
        ("utrecht_editor", True, True),
        ("utrecht_member", True, False),
        ("heumen_admin", False, False),
        ("outsider", False, False),
        ("moderator", False, False),
        ("site_admin", False, False),
        (None, False, False),
    ],
)
def test_permission_functions(world, who, may_view, may_edit):
    user = getattr(world, who) if who else AnonymousUserMixin()
    made = record(world.utrecht)
    assert p.can_view_monitor_records(user, world.utrecht) is may_view
    assert p.can_view_monitor_record(user, made) is may_view
    assert p.can_edit_monitor_records(user, world.utrecht) is may_edit
    assert p.can_edit_monitor_record(user, made) is may_edit
    assert p.can_promote_monitor_record(user, made) is may_edit


def test_an_unverified_or_pending_member_sees_no_records(world):
    from portal.organisations import services as organisations

    unverified = make_user("nieuw@utrecht.nl", verified=False)
    organisations.add_member(world.utrecht, unverified, "editor", actor=SYSTEM)
    pending = make_user("wacht@utrecht.nl")
    organisations.request_membership(world.utrecht, actor=pending)
    db.session.commit()
    for user in (unverified, pending):
        assert not p.can_view_monitor_records(user, world.utrecht)
        assert not p.can_edit_monitor_records(user, world.utrecht)


def test_a_promoted_record_cannot_be_promoted_again(world):
    made = record(world.utrecht)
    services.promote_record(made, actor=world.utrecht_editor)
    assert not p.can_promote_monitor_record(world.utrecht_editor, made)


def test_every_write_refuses_someone_without_permission(world):
    made = record(world.utrecht)
    data = services.RecordData(reference="X", title="X", year=2024)
    for user in (world.utrecht_member, world.heumen_admin, world.outsider):
        with pytest.raises(PermissionDenied):
            services.create_record(world.utrecht, data, actor=user)
        with pytest.raises(PermissionDenied):
            services.update_record(made, data, actor=user)
        with pytest.raises(PermissionDenied):
            services.delete_record(made, actor=user)
        with pytest.raises(PermissionDenied):
            services.upload_records(world.utrecht, "a.csv", b"referentie;titel;jaar\n", actor=user)
        with pytest.raises(PermissionDenied):
            services.promote_record(made, actor=user)
    db.session.rollback()
    assert count_records() == 1 and db.session.get(MonitorRecord, made.id).title != "X"


def test_pages_members_read_editors_write_strangers_get_404(client, world, as_user):
    made = record(world.utrecht)
    pages = [
        f"{BASE}/nieuw",
        f"{BASE}/{made.id}/bewerken",
        f"{BASE}/uploaden",
    ]
    assert client.get(BASE).status_code == 302  # to the login page
    for who in ("outsider", "heumen_admin", "moderator", "site_admin"):
        as_user(getattr(world, who))
        assert client.get(BASE).status_code == 404
        assert client.get(f"{BASE}/sjabloon.csv").status_code == 404
        for page in pages:
            assert client.get(page).status_code == 404
        assert client.post(f"{BASE}/{made.id}/verwijderen").status_code == 404
        assert client.post(f"{BASE}/{made.id}/voorbeeld").status_code == 404
        client.post("/uitloggen")
    as_user(world.utrecht_member)
    listing = client.get(BASE)
    assert listing.status_code == 200 and "Aanbesteding R-1" in listing.get_data(as_text=True)
    assert "Registratie toevoegen" not in listing.get_data(as_text=True)
    for page in pages:
        assert client.get(page).status_code == 403
    assert client.post(f"{BASE}/{made.id}/verwijderen").status_code == 403
    assert client.post(f"{BASE}/{made.id}/voorbeeld").status_code == 403
    client.post("/uitloggen")
    as_user(world.utrecht_editor)
    for page in pages:
        assert client.get(page).status_code == 200
    assert count_records() == 1


def test_a_record_of_another_organisation_is_404_under_this_one(client, world, as_user):
    theirs = record(world.heumen)
    as_user(world.utrecht_editor)
    assert client.get(f"{BASE}/{theirs.id}/bewerken").status_code == 404
    assert client.post(f"{BASE}/{theirs.id}/verwijderen").status_code == 404
    assert db.session.get(MonitorRecord, theirs.id) is not None


def test_records_are_not_knowledge_items(client, world, as_user):
    record(world.utrecht, title="Zeldzaamwoord maaien bermen")
    as_user(world.utrecht_admin)
    page = client.get("/zoeken?q=zeldzaamwoord").get_data(as_text=True)
    assert "Zeldzaamwoord maaien" not in page
    assert "Zeldzaamwoord" not in client.get("/api/search?q=zeldzaamwoord").get_data(as_text=True)
    assert "Zeldzaamwoord" not in client.get("/aanbestedingen/").get_data(as_text=True)


def test_the_organisation_page_links_the_records_for_members_only(client, world, as_user):
    record(world.utrecht)
    link = f'href="{BASE}"'
    assert link not in client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    as_user(world.heumen_admin)
    assert link not in client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    client.post("/uitloggen")
    as_user(world.utrecht_member)
    page = client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    assert link in page and "1 registratie bekijken" in page


# --- The form --------------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {
        "reference": "2024-017", "title": "Onderhoud openbare verlichting", "year": "2024",
        "value_min": "250000", "value_max": "500000", "product_group": "", "cpv_code": "50232100",
        "procedure": "openbare-procedure", "award_method": "bpkv", "mvi_applied": "y",
        "mvi-0-theme": "circulair", "mvi-0-instrument": "voorschrijven",
        "mvi-0-ambition_level": "significant", "mvi-1-theme": "", "mvi-1-instrument": "",
        "mvi-1-ambition_level": "", "realised_percent": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_an_editor_adds_edits_and_deletes_a_record(client, world, as_user):
    as_user(world.utrecht_editor)
    response = client.post(f"{BASE}/nieuw", data=form_data())
    assert response.status_code == 302, response.get_data(as_text=True)
    made = db.session.scalar(select(MonitorRecord))
    assert (made.reference, made.year, made.value_min, made.value_max, made.value) == (
        "2024-017", 2024, 250000, 500000, 375000
    )  # fmt: skip
    assert made.procedure.slug == "openbare-procedure" and made.mvi_applied
    assert [(r.theme.slug, r.instrument.slug, r.ambition_level.slug) for r in made.mvi_rows] == [
        ("circulair", "voorschrijven", "significant")
    ]
    assert made.created_by_id == world.utrecht_editor.id and not made.demo
    page = client.get(f"{BASE}/{made.id}/bewerken").get_data(as_text=True)
    assert 'value="2024-017"' in page
    response = client.post(
        f"{BASE}/{made.id}/bewerken",
        data=form_data(title="Verlichting LED", **{"mvi-0-theme": "", "mvi-0-instrument": "",
                       "mvi-0-ambition_level": "", "mvi_applied": ""}),
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    made = db.session.get(MonitorRecord, made.id)
    assert made.title == "Verlichting LED" and made.mvi_rows == [] and not made.mvi_applied
    assert client.post(f"{BASE}/{made.id}/verwijderen").status_code == 302
    assert count_records() == 0
    assert db.session.scalar(select(func.count()).select_from(MonitorRecordMvi)) == 0


@pytest.mark.parametrize(
    "overrides, message, status",
    [
        ({"reference": ""}, "Dit veld is verplicht", 400),
        ({"year": "1850"}, "Vul een jaar in", 400),
        ({"value_min": "500", "value_max": "100"}, "bovengrens van de waarde is lager", 400),
        ({"cpv_code": "1234"}, "geen geldige CPV-code", 400),
        ({"realised_percent": "120"}, "tussen 0 en 100", 400),
        ({"mvi-0-theme": "", "mvi-0-instrument": "voorschrijven"}, "Kies bij elke MVI-rij een thema", 400),
        ({"reference": "BESTAAND"}, "al een registratie met deze referentie", 409),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_dutch_message(
    client, world, as_user, overrides, message, status
):
    record(world.utrecht, "BESTAAND")
    as_user(world.utrecht_editor)
    response = client.post(f"{BASE}/nieuw", data=form_data(**overrides))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count_records() == 1


def test_the_list_filters_by_year_and_pages(client, world, as_user):
    for n in range(55):
        services.create_record(
            world.utrecht,
            services.RecordData(reference=f"A{n:02d}", title=f"Titel {n}", year=2020 + n % 2),
            actor=SYSTEM,
        )
    db.session.commit()
    as_user(world.utrecht_member)
    page = client.get(f"{BASE}?jaar=2021").get_data(as_text=True)
    assert "A01" in page and "A00" not in page and "27 aanbestedingen" in page
    assert "A54" in client.get(f"{BASE}?pagina=2").get_data(as_text=True)
    assert client.get(f"{BASE}?jaar=abc").status_code == 400
    assert client.get(f"{BASE}?pagina=9").status_code == 404


# --- Upload -----------------------------------------------------------------------------------------

HEADER = "referentie;titel;jaar;waarde_vanaf;waarde_tot;productgroep;cpv;procedure;gunningsmethode;mvi_toegepast;mvi;realisatie_procent"


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def upload(client, content: bytes, name: str = "registraties.csv"):
    return client.post(
        f"{BASE}/uploaden",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_good_csv_creates_records_and_a_re_upload_updates_them(client, world, as_user):
    as_user(world.utrecht_editor)
    good = csv_file(
        "U-1;Schoonmaak;2023;100000;200000;;;openbare-procedure;bpkv;ja;social-return:voorschrijven:basis; ;",
        "U-2;Kantoorpapier;2023;;;;30197630;;laagste-prijs;nee;;",
    )
    response = upload(client, good)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "2 registraties toegevoegd, 0 bijgewerkt" in client.get(BASE).get_data(as_text=True)
    first = db.session.scalar(select(MonitorRecord).where(MonitorRecord.reference == "U-1"))
    assert first.value == 150000 and first.mvi_rows[0].theme.slug == "social-return"
    changed = csv_file("U-1;Schoonmaak kantoren;2024;100000;200000;;;;;ja;;75")
    assert upload(client, changed).status_code == 302
    assert "0 registraties toegevoegd, 1 bijgewerkt" in client.get(BASE).get_data(as_text=True)
    db.session.expire_all()
    assert count_records() == 2
    first = db.session.scalar(select(MonitorRecord).where(MonitorRecord.reference == "U-1"))
    assert (first.title, first.year, first.realised_percent) == ("Schoonmaak kantoren", 2024, 75)


def test_bad_rows_are_named_and_nothing_is_written(client, world, as_user):
    record(world.utrecht, "U-1", title="Ongewijzigd")
    as_user(world.utrecht_editor)
    bad = csv_file(
        "U-1;Wel goed;2023;;;;;;;ja;;",
        "U-2;;2023;;;;;;;nee;;",
        "U-3;Jaar fout;twintig;;;;;;;nee;;",
        "U-4;Thema fout;2023;;;;;;;ja;onbekend-thema:voorschrijven;",
        "U-5;Misschien;2023;;;;;;;misschien;;",
        "U-1;Dubbel;2023;;;;;;;nee;;",
    )
    response = upload(client, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Rij 3, kolom &#39;titel&#39;: Vul de titel in.",
        "Rij 4, kolom &#39;jaar&#39;: Het jaar moet een geheel getal zijn.",
        "Rij 5, kolom &#39;mvi&#39;: Onbekende waarde &#39;onbekend-thema&#39; voor het thema.",
        "Rij 6, kolom &#39;mvi_toegepast&#39;: Vul bij MVI toegepast &#39;ja&#39; of &#39;nee&#39; in.",
        "Rij 7, kolom &#39;referentie&#39;: dezelfde referentie staat al in rij 2.",
    ):
        assert message in page
    db.session.expire_all()
    assert count_records() == 1
    assert db.session.scalar(select(MonitorRecord.title)) == "Ongewijzigd"


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"titel;jaar\nA;2023\n", "a.csv", "De kolom &#39;referentie&#39; ontbreekt"),
        (
            b"referentie;titel;jaar;kleur\nA;B;2023;rood\n",
            "a.csv",
            "Onbekende kolom &#39;kleur&#39;",
        ),
        (b"", "a.csv", "Het bestand is leeg"),
        (b"referentie;titel;jaar\n", "a.csv", "geen rijen onder de kopregel"),
        (b"%PDF-1.4", "a.pdf", "Upload een CSV- of XLSX-bestand"),
        (b"not a zip", "a.xlsx", "kan niet worden gelezen"),
    ],
)
def test_a_bad_file_is_refused(client, world, as_user, content, name, message):
    as_user(world.utrecht_editor)
    response = upload(client, content, name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count_records() == 0


def test_the_templates_download_and_upload_again(client, world, as_user):
    as_user(world.utrecht_editor)
    csv_response = client.get(f"{BASE}/sjabloon.csv")
    assert (
        csv_response.status_code == 200
        and "attachment" in csv_response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [header for _name, header, _example in services.COLUMNS]
    assert rows[1][0] == "2024-INK-017" and len(rows) == 2
    xlsx_response = client.get(f"{BASE}/sjabloon.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx_response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == rows[0] and values[1][2] == 2024  # numbers as numbers
    assert upload(client, xlsx_response.data, "sjabloon.xlsx").status_code == 302
    made = db.session.scalar(select(MonitorRecord))
    assert made.reference == "2024-INK-017" and made.year == 2024 and made.mvi_rows
    assert upload(client, csv_response.data, "sjabloon.csv").status_code == 302
    assert count_records() == 1  # the same reference: updated, not duplicated


def test_an_xlsx_with_a_bad_row_names_it(client, world, as_user):
    book = Workbook()
    book.active.append(["referentie", "titel", "jaar", "waarde_vanaf"])
    book.active.append(["X-1", "Goed", 2022, 1000.0])
    book.active.append(["X-2", "Fout", 2022, -5])
    out = io.BytesIO()
    book.save(out)
    as_user(world.utrecht_editor)
    response = upload(client, out.getvalue(), "lijst.xlsx")
    assert response.status_code == 400
    assert "Rij 3, kolom &#39;waarde_vanaf&#39;" in response.get_data(as_text=True)
    assert count_records() == 0


# --- Promotion ------------------------------------------------------------------------------------


def test_promotion_makes_a_linked_draft_tender_and_opens_its_editor(client, world, as_user):
    made = record(
        world.utrecht, "P-1", title="Bermmaaien", year=2023, value_min=40000, value_max=60000,
        cpv_code="77312000", procedure="openbare-procedure", award_method="bpkv",
        product_group="asfalt-en-wegverharding",
        mvi=[{"theme": "klimaat", "instrument": "aanmoedigen", "ambition_level": "ambitieus"}],
    )  # fmt: skip
    as_user(world.utrecht_editor)
    response = client.post(f"{BASE}/{made.id}/voorbeeld")
    tender = db.session.scalar(select(Tender))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/aanbestedingen/{tender.slug}/bewerken"
    assert (tender.title, tender.status, tender.year, tender.value_min, tender.value_max) == (
        "Bermmaaien", "draft", 2023, 40000, 60000
    )  # fmt: skip
    assert tender.tender_reference == "P-1" and tender.cpv_codes == "77312000"
    assert tender.procedure.slug == "openbare-procedure" and tender.award_method.slug == "bpkv"
    assert [t.slug for t in tender.themes] == ["klimaat"]
    assert [g.slug for g in tender.product_groups] == ["asfalt-en-wegverharding"]
    assert tender.mvi[0]["instrument"] == "aanmoedigen"
    assert tender.author_id == world.utrecht_editor.id
    assert db.session.get(MonitorRecord, made.id).tender_id == tender.id
    assert client.get(f"/aanbestedingen/{tender.slug}/bewerken").status_code == 200
    again = client.post(f"{BASE}/{made.id}/voorbeeld", follow_redirects=True)
    assert "al een voorbeeldaanbesteding" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Tender)) == 1


# --- The population --------------------------------------------------------------------------------


def test_the_population_counts_records_and_own_tenders_once(world):
    mvi = [{"theme": "circulair", "instrument": "voorschrijven", "ambition_level": "basis"}]
    record(world.utrecht, "A", year=2023, value_min=100, value_max=300, mvi_applied=True)
    record(world.utrecht, "B", year=2023)
    promoted = record(world.utrecht, "C", year=2024, value_min=1000, mvi=mvi)
    record(world.heumen, "H", year=2023, value_min=5, mvi_applied=True)  # another organisation
    tender = services.promote_record(promoted, actor=SYSTEM)
    content.set_status(tender, "published", actor=SYSTEM)  # counted once, as its record
    make_item("tender", world.utrecht, fields={"value_min": 500, "value_max": 700, "mvi": mvi})
    shared = make_item("tender", world.heumen)  # 1,000,000, no MVI; co-owned by Utrecht
    shared.co_owners.append(world.utrecht)
    make_item("tender", world.utrecht, status="draft", fields={"mvi": mvi})  # not run yet
    make_item("tender", world.heumen, fields={"mvi": mvi})  # Heumen's alone
    hidden = make_item("tender", world.utrecht, fields={"mvi": mvi})
    hidden.hidden_at = hidden.created_at
    db.session.commit()

    rows = db.session.execute(
        select(population(world.utrecht.id)).order_by("source", "record_id", "tender_id")
    ).all()
    assert [(r.source, r.year, r.value, r.mvi_applied) for r in rows] == [
        ("record", 2023, 200, 1),
        ("record", 2023, None, 0),
        ("record", 2024, 1000, 1),
        ("tender", 2022, 600, 1),
        ("tender", 2022, 1000000, 0),
    ]
    summary = summarise_population(world.utrecht.id)
    assert (summary.tenders, summary.with_mvi, summary.value, summary.value_with_mvi) == (
        5, 3, 1001800, 1800
    )  # fmt: skip
    assert summary.share == 60 and summary.value_share == 0
    year = summarise_population(world.utrecht.id, 2023)
    assert (year.tenders, year.with_mvi, year.share, year.value) == (2, 1, 50, 200)
    heumen = summarise_population(world.heumen.id)
    # Heumen: its record, its shared tender, its own tender with MVI.
    assert (heumen.tenders, heumen.with_mvi) == (3, 2)
    assert summarise_population(world.utrecht.id, 2019).share is None


# --- Demo data ----------------------------------------------------------------------------------------


def test_demo_records_are_the_same_every_run_and_load_once(world):
    from portal.monitor.demo import demo_records

    first, again = demo_records(world.heumen), demo_records(world.heumen)
    assert first == again and 24 <= len(first) < 100
    assert len(demo_records(world.utrecht)) >= 200  # a large municipality: a few hundred
    assert {r.year for r in first} == set(range(2019, 2027))
    added = services.load_demo_records(world.heumen, first, actor=SYSTEM)
    db.session.commit()
    assert added == len(first) == count_records()
    assert services.load_demo_records(world.heumen, first, actor=SYSTEM) == 0
    stored = db.session.scalars(select(MonitorRecord).order_by(MonitorRecord.reference)).all()
    assert all(r.demo for r in stored)
    by_reference = {r.reference: r for r in first}
    for made in stored:
        data = by_reference[made.reference]
        assert (made.year, made.value_min, made.mvi_applied) == (
            data.year, data.value_min, data.mvi_applied
        )  # fmt: skip
        assert sorted(row.theme.slug for row in made.mvi_rows) == sorted(
            row["theme"] for row in data.mvi
        )
    with pytest.raises(PermissionDenied):
        services.load_demo_records(world.utrecht, first, actor=world.utrecht_member)
