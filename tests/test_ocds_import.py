"""OCDS import: TenderNed's shapes (planning, tender, award and contract releases, a package) as
draft tenders through the tender services, re-import by ocid, and every bad file refused with a
Dutch reason, the right status and nothing written."""

from __future__ import annotations

import copy
import html
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.content import services as content
from portal.content.models import Revision
from portal.extensions import db
from portal.ocds import queries, services
from portal.organisations import services as organisations
from portal.permissions import SYSTEM, PermissionDenied
from portal.tenders.models import Tender
from tests.conftest import login
from tests.factories import make_item, make_organisation, make_user

FIXTURES = Path(__file__).parent / "fixtures" / "ocds"
OCID = "ocds-tndr01-350123"


def _file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _json(name: str) -> dict:
    return json.loads(_file(name))


def _count() -> int:
    return db.session.scalar(select(func.count(Tender.id)))


def _revisions(tender: Tender) -> int:
    return db.session.scalar(select(func.count(Revision.id)).where(Revision.item_id == tender.id))


def _import(content: bytes | dict, actor, **options):
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    summary = services.import_ocds(content, actor=actor, **options)
    db.session.commit()
    return summary


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _upload(client, content: bytes | dict, name: str = "tenderned.json"):
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    return client.post(
        "/aanbestedingen/importeren-ocds",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_fixtures_are_valid_ocds():
    from tests.ocds_schema import package_errors, release_errors

    for name in ("planning.json", "tender.json", "award.json", "contract.json"):
        assert release_errors(_json(name)) == [], name
    assert package_errors(_json("package.json")) == []


def test_a_tenderned_package_becomes_one_draft_tender_with_its_stages_merged(world):
    summary = _import(_file("package.json"), world.utrecht_editor)
    assert (len(summary.created), summary.refused) == (1, [])
    tender = db.session.scalar(select(Tender).where(Tender.ocid == OCID))
    assert tender.status == "draft" and tender.organisation == world.utrecht
    assert tender.author == world.utrecht_editor
    assert tender.title == "Schoonmaak gemeentelijke gebouwen 2024-2028"
    assert tender.summary.startswith("Europese openbare aanbesteding")
    assert tender.procedure.slug == "openbare-procedure"
    assert tender.award_method.slug == "bpkv"
    assert tender.cpv_list == ["90911200-8", "90919200"]
    assert (tender.value_min, tender.value_max) == (4000000, 4800000)
    assert str(tender.publication_date) == "2024-03-01"
    assert str(tender.award_date) == "2024-06-20"
    assert tender.duration_months == 48
    assert tender.number_of_bids == 3
    assert tender.tender_reference == "350123"
    assert tender.tender_status == "gegund"  # the contract is active, not yet closed
    assert tender.year == 2024
    assert [(b["bidder"], b["price_eur"], b["winner"]) for b in tender.bids] == [
        ("Schoon BV", 4350000, True),
        ("Glans en Co", 4120000, False),
        ("Helder Facilitair", 4600000, False),  # named by its party
    ]
    assert tender.mvi == []  # the MVI story is the buyer's
    assert _revisions(tender) == 1


def test_separate_stage_files_update_the_tender_and_an_unchanged_one_changes_nothing(world):
    assert len(_import(_file("planning.json"), world.utrecht_editor).created) == 1
    tender = db.session.scalar(select(Tender).where(Tender.ocid == OCID))
    assert tender.tender_status == "in-voorbereiding" and tender.publication_date is None
    # The buyer writes the MVI story meanwhile: a re-import keeps it.
    data = services._data_of(tender)
    data.fields["mvi"] = [{"theme": "social-return", "instrument": "voorschrijven"}]
    data.fields["results"] = "Vijf mensen aan het werk."
    content.update_item(tender, data, actor=world.utrecht_editor)
    db.session.commit()
    updated = _import(_file("tender.json"), world.utrecht_editor)
    assert [ocid for ocid, _title, _slug in updated.updated] == [OCID]
    _import(_file("award.json"), world.utrecht_editor)
    db.session.refresh(tender)
    assert tender.tender_status == "gegund" and len(tender.bids) == 3
    assert tender.procedure.slug == "openbare-procedure"  # from the earlier stage, kept
    assert tender.mvi[0]["theme"] == "social-return" and tender.results_md
    revisions = _revisions(tender)
    again = _import(_file("award.json"), world.utrecht_editor)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 1)
    assert _revisions(tender) == revisions


def test_a_closed_contract_makes_the_tender_afgerond(world):
    package = _json("package.json")
    package["releases"][0]["contracts"][0]["status"] = "terminated"
    _import(package, world.utrecht_editor)
    assert db.session.scalar(select(Tender.tender_status).where(Tender.ocid == OCID)) == "afgerond"


