"""The organisation monitor (/organisaties/<slug>/monitor): per year the share of tenders with MVI
by count and by value, as an SVG chart with a table beside it, for the organisation's members
only; tenders count only for a viewer who may see them."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from portal.extensions import db
from tests.conftest import login
from tests.factories import make_item
from tests.test_monitor import record

MVI = [{"theme": "circulair", "instrument": "voorschrijven", "ambition_level": "basis"}]
URL = "/organisaties/gemeente-utrecht/monitor"


def known_data(world):
    """2023: 2 records (one with MVI, 100-300 → 200) → 50 % by count, 100 % by value;
    2024: 1 record with MVI (1,000); 2022: 1 group-only example tender with MVI (500-700 → 600)."""
    record(world.utrecht, "A", year=2023, value_min=100, value_max=300, mvi_applied=True)
    record(world.utrecht, "B", year=2023)
    record(world.utrecht, "C", year=2024, value_min=1000, mvi=MVI)
    make_item("tender", world.utrecht, visibility="group", group=world.closed_group.slug,
              fields={"value_min": 500, "value_max": 700, "mvi": MVI})  # fmt: skip
    db.session.commit()


def rows(page: str) -> list[list[str]]:
    table = page[page.index('id="monitor-per-jaar"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", cell))
         .replace("\xa0", " ").strip()
         for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def test_the_monitor_shows_each_years_share_by_count_and_value(client, world, as_user):
    known_data(world)
    as_user(world.utrecht_member)  # not in the closed group: the group-only tender is not theirs
    page = client.get(URL).get_data(as_text=True)
    assert rows(page) == [
        ["2024", "1", "1", "100%", "€ 1.000", "100%"],
        ["2023", "2", "1", "50%", "€ 200", "100%"],
    ]  # no 2022: the group-only tender is not this member's to see
    # The chart says the same in text, is named and described, and each year links its records.
    assert page.count('role="img"') == 2 and "<desc" in page and 'class="bar-list"' in page
    assert ">50%</text>" in page and ">100%</text>" in page
    assert 'href="/organisaties/gemeente-utrecht/monitor/registraties?jaar=2023"' in page


def test_a_group_only_tender_counts_for_a_member_of_its_group(client, world, as_user):
    known_data(world)
    from portal.groups.models import GroupMembership

    db.session.add(GroupMembership(group=world.closed_group, user=world.utrecht_member,
                                   role="member", status="approved"))  # fmt: skip
    db.session.commit()
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert rows(page)[-1] == ["2022", "1", "1", "100%", "€ 600", "100%"]


def test_only_the_organisations_members_open_its_monitor(app, client, world, as_user):
    known_data(world)
    assert client.get(URL).status_code == 302  # anonymous: to the sign-in page
    as_user(world.utrecht_member)
    assert client.get(URL).status_code == 200
    assert client.get("/organisaties/bestaat-niet/monitor").status_code == 404
    stranger = app.test_client()
    login(stranger, world.heumen_admin.email)
    assert stranger.get(URL).status_code == 404  # another organisation's admin learns nothing


def test_an_organisation_without_records_is_told_how_to_start(client, world, as_user):
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert "Geen aanbestedingen in deze periode." in page and 'role="img"' not in page
    assert 'href="/organisaties/gemeente-utrecht/monitor/registraties"' in page


def test_the_monitor_table_downloads_as_csv_and_xlsx_for_members_only(app, client, world, as_user):
    known_data(world)
    assert client.get(f"{URL}.csv").status_code == 302  # anonymous: to the sign-in page
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert f'href="{URL}.csv?tabel=jaren"' in page and f'href="{URL}.xlsx?tabel=jaren"' in page
    response = client.get(f"{URL}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                            delimiter=";"))  # fmt: skip
    assert lines[0][:4] == ["Jaar", "Aanbestedingen", "Met MVI", "Aandeel met MVI (aantal, %)"]
    assert lines[1:] == [["2023", "2", "1", "50", "200", "200", "100"],
                         ["2024", "1", "1", "100", "1000", "1000", "100"]]  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{URL}.xlsx").data)).active
    assert [cell.value for cell in sheet[2]] == [2023, 2, 1, 50, 200, 200, 100]
    stranger = app.test_client()
    login(stranger, world.heumen_admin.email)
    assert stranger.get(f"{URL}.xlsx").status_code == 404
    assert client.get(f"{URL}.pdf").status_code == 404
