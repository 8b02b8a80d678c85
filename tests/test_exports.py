"""Downloads of lists and search results as CSV and XLSX (issue 14, item 5): the page's filters
and order, Dutch or English headings, numbers as numbers, dates as dates, and only what the
reader may see; unknown parameters answer 400 with a Dutch message."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from portal.content.kinds import kinds
from portal.exports import DATE, DECIMAL, INT, TEXT, URL, Column, to_csv, to_xlsx
from portal.extensions import db
from portal.search import searching
from portal.search.services import Hits
from tests.factories import make_item
from tests.test_english import english

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def column(rows: list[list], heading: str) -> list:
    index = rows[0].index(heading)
    return [row[index] for row in rows[1:]]


# --- The module -----------------------------------------------------------------------------

TYPED = [
    Column("Naam", lambda r: r["name"]),
    Column("Aantal", lambda r: r["count"], INT),
    Column("Aandeel", lambda r: r["share"], DECIMAL, places=1),
    Column("Datum", lambda r: r["day"], DATE),
    Column("Adres", lambda r: r["url"], URL),
]
ROWS = [
    {"name": "Gemeente Ede", "count": 1200, "share": 61.25, "day": date(2026, 3, 1),
     "url": "https://example.nl/a"},
    {"name": "=HYPERLINK(\"x\")", "count": None, "share": 0, "day": datetime(2025, 1, 2, 9, 30),
     "url": ""},
]  # fmt: skip


def test_csv_has_bom_semicolons_plain_numbers_decimal_comma_iso_dates_and_no_formulas():
    body = to_csv(ROWS, TYPED)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Naam", "Aantal", "Aandeel", "Datum", "Adres"],
        ["Gemeente Ede", "1200", "61,3", "2026-03-01", "https://example.nl/a"],
        ['\'=HYPERLINK("x")', "", "0,0", "2025-01-02", ""],
    ]
    assert b"\r\n" in body


def test_xlsx_has_typed_cells_a_bold_frozen_header_widths_and_no_formulas():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(ROWS, TYPED, title="Test: a/b")))
    sheet = book.active
    assert sheet.title == "Test  a b"
    assert [c.value for c in sheet[1]] == ["Naam", "Aantal", "Aandeel", "Datum", "Adres"]
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    name, count, share, day, url = sheet[2]
    assert name.value == "Gemeente Ede" and name.font.bold is False
    assert (count.value, count.data_type) == (1200, "n")
    assert share.value == 61.25 and share.number_format == "0.0"
    assert day.value == datetime(2026, 3, 1) and day.is_date
    assert url.hyperlink.target == "https://example.nl/a"
    formula = sheet["A3"]
    assert formula.value == '=HYPERLINK("x")' and formula.data_type == "s"
    assert sheet["B3"].value is None and sheet["D3"].value == datetime(2025, 1, 2)
    assert sheet.column_dimensions["A"].width >= len("Gemeente Ede")
    assert sheet.auto_filter.ref == "A1:E3"


def test_a_column_of_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown column type"):
        Column("X", lambda r: r, "money")
    assert TEXT == "text"


# --- Search results -------------------------------------------------------------------------


def test_search_downloads_hold_every_result_in_score_order_with_typed_cells(client, world):
    for n in range(23):  # more than one page of 20
        make_item("criterion", world.heumen, title=f"Asfalt-eis {n:02d}")
    make_item("tender", world.utrecht, title="Asfalt asfalt asfalt Utrecht",
              body="Asfalt, asfalt.", themes=["klimaat", "circulair"])  # fmt: skip
    make_item("tender", world.utrecht, title="Kantoormeubilair", product_groups=[])
    rows = read_csv(client.get("/zoeken.csv", query_string={"q": "asfalt", "pagina": "2"}))
    assert rows[0][:4] == ["Rang", "Soort", "Titel", "Organisatie"]
    assert rows[0][-1] == "Score" and "Thema's" in rows[0] and "Adres (URL)" in rows[0]
    assert len(rows) == 1 + 24  # every result, not page 2's
    assert column(rows, "Rang") == [str(n) for n in range(1, 25)]
    scores = [float(s.replace(",", ".")) for s in column(rows, "Score")]
    assert scores == sorted(scores, reverse=True)
    assert column(rows, "Titel")[0] == "Asfalt asfalt asfalt Utrecht"
    assert "Kantoormeubilair" not in column(rows, "Titel")
    sheet = read_xlsx(client.get("/zoeken.xlsx", query_string={"q": "asfalt"}))
    assert sheet[0] == rows[0]
    first = dict(zip(sheet[0], sheet[1], strict=True))
    assert first["Rang"] == 1 and first["Jaar"] == 2022 and isinstance(first["Score"], float)
    assert first["Soort"] == "Aanbesteding" and first["Organisatie"] == "Gemeente Utrecht"
    assert set(first["Thema's"].split(", ")) == {"Klimaat", "Circulair"}
    assert first["Adres (URL)"].startswith("http") and first["Adres (URL)"].endswith(
        "/aanbestedingen/asfalt-asfalt-asfalt-utrecht"
    )
    assert isinstance(first["Gepubliceerd"], datetime)
    assert [r[2] for r in sheet[1:]] == column(rows, "Titel")


def test_search_downloads_keep_the_facets_and_sort_of_the_page(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["klimaat"])
    make_item("criterion", world.heumen, title="Asfalt-eis Heumen", themes=["circulair"])
    args = {"q": "asfalt", "thema": "klimaat", "sorteer": "datum"}
    assert column(read_csv(client.get("/zoeken.csv", query_string=args)), "Titel") == [
        "Asfalt Utrecht"
    ]
    browse = read_xlsx(client.get("/zoeken.xlsx", query_string={"soort": "criterion"}))
    assert column(browse, "Titel") == ["Asfalt-eis Heumen"]


def test_the_search_page_links_its_downloads_with_its_parameters(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["klimaat"])
    page = client.get("/zoeken?q=asfalt&thema=klimaat&pagina=1").get_data(as_text=True)
    assert '<a href="/zoeken.csv?q=asfalt&amp;thema=klimaat">Download als CSV</a>' in page
    assert '<a href="/zoeken.xlsx?q=asfalt&amp;thema=klimaat">Download als Excel</a>' in page
    nothing = client.get("/zoeken?q=onvindbaarwoord").get_data(as_text=True)
    assert "Download als CSV" not in nothing


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_search_downloads_hold_members_and_group_items_only_for_their_readers(
    client, world, as_user, file_format
):
    make_item("tender", world.utrecht, title="Asfalt openbaar")
    make_item("tender", world.utrecht, title="Asfalt voor leden", visibility="members")
    make_item("lesson", world.heumen, title="Asfalt in de groep", visibility="group",
              group="kleine-gemeenten-samen")  # fmt: skip
    read = read_csv if file_format == "csv" else read_xlsx
    url = f"/zoeken.{file_format}"

    def titles() -> set[str]:
        return set(column(read(client.get(url, query_string={"q": "asfalt"})), "Titel"))

    assert titles() == {"Asfalt openbaar"}
    browsing = read(client.get(url, query_string={"werkgroep": "kleine-gemeenten-samen"}))
    assert browsing[1:] == []
    as_user(world.utrecht_member)  # a member, not in the closed group
    assert titles() == {"Asfalt openbaar", "Asfalt voor leden"}
    client.post("/uitloggen")
    as_user(world.heumen_admin)  # a member of the closed group
    assert titles() == {"Asfalt openbaar", "Asfalt voor leden", "Asfalt in de groep"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"q": "asfalt", "thema": "bestaat-niet"}, "Onbekende waarde voor Thema: ‘bestaat-niet’."),
        ({"q": "asfalt", "soort": "gedicht"}, "Onbekende waarde voor Soort: ‘gedicht’."),
        ({"q": "asfalt", "jaar": "twintig"}, "Onbekende waarde voor Jaar: ‘twintig’."),
        ({"q": "asfalt", "sorteer": "prijs"}, "Sorteer op relevantie of datum."),
        ({"q": "asfalt", "pagina": "0"}, "Het paginanummer moet een getal van 1 tot 10.000 zijn."),
        ({}, "Typ een zoekvraag of kies een filter; daarna kunt u de resultaten downloaden."),
    ],
)
def test_bad_search_downloads_say_why_in_dutch_with_400(client, world, args, message, file_format):
    make_item("tender", world.utrecht, title="Asfalt Utrecht")
    response = client.get(f"/zoeken.{file_format}", query_string=args)
    assert response.status_code == 400
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    assert message in response.get_data(as_text=True)


def test_search_downloads_in_english_have_english_headings_and_names(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["circulair"])
    english(client)
    rows = read_csv(client.get("/zoeken.csv", query_string={"q": "asfalt"}))
    assert rows[0][:4] == ["Rank", "Type", "Title", "Organisation"]
    assert "Themes" in rows[0] and "Published" in rows[0]
    assert column(rows, "Themes") == ["Circular"]
    sheet = read_xlsx(client.get("/zoeken.xlsx", query_string={"q": "asfalt"}))
    assert sheet[0] == rows[0]
    bad = client.get("/zoeken.csv", query_string={"q": "asfalt", "thema": "nope"})
    assert bad.status_code == 400 and "Unknown value for Theme: ‘nope’." in bad.get_data(
        as_text=True
    )


def test_a_second_download_from_the_page_cache_is_the_same_file(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht")
    for url in ("/zoeken.xlsx?q=asfalt", "/aanbestedingen.csv"):
        first = client.get(url)
        second = client.get(url)
        assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
        assert second.get_data() == first.get_data()
        for header in ("Content-Type", "Content-Disposition"):
            assert second.headers[header] == first.headers[header]
        assert second.headers["Content-Disposition"].startswith("attachment; filename=")


# --- Lists of items -------------------------------------------------------------------------


def tender(world, title: str, **fields):
    return make_item("tender", world.utrecht, title=title, fields=fields)


def test_a_tender_list_download_has_the_page_filters_and_the_kinds_own_columns(client, world):
    tender(world, "Wegen 2022", value_min=250000, value_max=500000, number_of_bids=4,
           publication_date="2022-03-15", procedure="niet-openbare-procedure",
           mvi=[{"theme": "circulair", "instrument": "aanmoedigen", "weight_percent": 30},
                {"theme": "klimaat", "instrument": "voorschrijven"}])  # fmt: skip
    tender(world, "Wegen openbaar")
    make_item("criterion", world.utrecht, title="Een criterium")
    args = {"procedure": "niet-openbare-procedure", "thema": "circulair", "jaar": "2022"}
    rows = read_csv(client.get("/aanbestedingen.csv", query_string=args))
    assert rows[0][:3] == ["Titel", "Organisatie", "Jaar"]
    for heading in ("Procedure", "Waarde vanaf (EUR)", "MVI-thema's", "Publicatiedatum"):
        assert heading in rows[0]
    assert column(rows, "Titel") == ["Wegen 2022"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Waarde vanaf (EUR)"] == "250000" and row["Waarde tot en met (EUR)"] == "500000"
    assert (
        row["MVI-thema's"] == "Circulair, Klimaat" and row["Procedure"] == "Niet-openbare procedure"
    )
    assert row["Publicatiedatum"] == "2022-03-15" and row["Status"] == "Afgerond"
    sheet = read_xlsx(client.get("/aanbestedingen.xlsx", query_string=args))
    cells = dict(zip(sheet[0], sheet[1], strict=True))
    assert cells["Waarde vanaf (EUR)"] == 250000 and cells["Aantal inschrijvingen"] == 4
    assert cells["Jaar"] == 2022 and cells["Publicatiedatum"] == datetime(2022, 3, 15)
    assert len(sheet) == 2
    everything = read_csv(client.get("/aanbestedingen.csv"))
    assert sorted(column(everything, "Titel")) == ["Wegen 2022", "Wegen openbaar"]
    criteria = read_csv(client.get("/criteria.csv"))
    assert column(criteria, "Titel") == ["Een criterium"] and "Procedure" not in criteria[0]


def test_a_list_download_keeps_the_page_order(client, world):
    first = tender(world, "Minder nuttig")
    second = tender(world, "Meest nuttig")
    first.useful_count, second.useful_count = 1, 5
    db.session.commit()
    rows = read_csv(client.get("/aanbestedingen.csv?sorteer=nuttig"))
    assert column(rows, "Titel") == ["Meest nuttig", "Minder nuttig"]


def test_the_list_page_links_its_downloads_with_its_filters(client, world):
    tender(world, "Wegen")
    page = client.get("/aanbestedingen/?thema=circulair&pagina=1").get_data(as_text=True)
    assert '<a href="/aanbestedingen.csv?thema=circulair">Download als CSV</a>' in page
    assert '<a href="/aanbestedingen.xlsx?thema=circulair">Download als Excel</a>' in page


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_list_downloads_hold_members_and_group_items_only_for_their_readers(
    client, world, as_user, file_format
):
    make_item("lesson", world.utrecht, title="Les openbaar")
    make_item("lesson", world.utrecht, title="Les voor leden", visibility="members")
    make_item("lesson", world.heumen, title="Les in de groep", visibility="group",
              group="kleine-gemeenten-samen")  # fmt: skip
    read = read_csv if file_format == "csv" else read_xlsx

    def titles() -> set[str]:
        return set(column(read(client.get(f"/lessen.{file_format}")), "Titel"))

    assert titles() == {"Les openbaar"}
    as_user(world.utrecht_member)
    assert titles() == {"Les openbaar", "Les voor leden"}
    client.post("/uitloggen")
    as_user(world.heumen_admin)
    assert titles() == {"Les openbaar", "Les voor leden", "Les in de groep"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("thema=bestaat-niet", "Onbekende waarde voor Thema: ‘bestaat-niet’."),
        ("regio=nergens", "Onbekende waarde voor Regio: ‘nergens’."),
        ("procedure=loterij", "Onbekende waarde voor Procedure: ‘loterij’."),
        ("status=kwijt", "Onbekende waarde voor Status van de aanbesteding: ‘kwijt’."),
        ("jaar=twintig", "Het jaar moet een getal van 1 tot 9999 zijn."),
        ("sorteer=prijs", "Onbekende sortering ‘prijs’. Kies uit: nieuw, nuttig, bekeken."),
        ("pagina=nul", "Het paginanummer moet een getal van 1 tot 10.000 zijn."),
    ],
)
def test_bad_list_downloads_say_why_in_dutch_with_400(client, world, query, message, file_format):
    tender(world, "Wegen")
    response = client.get(f"/aanbestedingen.{file_format}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    assert message in response.get_data(as_text=True)
    assert client.get(f"/aanbestedingen/?{query}").status_code in (200, 404)  # the page as before


def test_list_downloads_in_english_have_english_headings_and_names(client, world):
    tender(world, "Wegen", procedure="openbare-procedure",
           mvi=[{"theme": "circulair", "instrument": "aanmoedigen"}])  # fmt: skip
    english(client)
    rows = read_csv(client.get("/aanbestedingen.csv"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Title"] == "Wegen" and row["Year"] == "2022"
    assert row["Procedure"] == "Open procedure" and row["MVI themes"] == "Circular"
    assert row["Status"] == "Completed"
    sheet = read_xlsx(client.get("/aanbestedingen.xlsx"))
    assert sheet[0] == rows[0]


def test_every_kind_list_downloads_in_both_formats(client, world):
    make_item("consultation", world.utrecht, title="Een marktconsultatie")
    for spec in kinds().values():
        page = client.get(f"/{spec.url}/")
        assert page.status_code == 200
        rows = read_csv(client.get(f"/{spec.url}.csv"))
        assert rows[0][:2] == ["Titel", "Organisatie"], spec.key
        sheet = read_xlsx(client.get(f"/{spec.url}.xlsx"))
        assert sheet[0] == rows[0] and len(sheet) == len(rows), spec.key
        assert client.get(f"/{spec.url}.csv?sorteer=onbekend").status_code == 400
    assert column(read_csv(client.get("/marktconsultaties.csv")), "Titel") == [
        "Een marktconsultatie"
    ]


def test_a_search_download_while_the_index_is_rebuilt_is_a_503_not_an_empty_file(
    client, world, monkeypatch
):
    make_item("tender", world.utrecht, title="Asfalt Utrecht")
    monkeypatch.setattr(searching, "find", lambda query, limit: Hits({}, unavailable=True))
    response = client.get("/zoeken.csv", query_string={"q": "asfalt"})
    assert response.status_code == 503 and "Content-Disposition" not in response.headers
    assert "De zoekindex wordt opnieuw opgebouwd." in response.get_data(as_text=True)