def test_the_export_of_a_tender_imported_into_an_empty_organisation_reproduces_it(app, world):
    fields = {
        "cpv_codes": ["45233220", "44113620-7"], "procedure": "meervoudig-onderhandse-procedure",
        "award_method": "laagste-prijs", "value_min": 80000, "value_max": 120000,
        "duration_months": 18, "publication_date": "2023-02-01", "award_date": "2023-05-15",
        "number_of_bids": 3, "tender_status": "afgerond",
        "bids": [{"bidder": "A", "price_eur": 90000, "quality_score": 7, "mki_eur": 3000, "winner": True},
                 {"bidder": "B", "price_eur": 95000, "quality_score": None, "mki_eur": None}],
    }  # fmt: skip
    original = make_item("tender", world.heumen, title="Kleine wegen", fields=fields)
    with app.test_request_context():
        release = queries.release(original)
    empty = make_organisation("Gemeente Leeg")
    editor = make_user("inkoop@leeg.nl")
    organisations.add_member(empty, editor, "editor", actor=SYSTEM)
    db.session.commit()
    # As another portal would read it: this portal's ocid and the buyer's name are not its own.
    release["ocid"] = "ocds-ander1-kleine-wegen"
    for party in [release["buyer"], *release["parties"]]:
        if party["name"] == "Gemeente Heumen":
            party["name"] = "Gemeente Leeg"
            party.pop("identifier", None)
    summary = _import(release, editor)
    assert summary.refused == [] and len(summary.created) == 1
    copy_ = db.session.scalar(select(Tender).where(Tender.ocid == "ocds-ander1-kleine-wegen"))
    assert copy_.organisation == empty and copy_.status == "draft"
    for name in ("procedure_id", "award_method_id", "cpv_codes", "value_min", "value_max",
                 "duration_months", "publication_date", "award_date", "number_of_bids",
                 "tender_status", "bids", "title", "summary"):  # fmt: skip
        assert getattr(copy_, name) == getattr(original, name), name


def test_the_unchanged_export_of_a_tender_reimported_by_its_editor_changes_nothing(app, world):
    fields = {"bids": [{"bidder": "A", "price_eur": 1, "winner": True}], "number_of_bids": 1,
              "award_date": "2024-01-02", "duration_months": 7}  # fmt: skip
    original = make_item("tender", world.utrecht, title="Rond", fields=fields)
    revisions = _revisions(original)
    with app.test_request_context():
        release = queries.release(original)
    summary = _import(release, world.utrecht_editor)
    assert (summary.created, len(summary.unchanged), summary.refused) == ([], 1, [])
    assert _count() == 1 and _revisions(original) == revisions
    assert original.ocid is None  # still named by its external id


def test_a_release_with_a_problem_is_refused_by_name_and_the_others_go_on(world):
    package = _json("package.json")
    bad = copy.deepcopy(package["releases"][1])
    bad["ocid"] = "ocds-tndr01-999"
    bad["tender"]["value"]["amount"] = "veel"
    nameless = copy.deepcopy(package["releases"][1])
    del nameless["ocid"]
    package["releases"] += [bad, nameless]
    summary = _import(package, world.utrecht_editor)
    assert len(summary.created) == 1
    reasons = {name: reason for name, reason, _status in summary.refused}
    assert "'tender.value.amount' moet een getal zijn" in reasons["ocds-tndr01-999"]
    assert reasons["release 6"] == "De release heeft geen ocid."
    assert _count() == 1


def _rename_buyer(release: dict, name: str) -> None:
    release["buyer"]["name"] = name
    release["parties"] = [{"id": release["buyer"]["id"], "name": name, "roles": ["buyer"]}]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: _rename_buyer(r, "Gemeente Nergens"), "Onbekende koper 'Gemeente Nergens'"),
        (lambda r: r.pop("buyer") and r.pop("parties"), "geen koper"),
        (lambda r: r["tender"].pop("title"), "geen titel"),
        (lambda r: r["tender"].update(value={"amount": 5, "currency": "USD"}), "in USD"),
        (lambda r: r["tender"].update(value={"amount": -5}), "negatief"),
        (lambda r: r["tender"].update(items="CPV"), "'tender.items' moet een lijst zijn"),
        (lambda r: r["tender"]["items"][0]["classification"].update(id="123"), "geen geldige CPV-code"),
        (lambda r: r["tender"]["tenderPeriod"].update(startDate="gisteren"), "moet een datum zijn"),
        (lambda r: r["tender"].update(numberOfTenderers=True), "moet een getal zijn"),
        (lambda r: r["tender"].update(title=["lijst"]), "moet een tekst zijn"),
        (lambda r: r.update(date=None), "geen datum"),
        (lambda r: r.update(date="maart 2024"), "'date' moet een datum zijn"),
        (lambda r: r["tender"].update(contractPeriod={"durationInDays": 10**400}), "te groot"),
        (lambda r: r["tender"].update(value={"amount": 1e308}), "te groot"),
        (lambda r: r["tender"]["tenderPeriod"].update(startDate="2024-03-01 of later"), "moet een datum zijn"),
    ],
)  # fmt: skip
def test_a_release_with_bad_values_is_refused_in_dutch_and_nothing_is_written(
    client, world, as_user, change, reason
):
    release = _json("tender.json")
    change(release)
    as_user(world.utrecht_editor)
    response = _upload(client, release)
    assert response.status_code == 400
    assert reason in _page(response)
    assert _count() == 0


