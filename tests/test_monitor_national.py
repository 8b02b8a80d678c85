"""The national overview (/monitor): every figure on a small hand-made set with known answers,
the rule of at least five organisations, opted-out organisations, the visibility of tenders for
each viewer, bad periods and the downloads."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest
from flask_login import AnonymousUserMixin

from portal.extensions import db
from portal.moderation import services as moderation
from portal.monitor.queries import Period, national_overview
from portal.permissions import SYSTEM
from portal.taxonomy.models import Theme
from tests.factories import make_item, make_organisation
from tests.test_monitor import record

TOO_FEW = "te weinig organisaties"


def mvi(*rows: str) -> list[dict]:
    """MVI rows from 'theme/instrument/ambition' strings."""
    keys = ("theme", "instrument", "ambition_level")
    return [dict(zip(keys, row.split("/"), strict=True)) for row in rows]


def known_data(world):
    """Five municipalities (four small, Utrecht large), six records:

    Utrecht 2023: A with MVI (circulair) 100-300 → 200; B without, 400.
    Heumen  2023: with MVI (circulair, klimaat), 1,000.
    Drie    2023: without, 600.
    Vier    2023: with MVI (social return), 800.
    Vijf    2024: with MVI (circulair), 1,000.
    Total: 5 organisations, 6 tenders, 4 with MVI (67 %); value 4,000, with MVI 3,000 (75 %).
    2023 has 4 organisations and 2024 one: too few for either year."""
    others = [make_organisation(f"Gemeente {name}") for name in ("Drie", "Vier", "Vijf")]
    record(world.utrecht, "A", year=2023, value_min=100, value_max=300,
           mvi=mvi("circulair/voorschrijven/basis"))  # fmt: skip
    record(world.utrecht, "B", year=2023, value_min=400)
    record(world.heumen, "A", year=2023, value_min=1000,
           mvi=mvi("circulair/aanmoedigen/basis", "klimaat/voorschrijven/significant"))  # fmt: skip
    record(others[0], "A", year=2023, value_min=600)
    record(others[1], "A", year=2023, value_min=800, mvi=mvi("social-return/voorschrijven/basis"))
    record(others[2], "A", year=2024, value_min=1000, mvi=mvi("circulair/voorschrijven/ambitieus"))
    db.session.commit()
    return others


def theme_id(slug: str) -> int:
    return db.session.scalar(db.select(Theme.id).where(Theme.slug == slug))


def anonymous():
    return AnonymousUserMixin()


# --- The figures ---------------------------------------------------------------------------------


def test_the_national_figures_on_a_known_set(world):
    known_data(world)
    overview = national_overview(anonymous())
    total = overview.total
    assert (total.organisations, total.tenders, total.with_mvi) == (5, 6, 4)
    assert total.count_share.percent == 67
    assert (total.value, total.value_with_mvi, total.value_share.percent) == (4000, 3000, 75)
    # Per year: 2023 has four organisations, 2024 one: no figure for either.
    assert [(year, f.organisations, f.shown) for year, f in overview.per_year] == [
        (2023, 4, False),
        (2024, 1, False),
    ]
    assert overview.per_year[0][1].count_share.percent is None
    # Per theme, a share of all six tenders; a tender counts once per theme.
    assert overview.theme_share(theme_id("circulair")).percent == 50
    assert overview.theme_share(theme_id("klimaat")).percent == 17
    assert overview.theme_share(theme_id("social-return")).percent == 17
    assert overview.theme_share(theme_id("milieu")).percent == 0
    # Circulair's instruments and levels: only three organisations apply it, so none is shown.
    circulair = overview.theme_uptake(theme_id("circulair"))
    assert circulair.tenders == 3 and circulair.by_instrument and not circulair.breakdown_shown
    assert [theme.slug for theme in overview.least_applied] == [
        "milieu", "ketenverantwoordelijkheid", "diversiteit-inclusie"
    ]  # fmt: skip


def test_per_organisation_type_and_size_class(world):
    known_data(world)
    overview = national_overview(anonymous())
    types = {term.slug: figures for term, figures, _uptake in overview.per_type}
    assert types["gemeente"].shown and types["gemeente"].count_share.percent == 67
    assert not types["provincie"].shown and types["provincie"].tenders == 0
    sizes = {term.slug: figures for term, figures, _uptake in overview.per_size}
    assert sizes["tot-20000"].organisations == 4 and not sizes["tot-20000"].shown
    assert not sizes["meer-dan-100000"].shown
    uptake = dict((t.slug, u) for t, _f, u in overview.per_type)["gemeente"]
    assert overview.theme_share(theme_id("circulair"), types["gemeente"], uptake).percent == 50


def test_four_organisations_are_too_few_and_five_are_enough(world):
    others = known_data(world)
    overview = national_overview(anonymous())
    assert not overview.per_year[0][1].shown  # 2023: four organisations
    record(others[2], "B", year=2023, value_min=500)  # Vijf also in 2023: five
    figures = dict(national_overview(anonymous()).per_year)[2023]
    assert figures.shown and (figures.tenders, figures.with_mvi) == (6, 3)
    assert figures.count_share.percent == 50 and figures.value_share.percent == 2000 * 100 // 3500


def test_instruments_and_levels_show_once_five_organisations_apply_the_theme(world):
    others = known_data(world)
    record(others[0], "B", year=2023, mvi=mvi("circulair/voorschrijven/basis"))
    record(others[1], "B", year=2023, mvi=mvi("circulair/uitnodigen/significant"))
    overview = national_overview(anonymous())
    circulair = overview.theme_uptake(theme_id("circulair"))
    assert circulair.tenders == 5 and circulair.breakdown_shown
    by_slug = {i.slug: i.id for i in overview.instruments}
    levels = {a.slug: a.id for a in overview.ambition_levels}
    # Of five tenders with circulair: voorschrijven 3, aanmoedigen 1, uitnodigen 1.
    assert circulair.instrument_share(by_slug["voorschrijven"]).percent == 60
    assert circulair.instrument_share(by_slug["aanmoedigen"]).percent == 20
    assert circulair.ambition_share(levels["basis"]).percent == 60
    assert circulair.ambition_share(levels["ambitieus"]).percent == 20


def test_an_opted_out_organisation_does_not_count(world):
    others = known_data(world)
    others[2].monitor_benchmark = False
    db.session.commit()
    overview = national_overview(anonymous())
    assert overview.total.organisations == 4 and not overview.total.shown
    assert overview.total.tenders == 5
    assert overview.least_applied == []  # no ranking over too few organisations


def test_a_period_narrows_every_figure(world):
    known_data(world)
    overview = national_overview(anonymous(), Period(2024, 2024))
    assert overview.total.tenders == 1 and not overview.total.shown
    assert [year for year, _f in overview.per_year] == [2024]


@pytest.mark.parametrize("visibility", ["members", "group"])
def test_a_restricted_tender_counts_only_for_who_may_see_it(world, visibility):
    known_data(world)
    tender = make_item(
        "tender", world.utrecht, visibility=visibility, themes=["milieu"],
        group=world.closed_group.slug if visibility == "group" else None,
        fields={"value_min": 500, "value_max": 700, "mvi": mvi("milieu/voorschrijven/basis")},
    )  # fmt: skip
    assert tender.year == 2022
    # heumen_admin is an approved member and in the closed group; the outsider is neither.
    for viewer, counts in [(anonymous(), False), (world.outsider, False), (world.heumen_admin, True)]:  # fmt: skip
        overview = national_overview(viewer)
        assert overview.total.tenders == (7 if counts else 6), viewer
        assert overview.theme_share(theme_id("milieu")).part == (1 if counts else 0)
        assert overview.examples.get(theme_id("milieu"), 0) == (1 if counts else 0)


def test_a_hidden_tender_never_counts(world):
    known_data(world)
    tender = make_item("tender", world.utrecht, themes=["milieu"],
                       fields={"mvi": mvi("milieu/voorschrijven/basis")})  # fmt: skip
    assert national_overview(anonymous()).total.tenders == 7
    moderation.hide_item(tender, "spam", actor=SYSTEM)
    db.session.commit()
    for viewer in (anonymous(), world.moderator, world.utrecht_admin):
        overview = national_overview(viewer)
        assert overview.total.tenders == 6
        assert overview.examples.get(theme_id("milieu"), 0) == 0


# --- The page ------------------------------------------------------------------------------------


def table(page: str, id_: str) -> list[list[str]]:
    """The body rows of the table captioned id_, as the texts of their cells."""
    part = page[page.index(f'id="{id_}"') :]
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [
        [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell))).replace("\xa0", " ").strip()
         for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def test_the_page_is_public_and_shows_the_figures(client, world):
    known_data(world)
    response = client.get("/monitor")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "6 aanbestedingen van 5 organisaties, waarvan 67% met MVI." in page
    assert table(page, "tabel-jaren") == [["2024", TOO_FEW], ["2023", TOO_FEW]]
    themes = {row[0]: row[1:] for row in table(page, "tabel-themas")}
    assert themes["Circulair"] == ["50%"] + [TOO_FEW] * 6
    assert themes["Milieu"][0] == "0%"
    kinds = {row[0]: row[1:] for row in table(page, "tabel-soorten")}
    assert kinds["Gemeente"] == ["5", "6", "4", "67%", "€ 4.000", "75%"]
    assert kinds["Provincie"] == [TOO_FEW]
    sizes = {row[0]: row[1:] for row in table(page, "tabel-grootte")}
    assert sizes["< 20.000 inwoners"] == [TOO_FEW]
    per_kind = {row[0]: row[1:] for row in table(page, "tabel-themas-per-soort")}
    assert per_kind["Circulair"][0] == "50%" and per_kind["Circulair"][1] == TOO_FEW
    # Charts with text alternatives, a figure only where five organisations stand behind it.
    assert page.count('role="img"') == 5 and page.count("<desc") == 5
    assert ">50%</text>" in page and f">{TOO_FEW}</text>" in page


def test_where_examples_are_needed_links_the_examples_per_theme(client, world):
    known_data(world)
    # Example tenders with these themes (no MVI rows: they count as tenders without MVI).
    make_item("tender", world.heumen, themes=["milieu"])
    make_item("tender", world.heumen, themes=["milieu", "klimaat"])
    make_item("tender", world.heumen, themes=["milieu"], visibility="members")  # not anonymous
    make_item("tender", world.heumen, themes=["ketenverantwoordelijkheid"], status="draft")
    page = client.get("/monitor").get_data(as_text=True)
    section = page[page.index('id="voorbeelden-nodig"') :].split("</section>", 1)[0]
    items = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip()
             for li in re.findall(r"<li>(.*?)</li>", section, re.S)]  # fmt: skip
    assert items == [
        "Milieu: in 0% van de aanbestedingen. 2 voorbeeldaanbestedingen bekijken met het thema Milieu",
        "Ketenverantwoordelijkheid (ISV): in 0% van de aanbestedingen. Nog geen voorbeeldaanbestedingen. Naar de voorbeeldaanbestedingen met het thema Ketenverantwoordelijkheid (ISV)",
        "Diversiteit en inclusie: in 0% van de aanbestedingen. Nog geen voorbeeldaanbestedingen. Naar de voorbeeldaanbestedingen met het thema Diversiteit en inclusie",
    ]  # fmt: skip
    assert 'href="/aanbestedingen/?thema=milieu"' in section
    listing = client.get("/aanbestedingen/?thema=milieu").get_data(as_text=True)
    assert listing.count("Voorbeeld tender") == 2  # the two the link promised


def test_the_menu_and_the_organisation_monitor_link_the_national_page(client, world, as_user):
    assert 'href="/monitor"' in client.get("/").get_data(as_text=True)
    as_user(world.utrecht_member)
    page = client.get("/organisaties/gemeente-utrecht/monitor").get_data(as_text=True)
    assert 'href="/monitor"' in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("van=twintig", "Het beginjaar (van) moet een jaartal van 2000 tot en met 2100 zijn."),
        ("tot=1999", "Het eindjaar (tot) moet een jaartal van 2000 tot en met 2100 zijn."),
        ("van=2024&tot=2021", "Het beginjaar (2024) ligt na het eindjaar (2021)."),
        ("van=-2023", "Het beginjaar (van) moet een jaartal van 2000 tot en met 2100 zijn."),
    ],
)
def test_a_bad_period_is_a_400_with_a_dutch_message(client, world, query, message):
    response = client.get(f"/monitor?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page and "tabel-jaren" not in page
    download = client.get(f"/monitor.csv?tabel=jaren&{query}")
    assert download.status_code == 400 and message in download.get_data(as_text=True)


def test_a_good_period_filters_the_page(client, world):
    known_data(world)
    page = client.get("/monitor?van=2021&tot=2023").get_data(as_text=True)
    assert "Periode 2021 tot en met 2023." in page
    assert [row[0] for row in table(page, "tabel-jaren")] == ["2023"]
    assert 'href="/monitor.csv?tabel=jaren&amp;van=2021&amp;tot=2023"' in page
    assert client.get("/monitor?van=&tot=").status_code == 200  # both ends open


# --- Downloads -----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_each_table_downloads_as_csv_and_xlsx(client, world):
    known_data(world)
    page = client.get("/monitor").get_data(as_text=True)
    for key in ("jaren", "themas", "soorten", "themas-per-soort", "grootte",
                "themas-per-grootte", "voorbeelden"):  # fmt: skip
        assert f'href="/monitor.csv?tabel={key}"' in page and f'href="/monitor.xlsx?tabel={key}"' in page  # fmt: skip
        for file_format in ("csv", "xlsx"):
            response = client.get(f"/monitor.{file_format}?tabel={key}")
            assert response.status_code == 200, (key, file_format)
            assert "attachment" in response.headers["Content-Disposition"]
    kinds = read_csv(client.get("/monitor.csv?tabel=soorten"))
    assert kinds[0] == [
        "Soort organisatie", "Organisaties", "Aanbestedingen", "Met MVI",
        "Aandeel met MVI (aantal, %)", "Waarde (euro)", "Waarde met MVI (euro)",
        "Aandeel met MVI (waarde, %)", "Opmerking",
    ]  # fmt: skip
    assert kinds[1] == ["Gemeente", "5", "6", "4", "67", "4000", "3000", "75", ""]
    assert kinds[2][:8] == ["Provincie"] + [""] * 7
    assert kinds[2][8].startswith("te weinig organisaties (minder dan 5) voor: alle cijfers")
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/monitor.xlsx?tabel=soorten").data)
    ).active
    assert [cell.value for cell in sheet[2]][:8] == ["Gemeente", 5, 6, 4, 67, 4000, 3000, 75]
    years = read_csv(client.get("/monitor.csv?tabel=jaren"))
    assert [row[:3] for row in years[1:]] == [["2023", "", ""], ["2024", "", ""]]
    themes = openpyxl.load_workbook(
        io.BytesIO(client.get("/monitor.xlsx?tabel=themas").data)
    ).active
    rows = {row[0]: row[1:3] for row in themes.iter_rows(min_row=2, values_only=True)}
    assert rows["Circulair"] == (3, 50) and rows["Milieu"] == (0, 0)
    examples = read_csv(client.get("/monitor.csv?tabel=voorbeelden"))
    assert [row[0] for row in examples[1:]] == ["Milieu", "Ketenverantwoordelijkheid (ISV)",
                                                "Diversiteit en inclusie"]  # fmt: skip
    assert examples[1][3].endswith("/aanbestedingen/?thema=milieu")


def test_an_unknown_table_is_a_400_with_a_dutch_message(client, world):
    for url in ("/monitor.csv?tabel=geheim", "/monitor.xlsx", "/monitor.csv?tabel="):
        response = client.get(url)
        assert response.status_code == 400
        assert "Onbekende tabel" in response.get_data(as_text=True)
    assert client.get("/monitor.pdf?tabel=jaren").status_code == 404


def test_the_downloads_count_only_what_the_viewer_may_see(client, world, as_user):
    known_data(world)
    make_item("tender", world.utrecht, visibility="members",
              fields={"value_min": 500, "value_max": 700})  # fmt: skip
    anonymous_rows = read_csv(client.get("/monitor.csv?tabel=soorten"))
    assert anonymous_rows[1][2] == "6"
    as_user(world.utrecht_member)
    assert read_csv(client.get("/monitor.csv?tabel=soorten"))[1][2] == "7"


# --- The records' counts (portal/monitor/facts.py) stay correct after every write -----------------


def facts() -> list[tuple]:
    from portal.monitor.facts import MonitorNationalTerms, MonitorThemeFacts, MonitorYearFacts

    db.session.expire_all()
    return [
        sorted(map(tuple, db.session.execute(db.select(model.__table__)).all()))
        for model in (MonitorYearFacts, MonitorThemeFacts, MonitorNationalTerms)
    ]


def assert_counted_afresh() -> None:
    """The kept counts equal the counts computed from the records now."""
    from portal.monitor.facts import refresh_facts, refresh_national_terms

    kept = facts()
    refresh_facts()
    refresh_national_terms()
    fresh = facts()
    db.session.rollback()
    assert kept == fresh


def test_the_counts_follow_every_kind_of_write(world):
    from sqlalchemy import delete, update

    from portal.monitor import services
    from portal.monitor.demo import demo_records
    from portal.monitor.models import MonitorRecord, MonitorRecordMvi
    from tests.test_monitor import csv_file

    made = record(world.utrecht, "A", year=2023, value_min=100, mvi=mvi("circulair/voorschrijven/basis"))  # fmt: skip
    assert facts()[0] == [(world.utrecht.id, 2023, 1, 1, 1, 100, 100)]
    assert_counted_afresh()
    services.update_record(made, services.RecordData(
        reference="A", title="Anders", year=2024, value_min=500,
        mvi=mvi("klimaat/aanmoedigen/significant", "klimaat/voorschrijven/basis"),
    ), actor=SYSTEM)  # fmt: skip
    db.session.commit()
    assert_counted_afresh()
    assert {row[1] for row in facts()[0]} == {2024}
    services.upload_records(world.heumen, "a.csv", csv_file(
        "U-1;Schoonmaak;2023;100000;200000;;;openbare-procedure;bpkv;ja;social-return:voorschrijven:basis; ;",
        "U-2;Kantoorpapier;2023;;;;30197630;;laagste-prijs;nee;;",
    ), actor=SYSTEM)  # fmt: skip
    db.session.commit()
    assert_counted_afresh()
    services.load_demo_records(world.heumen, demo_records(world.heumen), actor=SYSTEM)
    db.session.commit()
    assert_counted_afresh()
    services.promote_record(made, actor=world.utrecht_editor)
    db.session.commit()
    assert_counted_afresh()
    services.delete_record(made, actor=SYSTEM)
    db.session.commit()
    assert_counted_afresh()
    assert not any(row[0] == world.utrecht.id for row in facts()[0] + facts()[1])
    # An organisation leaving the benchmarks leaves the national sums.
    world.heumen.monitor_benchmark = False
    db.session.commit()
    assert facts()[2] == []
    assert_counted_afresh()
    world.heumen.monitor_benchmark = True
    db.session.commit()
    assert facts()[2] != []
    assert_counted_afresh()
    # Statements that name no organisation: everything is counted again.
    db.session.execute(update(MonitorRecord).values(year=2019))
    db.session.commit()
    assert_counted_afresh()
    db.session.execute(delete(MonitorRecordMvi))
    db.session.commit()
    assert_counted_afresh()
    # A rolled back write leaves the counts as they were.
    before = facts()
    record_data = services.RecordData(reference="X", title="Weg", year=2022)
    services.create_record(world.heumen, record_data, actor=SYSTEM)
    db.session.rollback()
    assert facts() == before


def test_the_page_and_its_downloads_in_english(client, world):
    known_data(world)
    assert client.post("/taal", data={"taal": "en"}).status_code == 302
    page = client.get("/monitor").get_data(as_text=True)
    assert "MVI monitor: the whole of the Netherlands" in page
    assert "6 tenders of 5 organisations, 67% of them with MVI." in page
    assert "too few organisations" in page and "te weinig" not in page
    header = read_csv(client.get("/monitor.csv?tabel=soorten"))[0]
    assert header[:5] == ["Type of organisation", "Organisations", "Tenders", "With MVI",
                          "Share with MVI (count, %)"]  # fmt: skip
    assert header[-1] == "Note"
    response = client.get("/monitor?van=2024&tot=2021")
    assert response.status_code == 400
    assert "The first year (2024) is after the last year (2021)." in response.get_data(as_text=True)
