"""The organisation monitor's figures on a small hand-made data set with known answers: per theme
(instrument, ambition level, weight), MKI gains, realisation, criteria reuse, the tenders behind
each figure, the peer benchmark (at least 5 organisations, opt-out) and the period."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from portal.content import services as content
from portal.content.kinds import kinds
from portal.extensions import db
from portal.groups import services as groups
from portal.monitor import queries, services
from portal.monitor.queries import PeerLine, Period
from portal.permissions import SYSTEM
from portal.taxonomy.models import AmbitionLevel, Instrument, Theme
from tests.conftest import login
from tests.factories import make_item, make_organisation
from tests.test_monitor import record

URL = "/organisaties/gemeente-utrecht/monitor"


def row(theme, instrument, level):
    return {"theme": theme, "instrument": instrument, "ambition_level": level}


def term_id(model, slug):
    return db.session.query(model.id).filter(model.slug == slug).scalar()


@pytest.fixture
def known(world):
    """Utrecht: records A (2023, circulair/voorschrijven/basis), B (2023, no MVI), C (2024,
    circulair/aanmoedigen/significant + social return/voorschrijven/basis, 80 % realised) and a
    public example tender T (2024, circulair/aanmoedigen/ambitieus weight 20 %; MKI: winner 800,
    others 1000 and 1200 → 300 lower, 27 %; 2 results promised, 1 realised → 50 %)."""
    record(world.utrecht, "A", year=2023, mvi=[row("circulair", "voorschrijven", "basis")])
    record(world.utrecht, "B", year=2023)
    record(world.utrecht, "C", year=2024, realised_percent=80, mvi=[
        row("circulair", "aanmoedigen", "significant"), row("social-return", "voorschrijven", "basis"),
    ])  # fmt: skip
    tender = make_item("tender", world.utrecht, title="Circulair meubilair", fields={
        "mvi": [{**row("circulair", "aanmoedigen", "ambitieus"), "weight_percent": 20}],
        "bids": [{"bidder": "A", "mki_eur": 800, "winner": True},
                 {"bidder": "B", "mki_eur": 1000}, {"bidder": "C", "mki_eur": 1200}],
        "contract_results": [{"promised": "50 % hergebruik", "realised": "55 %"},
                             {"promised": "Elektrisch vervoer", "realised": ""}],
    })  # fmt: skip
    tender.year = 2024
    db.session.commit()
    return tender


def test_a_tenders_figures_are_kept_in_columns_on_every_save(world, known):
    assert (known.mki_gain_eur, known.mki_gain_percent) == (300, 27)
    assert (known.results_promised, known.results_realised) == (2, 1)
    assert [(r.theme_id, r.weight_percent) for r in known.mvi_rows] == [
        (term_id(Theme, "circulair"), 20)
    ]
    fields = dict(known.kind_fields(), mvi=[row("klimaat", "uitnodigen", "basis")], bids=[])
    data = content.ItemData(title=known.title, summary=known.summary, body=known.body_md,
                            themes=["klimaat"], product_groups=[], year=2024, status="published",
                            visibility="public", fields=fields)  # fmt: skip
    content.update_item(known, data, actor=SYSTEM)
    db.session.commit()
    assert (known.mki_gain_eur, known.mki_gain_percent) == (None, None)
    assert [r.theme_id for r in known.mvi_rows] == [term_id(Theme, "klimaat")]


def test_the_theme_figures_count_each_tender_once_per_theme_instrument_and_level(world, known):
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert (figures.total.tenders, figures.total.with_mvi) == (4, 3)
    circular = figures.themes[term_id(Theme, "circulair")]
    assert circular.tenders == 3
    assert circular.by_instrument == {
        term_id(Instrument, "voorschrijven"): 1, term_id(Instrument, "aanmoedigen"): 2,
    }  # fmt: skip
    assert circular.by_ambition == {
        term_id(AmbitionLevel, "basis"): 1, term_id(AmbitionLevel, "significant"): 1,
        term_id(AmbitionLevel, "ambitieus"): 1,
    }  # fmt: skip
    assert circular.average_weight == 20
    social = figures.themes[term_id(Theme, "social-return")]
    assert (social.tenders, social.average_weight) == (1, None)
    assert set(figures.themes) == {term_id(Theme, "circulair"), term_id(Theme, "social-return")}


def test_mki_gains_and_realisation(world, known):
    outcomes = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None).outcomes
    assert (outcomes.mki_tenders, outcomes.mki_gain_eur, outcomes.mki_gain_percent) == (1, 300, 27)
    assert (outcomes.realisation_tenders, outcomes.realised_percent) == (2, 65)  # (80 + 50) / 2


def test_a_period_narrows_every_figure(world, known):
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(2024, 2024), None)
    assert (figures.total.tenders, figures.total.with_mvi) == (2, 2)
    assert [year for year, _f in figures.per_year] == [2024]
    assert figures.themes[term_id(Theme, "circulair")].tenders == 2
    earlier = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(None, 2023), None)
    assert (earlier.total.tenders, earlier.outcomes.mki_tenders) == (2, 0)


def test_the_page_shows_the_figures_and_links_them_to_the_tenders_behind(
    client, world, known, as_user
):
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert 'id="monitor-per-thema"' in page and "75%" in page  # circulair: 3 of 4
    behind = f"{URL}/aanbestedingen?thema=circulair&amp;instrument=aanmoedigen"
    assert behind in page
    listed = client.get(f"{URL}/aanbestedingen?thema=circulair&instrument=aanmoedigen")
    text = listed.get_data(as_text=True)
    assert listed.status_code == 200 and "Circulair meubilair" in text
    assert "Aanbesteding C" in text and "Aanbesteding A" not in text  # A is voorschrijven
    assert "€\xa0300" in page and "65%" in page  # MKI, realisation
    mki = client.get(f"{URL}/aanbestedingen?uitkomst=mki").get_data(as_text=True)
    assert "Circulair meubilair" in mki and "Aanbesteding C" not in mki


@pytest.mark.parametrize("query, message", [
    ("van=twintig", "Onbekend jaar"),
    ("van=2025&tot=2021", "ligt na het eindjaar"),
    ("tot=1800", "Onbekend jaar"),
    ("vergelijk=iedereen", "Onbekende vergelijkingsgroep"),
])  # fmt: skip
def test_an_unknown_period_or_peer_group_is_refused_in_dutch(
    client, world, as_user, query, message
):
    as_user(world.utrecht_member)
    urls = [f"{URL}?{query}", f"{URL}.csv?{query}"]
    if "vergelijk" not in query:  # the tenders behind a figure have no peer group
        urls.append(f"{URL}/aanbestedingen?{query}")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 400 and message in response.get_data(as_text=True), url


@pytest.mark.parametrize("query, message", [
    ("thema=bestaat-niet", "Onbekend thema"), ("instrument=x", "Onbekend instrument"),
    ("ambitie=x", "Onbekend ambitieniveau"), ("mvi=misschien", "Kies bij mvi"),
    ("uitkomst=winst", "Kies bij uitkomst"),
])  # fmt: skip
def test_an_unknown_selection_is_refused_in_dutch(client, world, as_user, query, message):
    as_user(world.utrecht_member)
    response = client.get(f"{URL}/aanbestedingen?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_an_unknown_table_is_refused(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.get(f"{URL}.xlsx?tabel=alles")
    assert response.status_code == 400 and "Onbekende tabel" in response.get_data(as_text=True)


def test_the_theme_table_downloads_with_numbers(client, world, known, as_user):
    as_user(world.utrecht_member)
    text = client.get(f"{URL}.csv?tabel=themas").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][:3] == ["Thema", "Aanbestedingen met dit thema", "Aandeel (%)"]
    circular = next(line for line in lines if line[0].startswith("Circulair"))
    assert circular[1:3] == ["3", "75"] and circular[-1] == "20"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{URL}.xlsx?tabel=themas").data)).active
    values = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2)]
    assert any(line[1:3] == [3, 75] for line in values)


# --- Criteria reuse -----------------------------------------------------------------------------


def test_criteria_reuse_both_ways(world, known):
    own_criterion = make_item("criterion", world.utrecht, title="Utrechtse MKI-eis")
    heumen_criterion = make_item("criterion", world.heumen, title="Heumense SROI-eis")
    heumen_tender = make_item("tender", world.heumen, title="Heumen meubilair")
    content.link_items(heumen_criterion, known, actor=SYSTEM)  # Heumen's criterion in our tender
    content.link_items(own_criterion, heumen_tender, actor=SYSTEM)  # ours in Heumen's tender
    db.session.commit()
    reuse = queries.criteria_reuse(world.utrecht.id, SYSTEM)
    assert reuse.used == {heumen_criterion.id: 1}
    assert reuse.used_by_others == {own_criterion.id: 1}


def test_criteria_reuse_leaves_out_what_the_viewer_may_not_see(world, known, as_user, client):
    hidden = make_item("criterion", world.heumen, title="Alleen voor een groep",
                       visibility="group", group=world.closed_group.slug)  # fmt: skip
    content.link_items(hidden, known, actor=SYSTEM)
    db.session.commit()
    as_user(world.utrecht_member)
    assert "Alleen voor een groep" not in client.get(URL).get_data(as_text=True)
    assert queries.criteria_reuse(world.utrecht.id, SYSTEM).used == {hidden.id: 1}


# --- Who sees the figures -----------------------------------------------------------------------


def test_a_public_monitor_shows_figures_but_never_records(app, client, world, known):
    assert client.get(URL).status_code == 302  # not public: anonymous goes to sign in
    world.utrecht.monitor_public = True
    db.session.commit()
    page = client.get(URL)
    assert page.status_code == 200 and "75%" in page.get_data(as_text=True)
    behind = client.get(f"{URL}/aanbestedingen?thema=circulair").get_data(as_text=True)
    assert "Circulair meubilair" in behind and "Aanbesteding A" not in behind
    assert "tellen 2 geregistreerde aanbestedingen mee" in behind
    assert client.get(f"{URL}/registraties").status_code == 302  # the records stay members'
    stranger = app.test_client()
    login(stranger, world.heumen_admin.email)
    assert stranger.get(f"{URL}/registraties").status_code == 404


def test_only_an_admin_changes_the_monitor_settings(app, client, world, as_user):
    as_user(world.utrecht_editor)
    page = client.get(URL).get_data(as_text=True)
    assert 'id="instellingen"' not in page
    response = client.post(f"{URL}/instellingen", data={"public": "y"})
    assert response.status_code == 403 and world.utrecht.monitor_public is False
    admin = app.test_client()
    login(admin, world.utrecht_admin.email)
    page = admin.get(URL).get_data(as_text=True)
    assert 'id="instellingen"' in page
    response = admin.post(f"{URL}/instellingen", data={"public": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (world.utrecht.monitor_public, world.utrecht.monitor_benchmark) == (True, False)


# --- Peers --------------------------------------------------------------------------------------


def peers(world, shares, *, region=None):
    """One gemeente per share (in quarters): 4 records each, `share` of them with circulair."""
    made = []
    for n, quarters in enumerate(shares):
        organisation = make_organisation(f"Gemeente Peer {n}", size="meer-dan-100000",
                                         regions_=[region] if region else None)  # fmt: skip
        for i in range(4):
            mvi = [row("circulair", "voorschrijven", "basis")] if i < quarters else []
            record(organisation, f"P{i}", year=2024, mvi=mvi)
        made.append(organisation)
    db.session.commit()
    return made


def test_peer_thirds_and_positions():
    shares = [0, 25, 50, 75, 100]
    assert PeerLine.of(75, shares) == PeerLine(75, 50, 33, 67, "koploper")
    assert PeerLine.of(50, shares).position == "middenveld"
    assert PeerLine.of(20, shares).position == "achterblijver"
    assert PeerLine.of(None, shares).position is None


def test_the_benchmark_places_the_organisation_among_five_peers(client, world, known, as_user):
    peers(world, [0, 1, 2, 3, 4])  # 0 %, 25 %, 50 %, 75 %, 100 % with MVI (and circulair)
    as_user(world.utrecht_member)
    groups = queries.peer_groups(world.utrecht, world.utrecht_member)
    soort = next(g for g in groups if g.key == "soort")
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), soort)
    bench = figures.benchmark
    assert bench.peers == 5 and not bench.too_few  # Heumen has no tenders: not a peer
    assert bench.overall == PeerLine(75, 50, 33, 67, "koploper")
    assert bench.themes[term_id(Theme, "circulair")] == PeerLine(75, 50, 33, 67, "koploper")
    # No peer applies social return: any share of it is in the highest third.
    assert bench.themes[term_id(Theme, "social-return")] == PeerLine(25, 0, 0, 0, "koploper")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="monitor-vergelijking"' in page and "koploper" in page
    assert "Gemeente Peer" not in page  # no other organisation is named
    lines = list(csv.reader(io.StringIO(
        client.get(f"{URL}.csv?tabel=vergelijking").get_data(as_text=True).lstrip("\ufeff")
    ), delimiter=";"))  # fmt: skip
    assert lines[1] == ["MVI toegepast", "75", "50", "33", "67", "koploper"]


def test_under_five_peers_no_peer_figure_is_shown(client, world, known, as_user):
    peers(world, [0, 1, 2, 3])
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert "Te weinig vergelijkbare organisaties" in page
    assert 'id="monitor-vergelijking"' not in page
    lines = client.get(f"{URL}.csv?tabel=vergelijking").get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1  # the header only


def test_an_organisation_that_opts_out_does_not_count_for_its_peers(world, known):
    made = peers(world, [0, 1, 2, 3, 4])
    made[0].monitor_benchmark = False
    db.session.commit()
    soort = queries.peer_groups(world.utrecht, world.utrecht_member)[0]
    assert queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), soort).benchmark.too_few


def test_peer_groups_by_size_region_and_working_group(world, known):
    from portal.groups import services as groups

    groups.add_group_member(world.open_group, world.utrecht_member, "member", actor=SYSTEM)
    db.session.commit()
    keys = [group.key for group in queries.peer_groups(world.utrecht, world.utrecht_member)]
    assert keys[:2] == ["soort", "grootte"] and f"groep-{world.open_group.slug}" in keys
    heumen_keys = [group.key for group in queries.peer_groups(world.heumen, world.heumen_admin)]
    assert any(key.startswith("regio-") for key in heumen_keys)


def test_a_members_only_tender_counts_only_for_a_viewer_who_may_see_it(world, known):
    make_item("tender", world.utrecht, visibility="group", group=world.closed_group.slug,
              fields={"mvi": [row("klimaat", "voorschrijven", "basis")]})  # fmt: skip
    member = queries.organisation_monitor(world.utrecht.id, world.utrecht_member, Period(), None)
    everyone = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert term_id(Theme, "klimaat") not in member.themes
    assert everyone.themes[term_id(Theme, "klimaat")].tenders == 1


def test_the_organisation_page_opens_the_monitor_for_members_and_when_public(app, client, world):
    link = 'href="/organisaties/gemeente-utrecht/monitor"'
    assert link not in client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    member = app.test_client()
    login(member, world.utrecht_member.email)
    page = member.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    assert link in page and "/monitor/registraties" in page
    world.utrecht.monitor_public = True
    db.session.commit()
    page = client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    assert link in page and "/monitor/registraties" not in page


# --- Found in review: each failed before its fix ------------------------------------------------

HEUMEN = "/organisaties/gemeente-heumen/monitor"


def tender_without_year(organisation):
    """A published example tender whose (optional) year was left empty."""
    data = content.ItemData(
        title="Tender zonder jaar", summary="Kort.", body="Tekst.", themes=["circulair"],
        product_groups=[], year=None, status="published", visibility="public",
        fields={"cpv_codes": ["45233220"], "value_min": 1000,
                "mvi": [row("circulair", "voorschrijven", "basis")]},
    )  # fmt: skip
    item = content.create_item(organisation, kinds()["tender"], data, actor=SYSTEM)
    db.session.commit()
    return item


def test_a_tender_without_a_year_does_not_break_the_monitor(client, world, as_user):
    record(world.utrecht, "A", year=2024)
    tender_without_year(world.utrecht)
    as_user(world.utrecht_member)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}.csv?tabel=jaren").status_code == 200
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert figures.total.tenders == 1  # a tender without a year cannot be placed: left out


def test_an_archived_example_tender_counts_in_the_monitor(world):
    tender = make_item("tender", world.utrecht,
                       fields={"mvi": [row("circulair", "voorschrijven", "basis")]})  # fmt: skip
    content.set_status(tender, "archived", actor=SYSTEM)
    db.session.commit()
    figures = queries.organisation_monitor(world.utrecht.id, world.utrecht_member, Period(), None)
    assert (figures.total.tenders, figures.total.with_mvi) == (1, 1)


def test_a_promoted_tenders_mki_gain_weights_and_criteria_count(world):
    made = record(world.utrecht, "P", year=2022, mvi=[row("circulair", "voorschrijven", "basis")])
    tender = make_item("tender", world.utrecht, title="Gepromoveerd", fields={
        "mvi": [{**row("circulair", "aanmoedigen", "ambitieus"), "weight_percent": 20}],
        "bids": [{"bidder": "A", "mki_eur": 800, "winner": True}, {"bidder": "B", "mki_eur": 1000}],
    })  # fmt: skip
    made.tender_id = tender.id  # what promote_record does; then the editor fills the tender in
    criterion = make_item("criterion", world.heumen, title="Heumense MKI-eis")
    content.link_items(criterion, tender, actor=SYSTEM)
    db.session.commit()
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert figures.total.tenders == 1
    assert figures.outcomes.mki_tenders == 1
    assert figures.themes[term_id(Theme, "circulair")].average_weight == 20
    assert figures.criteria.used == {criterion.id: 1}
    # A viewer who may not open the tender counts the record by its own rows, without them.
    tender.visibility, tender.group_id = "group", world.closed_group.id
    db.session.commit()
    member = queries.organisation_monitor(world.utrecht.id, world.utrecht_member, Period(), None)
    assert member.total.tenders == 1 and member.outcomes.mki_tenders == 0
    assert member.criteria.used == {}


def test_a_public_monitor_does_not_reveal_closed_group_membership(client, world):
    groups.add_group_member(world.closed_group, world.utrecht_member, "member", actor=SYSTEM)
    world.utrecht.monitor_public = True
    db.session.commit()
    record(world.utrecht, "A", year=2024)
    page = client.get(URL).get_data(as_text=True)
    assert world.closed_group.name not in page and world.closed_group.slug not in page
    assert client.get(f"{URL}?vergelijk=groep-{world.closed_group.slug}").status_code == 400


def test_too_few_peers_does_not_say_how_many(client, world):
    world.heumen.monitor_public = True
    region = world.heumen.regions[0]
    neighbour = make_organisation("Gemeente Buurdorp", regions_=[region])  # monitor not public
    db.session.commit()
    record(world.heumen, "H", year=2024)
    key = f"regio-{region.slug}"
    before = client.get(f"{HEUMEN}?vergelijk={key}&van=2024&tot=2024").get_data(as_text=True)
    record(neighbour, "B", year=2024)
    after = client.get(f"{HEUMEN}?vergelijk={key}&van=2024&tot=2024").get_data(as_text=True)
    assert "Te weinig vergelijkbare organisaties" in after
    assert before == after  # a neighbour's one record changes nothing a stranger can read


def test_the_comparison_download_shows_what_the_page_shows(client, world, as_user):
    peers(world, [0, 1, 2, 3, 4])  # five peers with tenders in 2024; Utrecht has none
    as_user(world.utrecht_member)
    page = client.get(URL).get_data(as_text=True)
    assert 'id="monitor-vergelijking"' not in page
    lines = client.get(f"{URL}.csv?tabel=vergelijking").get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1


def test_a_co_owned_joint_tender_registered_as_a_record_counts_once(world):
    record(world.utrecht, "TN-123", year=2022)
    data = content.ItemData(
        title="Gezamenlijke aanbesteding", summary="Kort.", body="Tekst.", year=2022,
        status="published", visibility="public", co_owners=[world.utrecht],
        fields={"cpv_codes": ["45233220"], "tender_reference": "TN-123"},
    )  # fmt: skip
    content.create_item(world.heumen, kinds()["tender"], data, actor=SYSTEM)
    db.session.commit()
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert figures.total.tenders == 1


def test_an_earlier_example_tender_registered_as_a_record_counts_once_and_is_linked(world):
    tender = make_item("tender", world.utrecht, fields={
        "tender_reference": "TN-9",
        "bids": [{"bidder": "A", "mki_eur": 800, "winner": True}, {"bidder": "B", "mki_eur": 1000}],
    })  # fmt: skip
    made = record(world.utrecht, "TN-9", year=2022)
    assert made.tender_id == tender.id  # the record stands for the tender with its reference
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert figures.total.tenders == 1 and figures.outcomes.mki_tenders == 1


def test_a_record_whose_reference_is_changed_no_longer_stands_for_the_tender(world):
    first = make_item("tender", world.utrecht, fields={"tender_reference": "TN-9"})
    second = make_item("tender", world.utrecht, fields={"tender_reference": "TN-10"})
    made = record(world.utrecht, "TN-9", year=2022)
    assert made.tender_id == first.id
    values = {"reference": "TN-10", "title": made.title, "year": 2022}
    services.update_record(made, services.RecordData(**values), actor=SYSTEM)
    db.session.commit()
    assert made.tender_id == second.id  # it stands for the tender with its new reference
    services.update_record(made, services.RecordData(**{**values, "reference": "EIGEN-1"}),
                           actor=SYSTEM)  # fmt: skip
    db.session.commit()
    assert made.tender_id is None
    figures = queries.organisation_monitor(world.utrecht.id, SYSTEM, Period(), None)
    assert figures.total.tenders == 3  # two example tenders and the record, each once
