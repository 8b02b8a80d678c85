"""Bulk import/export of knowledge items (JSON Lines)."""

import json

from sqlalchemy import select

from portal.content.importer import export_items, import_items
from portal.content.models import Item, ItemLink
from portal.extensions import db
from portal.organisations.models import Organisation


def line(**record):
    base = {"kind": "tender", "title": "Aanbesteding", "organisation": "Gemeente Utrecht", "themes": ["circulair"],
            "fields": {"cpv_codes": ["45233220"], "tender_status": "afgerond"}}  # fmt: skip
    base.update(record)
    return json.dumps(base)


def test_import_good_and_bad_lines_with_line_numbers(world):
    lines = [
        line(external_id="t-1", title="Asfalt met MKI"),
        "{geen json",
        line(external_id="t-2", themes=["bestaat-niet"]),
        line(external_id="t-3", fields={"cpv_codes": ["123"]}),
        json.dumps(
            {
                "kind": "criterion",
                "external_id": "c-1",
                "title": "MKI-criterium",
                "organisation": "Gemeente Utrecht",
                "fields": {"clause_text": "Lever een MKI-berekening."},
                "links": [{"relation": "used_in", "target": "t-1"}],
            }
        ),
        line(external_id="t-4", organisation="Onbekende Gemeente"),
    ]
    report = import_items(lines)
    db.session.commit()
    assert report.created == 2 and report.links == 1
    assert [n for n, _ in report.errors] == [2, 3, 4, 6]
    assert "Onbekende waarde 'bestaat-niet'" in report.errors[1][1]
    assert "CPV" in report.errors[2][1]
    assert db.session.query(Item).count() == 2 and db.session.query(ItemLink).count() == 1


def test_reimport_updates_instead_of_duplicating(world):
    import_items([line(external_id="t-1", title="Eerste")])
    db.session.commit()
    report = import_items([line(external_id="t-1", title="Tweede")])
    db.session.commit()
    assert report.updated == 1 and db.session.query(Item).count() == 1
    item = db.session.scalar(select(Item))
    assert item.title == "Tweede" and item.external_id == "t-1" and len(item.revisions) == 2
    report = import_items([line(external_id="t-1", title="Tweede")])
    db.session.commit()
    assert report.unchanged == 1 and len(db.session.scalar(select(Item)).revisions) == 2


def test_create_organisations_flag(world):
    report = import_items([line(organisation="Gemeente Nieuwkomer")], create_organisations=True)
    db.session.commit()
    assert report.created == 1
    assert (
        db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Nieuwkomer"))
        is not None
    )


def test_export_round_trip(world):
    import_items([line(external_id="t-1", title="Asfalt met MKI")])
    db.session.commit()
    [exported] = list(export_items())
    record = json.loads(exported)
    assert (
        record["external_id"] == "t-1"
        and record["kind"] == "tender"
        and record["fields"]["cpv_codes"] == ["45233220"]
    )
    report = import_items([exported])
    assert report.unchanged == 1


def test_cli_import_reports_and_summarises(app, world, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(line(external_id="t-9") + "\n{kapot\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "import", str(path)])
    assert "regel 2: geen geldige JSON" in result.output
    assert "1 aangemaakt" in result.output
    assert result.exit_code == 1  # some lines failed: a script must learn it


def test_a_link_named_from_both_sides_is_one_link(world):
    criterion = {
        "kind": "criterion", "external_id": "c-1", "title": "MKI-criterium",
        "organisation": "Gemeente Utrecht", "fields": {"clause_text": "Lever een MKI-berekening."},
        "links": [{"relation": "used_in", "target": "t-1"}],
    }  # fmt: skip
    tender = line(external_id="t-1", title="Asfalt", links=[{"target": "c-1"}])
    report = import_items([json.dumps(criterion), tender])
    db.session.commit()
    assert report.errors == [] and report.links == 1
    link = db.session.scalar(select(ItemLink))
    assert (link.source.external_id, link.target.external_id, link.relation) == (
        "c-1",
        "t-1",
        "used_in",
    )
