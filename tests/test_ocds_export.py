"""OCDS export: every demo tender is a valid OCDS 1.1.5 release (with the bid, lots and award
criteria extensions), the package pages with Link headers, and only readable tenders show."""

from __future__ import annotations

import copy
import json

from sqlalchemy import select

from portal.content import services as content
from portal.extensions import db
from portal.ocds import queries
from portal.ocds.openapi import OPERATION, PATH
from portal.permissions import SYSTEM
from portal.seeding import seed
from portal.tenders.models import Tender
from tests.api_helpers import bearer, make_token
from tests.conftest import login
from tests.factories import make_item, make_organisation
from tests.ocds_schema import package_errors, release_errors

MVI = [
    {"theme": "circulair", "instrument": "aanmoedigen", "ambition_level": "ambitieus",
     "weight_percent": 20, "note": "MKI als gunningscriterium"},
    {"theme": "social-return", "instrument": "voorschrijven", "fictive_discount_eur": 50000},
]  # fmt: skip
BIDS = [
    {"bidder": "Wegenbouw A", "price_eur": 900000, "quality_score": 80, "mki_eur": 300000,
     "winner": True},
    {"bidder": "Wegenbouw B", "price_eur": 850000, "quality_score": 60, "mki_eur": 360000},
]  # fmt: skip


def _tender(world, **overrides):
    fields = {
        "cpv_codes": ["45233220", "44113620-7"], "procedure": "niet-openbare-procedure",
        "award_method": "bpkv", "value_min": 800000, "value_max": 1200000,
        "duration_months": 48, "publication_date": "2023-02-01", "award_date": "2023-05-15",
        "number_of_bids": 2, "bids": BIDS, "mvi": MVI, "tender_status": "gegund",
        "tender_reference": "TN-2023-7",
    }  # fmt: skip
    return make_item(
        "tender", world.utrecht, title="Asfalt met MKI", fields={**fields, **overrides}
    )