@pytest.mark.parametrize(
    ("content", "name", "status", "reason"),
    [
        (b"{niet json", "a.json", 400, "geen geldige JSON (regel 1"),
        (b"\xff\xfe\x00", "a.json", 400, "geen UTF-8"),
        (b"[1, 2]", "a.json", 400, "verwacht een JSON-object"),
        (b'{"naam": "geen OCDS"}', "a.json", 400, "Het bestand is geen OCDS"),
        (b'{"releases": {}}', "a.json", 400, "moet 'releases' een lijst zijn"),
        (b'{"releases": []}', "a.json", 400, "bevat geen releases"),
        (None, "a.json", 400, "record package"),
        (b'{"ocid": "ocds-tndr01-1"}', "a.csv", 415, "Kies een JSON-bestand"),
        (b" " * 2048 + b"{}", "a.json", 413, "te groot"),
    ],
)
def test_a_bad_file_is_refused_as_a_whole_with_a_dutch_message(
    app, client, world, as_user, content, name, status, reason
):
    if status == 413:
        app.config["OCDS_MAX_UPLOAD_BYTES"] = 2048
    as_user(world.utrecht_editor)
    try:
        response = _upload(client, content or _file("record-package.json"), name)
    finally:
        app.config["OCDS_MAX_UPLOAD_BYTES"] = 10 * 1024 * 1024
    assert response.status_code == status
    assert reason in _page(response)
    assert "Er is niets opgeslagen" in _page(response)
    assert _count() == 0


def test_the_import_page_needs_a_member_who_may_make_tenders(client, world, as_user):
    page = "/aanbestedingen/importeren-ocds"
    assert client.get(page).status_code == 302  # to the login page
    as_user(world.outsider)
    assert client.get(page).status_code == 403
    assert _upload(client, _file("tender.json")).status_code == 403
    assert _count() == 0


def test_a_member_imports_only_for_their_own_organisation(app, client, world, as_user):
    as_user(world.heumen_admin)  # the buyer is Gemeente Utrecht
    response = _upload(client, _file("package.json"))
    assert response.status_code == 403
    assert "U mag geen aanbestedingen toevoegen voor Gemeente Utrecht" in response.get_data(
        as_text=True
    )
    assert _count() == 0
    client = app.test_client()
    assert login(client, world.utrecht_member.email).status_code == 302  # any approved member
    response = _upload(client, _file("package.json"))
    assert response.status_code == 200
    body = _page(response)
    assert "1 aangemaakt, 0 bijgewerkt, 0 ongewijzigd, 0 geweigerd" in body
    assert "Schoonmaak gemeentelijke gebouwen 2024-2028" in body
    assert _count() == 1


def test_a_reimport_of_a_tender_the_member_may_not_edit_is_refused(client, world, as_user):
    other = make_item("tender", world.utrecht, title="Van een ander", fields={"ocid": OCID})
    as_user(world.utrecht_member)  # not its author, not an editor
    response = _upload(client, _file("tender.json"))
    assert response.status_code == 403
    assert "U mag de aanbesteding 'Van een ander' niet bewerken" in _page(response)
    db.session.refresh(other)
    assert other.title == "Van een ander" and other.value_max == 1000000  # not 4800000
    with pytest.raises(PermissionDenied):
        services.import_ocds(_file("tender.json"), actor=world.outsider)


def test_a_reimport_naming_another_buyer_than_the_tenders_owner_is_refused(world):
    make_item("tender", world.heumen, title="Van Heumen", fields={"ocid": OCID})
    summary = _import(_file("tender.json"), SYSTEM)
    assert summary.refused[0][2] == 403
    assert "hoort bij Gemeente Heumen, niet bij Gemeente Utrecht" in summary.refused[0][1]


def test_the_command_imports_a_file_and_names_what_it_refused(app, world, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ocds", "import", str(FIXTURES / "package.json")])
    assert result.exit_code == 0, result.output
    assert f"aangemaakt: {OCID}" in result.output and "1 aangemaakt" in result.output
    again = runner.invoke(args=["ocds", "import", str(FIXTURES / "package.json")])
    assert "1 ongewijzigd" in again.output
    release = _json("tender.json")
    release["ocid"] = "ocds-tndr01-2"
    _rename_buyer(release, "Onbekend")
    path = tmp_path / "onbekend.json"
    path.write_text(json.dumps(release))
    refused = runner.invoke(args=["ocds", "import", str(path)])
    assert refused.exit_code == 1 and "Onbekende koper 'Onbekend'" in refused.output
    # --organisation: the buyer's name is not in the portal, the member's choice counts.
    chosen = runner.invoke(args=["ocds", "import", str(path), "--organisation", world.heumen.slug])
    assert chosen.exit_code == 0, chosen.output
    made = db.session.scalar(select(Tender).where(Tender.ocid == "ocds-tndr01-2"))
    assert made.organisation == world.heumen
    wrong = runner.invoke(args=["ocds", "import", str(path), "--organisation", "bestaat-niet"])
    assert wrong.exit_code == 1 and "Onbekende organisatie 'bestaat-niet'" in wrong.output
    record = runner.invoke(args=["ocds", "import", str(FIXTURES / "record-package.json")])
    assert record.exit_code == 1 and "record package" in record.output


def test_the_tender_list_offers_the_import_to_members_and_the_open_data_to_all(
    client, world, as_user
):
    page = _page(client.get("/aanbestedingen/"))
    assert "/api/v1/ocds/releases" in page and "/aanbestedingen/importeren-ocds" not in page
    as_user(world.utrecht_member)
    assert "/aanbestedingen/importeren-ocds" in _page(client.get("/aanbestedingen/"))


def test_a_reimport_of_a_tender_the_member_may_not_see_does_not_name_it(client, world, as_user):
    hidden = make_item(
        "tender", world.heumen, title="Geheim concept", status="draft", fields={"ocid": OCID}
    )
    as_user(world.utrecht_editor)  # guesses (or reads on TenderNed) the ocid of Heumen's draft
    response = _upload(client, _file("tender.json"))
    assert response.status_code == 403
    body = _page(response)
    assert "Geheim concept" not in body and "Heumen" not in body
    assert "Een andere aanbesteding heeft deze ocid al" in body
    db.session.refresh(hidden)
    assert hidden.title == "Geheim concept" and _count() == 1


def test_releases_of_one_process_merge_in_the_order_of_their_moments_across_time_zones(world):
    first = _json("tender.json")  # 2024-03-01T10:00:00+01:00 is 09:00 UTC
    later = copy.deepcopy(first)
    later["date"] = "2024-03-01T09:30:00Z"  # half an hour after it, though it sorts before as text
    later["tender"]["title"] = "Schoonmaak, gewijzigd"
    summary = _import({"releases": [later, first]}, world.utrecht_editor)
    assert summary.refused == [] and summary.created[0][1] == "Schoonmaak, gewijzigd"


@pytest.mark.parametrize("status", ["in-voorbereiding", "gepubliceerd", "gegund", "afgerond"])
def test_the_tender_status_survives_the_round_trip_without_bids_or_award_date(app, world, status):
    original = make_item(
        "tender", world.heumen, title="Zonder gunning", fields={"tender_status": status}
    )
    with app.test_request_context():
        release = queries.release(original)
    from tests.ocds_schema import release_errors

    assert release_errors(release) == []
    release["ocid"] = "ocds-ander1-zonder-gunning"
    summary = _import(release, SYSTEM)
    assert summary.refused == [] and len(summary.created) == 1
    copy_ = db.session.scalar(select(Tender).where(Tender.ocid == "ocds-ander1-zonder-gunning"))
    assert copy_.tender_status == status


def test_a_later_stage_release_that_does_not_repeat_the_buyer_updates_the_tender(world):
    assert len(_import(_file("tender.json"), world.utrecht_editor).created) == 1
    award = _json("award.json")
    del award["buyer"]  # OCDS does not ask a later stage to repeat it
    summary = _import(award, world.utrecht_editor)
    assert (summary.refused, len(summary.updated)) == ([], 1)
    tender = db.session.scalar(select(Tender).where(Tender.ocid == OCID))
    assert tender.tender_status == "gegund" and len(tender.bids) == 3
    new = copy.deepcopy(award)
    new["ocid"] = "ocds-tndr01-nieuw"
    new["tender"]["title"] = "Zonder koper"
    assert "geen koper" in _import(new, world.utrecht_editor).refused[0][1]  # still needed