def test_a_tender_is_a_release_with_its_procedure_cpv_value_dates_bids_and_criteria(client, world):
    tender = _tender(world)
    response = client.get(f"/aanbestedingen/{tender.slug}.ocds.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    release = response.get_json()
    assert release_errors(release) == []
    assert release["ocid"] == f"ocds-mvinl0-{tender.external_id}"
    assert release["buyer"]["name"] == "Gemeente Utrecht"
    buyer = next(p for p in release["parties"] if p["id"] == release["buyer"]["id"])
    assert buyer["roles"] == ["buyer", "procuringEntity"]
    assert buyer["identifier"]["legalName"] == "Gemeente Utrecht"
    part = release["tender"]
    assert part["items"][0]["classification"] == {"scheme": "CPV", "id": "45233220"}
    assert part["items"][0]["additionalClassifications"] == [{"scheme": "CPV", "id": "44113620-7"}]
    assert part["procurementMethod"] == "selective"
    assert part["procurementMethodDetails"] == "Niet-openbare procedure"
    assert part["awardCriteria"] == "ratedCriteria"
    assert part["value"] == {"amount": 1200000, "currency": "EUR"}
    assert part["minValue"] == {"amount": 800000, "currency": "EUR"}
    assert part["tenderPeriod"] == {"startDate": "2023-02-01T00:00:00Z"}
    assert part["contractPeriod"] == {"durationInDays": 1461}
    assert part["numberOfTenderers"] == 2
    criteria = part["lots"][0]["awardCriteria"]["criteria"]
    assert criteria[0]["numbers"] == [{"number": 20, "weight": "percentageExact"}]
    assert criteria[0]["mviTheme"] == "circulair"
    assert criteria[1]["fictitiousDiscount"] == {"amount": 50000, "currency": "EUR"}
    bids = release["bids"]["details"]
    assert [b["tenderers"][0]["name"] for b in bids] == ["Wegenbouw A", "Wegenbouw B"]
    assert bids[0]["value"] == {"amount": 900000, "currency": "EUR"}
    assert bids[0]["qualityScore"] == 80
    assert bids[0]["environmentalCostIndicator"] == {"amount": 300000, "currency": "EUR"}
    award = release["awards"][0]
    assert award["date"] == "2023-05-15T00:00:00Z"
    assert award["relatedBid"] == bids[0]["id"]
    assert award["suppliers"] == bids[0]["tenderers"]
    assert release["tag"] == ["tender", "award"]
    # The validator is not vacuous: a bid status outside the extension's codelist fails.
    broken = copy.deepcopy(release)
    broken["bids"]["details"][0]["status"] = "winnaar"
    assert release_errors(broken) != []


def test_every_demo_tender_is_a_valid_release_and_the_package_validates(app, client):
    seed(demo_password=None)
    db.session.commit()
    tenders = db.session.scalars(select(Tender)).all()
    assert len(tenders) >= 20
    with app.test_request_context():
        for tender in tenders:
            assert release_errors(queries.release(tender)) == [], tender.external_id
    seen = []
    address = "/api/v1/ocds/releases?per_page=10"
    while address:
        response = client.get(address)
        assert response.status_code == 200
        package = response.get_json()
        assert package_errors(package) == []
        assert set(queries.EXTENSIONS.values()) == set(package["extensions"])
        seen += [release["ocid"] for release in package["releases"]]
        address = package.get("links", {}).get("next")
        if address:
            assert f'<{address}>; rel="next"' in response.headers["Link"]
    readable = [t for t in tenders if t.status in ("published", "archived")
                and t.visibility == "public" and t.hidden_at is None]  # fmt: skip
    assert sorted(seen) == sorted(queries.ocid_of(t) for t in readable)


def test_a_tender_the_viewer_may_not_open_is_404_in_both_exports(app, client, world, as_user):
    draft = make_item("tender", world.utrecht, title="Concept", status="draft")
    members = make_item("tender", world.utrecht, title="Alleen leden", visibility="members")
    hidden = make_item("tender", world.utrecht, title="Verborgen")
    hidden.hidden_at = hidden.created_at
    db.session.commit()
    for tender in (draft, members, hidden):
        assert client.get(f"/aanbestedingen/{tender.slug}.ocds.json").status_code == 404
    assert client.get("/aanbestedingen/bestaat-niet.ocds.json").status_code == 404
    assert client.get("/api/v1/ocds/releases").get_json()["releases"] == []
    as_user(world.heumen_admin)  # a member of another organisation: members-only, not the draft
    assert client.get(f"/aanbestedingen/{members.slug}.ocds.json").status_code == 200
    assert client.get(f"/aanbestedingen/{draft.slug}.ocds.json").status_code == 404
    # Under /api/v1 only a token signs in (the web session does not): as its member, then.
    assert client.get("/api/v1/ocds/releases").get_json()["releases"] == []
    package = client.get("/api/v1/ocds/releases", headers=bearer(make_token(world.heumen_admin)))
    assert [r["tender"]["title"] for r in package.get_json()["releases"]] == ["Alleen leden"]
    client = app.test_client()
    assert login(client, world.utrecht_editor.email).status_code == 302
    # The draft's editors may open it, as its page.
    assert client.get(f"/aanbestedingen/{draft.slug}.ocds.json").status_code == 200


def test_the_package_pages_and_refuses_bad_page_arguments_as_problem_details(client, world):
    for n in range(3):
        make_item("tender", world.utrecht, title=f"Aanbesteding {n}")
    first = client.get("/api/v1/ocds/releases?per_page=2")
    package = first.get_json()
    assert len(package["releases"]) == 2
    assert package["links"]["next"].endswith("/api/v1/ocds/releases?page=2&per_page=2")
    assert (
        'rel="last"' in first.headers["Link"]
        and 'page=2&per_page=2>; rel="last"' in first.headers["Link"]
    )
    second = client.get("/api/v1/ocds/releases?page=2&per_page=2").get_json()
    assert len(second["releases"]) == 1 and "next" not in second["links"]
    assert second["links"]["prev"].endswith("page=1&per_page=2")
    for query in ("page=0", "page=x", "per_page=101", "per_page=-1", "page=1.5"):
        response = client.get(f"/api/v1/ocds/releases?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 400 and "moet een geheel getal" in problem["detail"]
    far = client.get("/api/v1/ocds/releases?page=9&per_page=2")
    assert far.status_code == 404 and far.mimetype == "application/problem+json"
    assert "bestaat niet" in far.get_json()["detail"]


def test_an_imported_tender_keeps_its_ocid_in_the_export(client, world):
    tender = _tender(world, ocid="ocds-tndr01-350123")
    assert client.get(f"/aanbestedingen/{tender.slug}.ocds.json").get_json()["ocid"] == (
        "ocds-tndr01-350123"
    )


def test_the_openapi_operation_describes_the_route_and_its_parameters(app):
    assert PATH in {rule.rule for rule in app.url_map.iter_rules()}
    names = {p["name"] for p in OPERATION["get"]["parameters"]}
    assert names == {"page", "per_page"}
    assert json.loads(json.dumps(OPERATION))["get"]["responses"]["200"]["content"]


def test_an_ocid_is_refused_when_malformed_or_taken(world):
    import pytest

    from portal.common import ServiceError
    from portal.content.kinds import kinds

    first = _tender(world, ocid="ocds-tndr01-1")
    other = make_organisation("Gemeente Ander")
    for wrong in ("ocds tndr01 1", "ocds-tndr01-\n1", "ocds-tndr01-" + "x" * 100, 42):
        data = content.ItemData(title="X", fields={"ocid": wrong})
        with pytest.raises(ServiceError):
            content.create_item(other, kinds()["tender"], data, actor=SYSTEM)
        db.session.rollback()
    data = content.ItemData(title="X", fields={"ocid": first.ocid})
    with pytest.raises(ServiceError, match="al de ocid"):
        content.create_item(other, kinds()["tender"], data, actor=SYSTEM)
