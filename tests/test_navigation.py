"""Finding your way: the menu's Kennis overview and current entry, the home page that leads with
examples and the numbers a buyer cares about, and lists and search that put results first."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.common import utcnow
from portal.extensions import db
from portal.questions import services as qa
from tests.conftest import login
from tests.factories import make_item
from tests.test_events import make_event
from tests.test_questions import ask, question


def current_entries(html: str) -> list[str]:
    """The labels of the main menu's entries marked as the current page."""
    menu = html.split('class="main-nav"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'aria-current="page">([^<]+)</a>', menu)


def test_the_menu_opens_an_overview_of_all_knowledge_kinds(client, world):
    """#1: Kennis opened only tenders; now it opens /kennis, with every knowledge kind, how many
    items each holds (as far as the reader may see) and the newest ones."""
    make_item("tender", world.utrecht, title="Asfalt met MKI-plafond")
    make_item("criterion", world.utrecht, title="Gunningscriterium MKI per variant")
    make_item("consultation", world.utrecht, title="Marktdag circulair asfalt")
    make_item("lesson", world.utrecht, title="Betrek de contractmanager vroeg")
    make_item("tender", world.utrecht, title="Alleen voor leden", visibility="members")
    make_item("tender", world.utrecht, title="Nog een concept", status="draft")

    home = client.get("/").get_data(as_text=True)
    assert '<a href="/kennis">Kennis</a>' in home
    page = client.get("/kennis")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and current_entries(html) == ["Kennis"]
    for plural, title in [
        ('Voorbeeldaanbestedingen</a> <span class="count">(1)', "Asfalt met MKI-plafond"),
        ('Criteria en eisen</a> <span class="count">(1)', "Gunningscriterium MKI per variant"),
        ('Marktconsultaties</a> <span class="count">(1)', "Marktdag circulair asfalt"),
        ('Geleerde lessen</a> <span class="count">(1)', "Betrek de contractmanager vroeg"),
    ]:
        assert plural in html and title in html
    assert "Alleen voor leden" not in html and "Nog een concept" not in html
    assert "Vragen" not in html.split('class="kind-grid"', 1)[1]  # conversations are not knowledge

    assert login(client, world.utrecht_member.email).status_code == 302
    member_view = client.get("/kennis").get_data(as_text=True)
    assert 'Voorbeeldaanbestedingen</a> <span class="count">(2)' in member_view
    assert "Alleen voor leden" in member_view


def test_the_criteria_basket_is_linked_from_the_overview_and_the_header(client, world):
    """#1: the basket was linked only from the account page."""
    criterion = make_item("criterion", world.utrecht, title="Eis herkomst elektriciteit")
    anonymous = client.get("/kennis").get_data(as_text=True)
    assert "/mandje" not in anonymous  # denied: the basket needs an account

    assert login(client, world.utrecht_member.email).status_code == 302
    assert "/mandje" in client.get("/kennis").get_data(as_text=True)
    assert 'href="/mandje"' not in client.get("/").get_data(as_text=True)  # empty: no header link
    client.post(f"/criteria/{criterion.slug}/mandje", data={"aan": "1"})
    header = client.get("/").get_data(as_text=True).split("</header>", 1)[0]
    assert 'href="/mandje"' in header and '<span class="count-badge">1' in header


def test_the_home_page_leads_with_examples_numbers_and_upcoming_events(client, world):
    """#2: newest tenders and criteria first; tenders, criteria, answered questions and the
    organisations sharing as figures; only upcoming events, apart, and never twice."""
    make_item("tender", world.utrecht, title="Schoonmaak met social return")
    make_item("criterion", world.heumen, title="Eis elektrische bestelbussen")
    make_item("tender", world.utrecht, title="Geheim concept", status="draft")
    make_item("lesson", world.utrecht, title="Les over marktdagen")
    make_event(world.utrecht, title="Voorbije marktdag", start=utcnow() - timedelta(days=20))
    make_event(world.utrecht, title="Komende regiobijeenkomst")
    assert login(client, world.utrecht_member.email).status_code == 302
    assert ask(client).status_code == 302
    qa.answer_question(question(), "Gebruik de SROI-monitor.", [], actor=world.utrecht_admin)
    db.session.commit()
    client.post("/uitloggen")

    html = client.get("/").get_data(as_text=True)
    figures = html.split('class="stats"', 1)[1].split("</ul>", 1)[0]
    numbers = dict(
        (label.strip(), int(n))
        for n, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</a>", figures)
    )
    assert numbers == {"voorbeeldaanbestedingen": 1, "criteria en eisen": 1,
                       "beantwoorde vragen": 1, "organisaties delen kennis": 2}  # fmt: skip
    lead = html.split('class="stats"', 1)[1]
    assert lead.index("Schoonmaak met social return") < lead.index("Komende regiobijeenkomst")
    assert "Eis elektrische bestelbussen" in html and "Geheim concept" not in html
    assert "Voorbije marktdag" not in html and html.count("Komende regiobijeenkomst") == 1

    assert login(client, world.utrecht_member.email).status_code == 302
    client.post("/volgen", data={"type": "organisation", "id": world.utrecht.id, "aan": "1"})
    signed_in = client.get("/").get_data(as_text=True)
    followed = signed_in.split('id="gevolgd"', 1)[1].split("</section>", 1)[0]
    assert "Les over marktdagen" in followed  # the follow took effect
    assert "Voorbije marktdag" not in signed_in and "Komende regiobijeenkomst" not in followed
    assert "Voor u" in signed_in and signed_in.count("Komende regiobijeenkomst") == 1


def test_lists_and_search_fold_their_filters_and_show_chosen_ones_as_chips(client, world):
    """#3: on a phone the first result was below 13 facet groups; the filters now sit in a closed
    <details> right before the results, and each chosen filter is a chip that removes it."""
    make_item("tender", world.utrecht, title="Circulair asfalt in de regio", themes=["circulair"])
    make_item("tender", world.utrecht, title="Klimaatneutraal asfalt", themes=["klimaat"])

    listing = client.get("/aanbestedingen/?thema=circulair&jaar=2022").get_data(as_text=True)
    panel = listing.split('<details class="filter-panel wide-open">', 1)[1]
    filters, results = panel.split("</details>", 1)
    assert 'name="thema"' in filters and "Circulair asfalt in de regio" in results
    assert "Klimaatneutraal asfalt" not in results
    chips = results.split('class="chips"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/aanbestedingen/?jaar=2022"' in chips  # removes the theme, keeps the year
    assert 'href="/aanbestedingen/?thema=circulair"' in chips  # removes the year
    assert "Circulair ✕" in chips and "2022 ✕" in chips

    search = client.get("/zoeken?q=asfalt&thema=circulair").get_data(as_text=True)
    panel = search.split('<details class="filter-panel wide-open">', 1)[1]
    facets, results = panel.split("</details>", 1)
    assert "Verfijnen" in facets and "Circulair asfalt in de regio" in results
    chips = results.split('class="chips"', 1)[1].split("</ul>", 1)[0]
    assert "Circulair ✕" in chips and 'href="/zoeken?q=asfalt"' in chips


def test_the_menu_marks_the_section_the_page_belongs_to(client, world):
    """#9: a question's page marked "Kennis" as current; each page now marks its own entry."""
    tender = make_item("tender", world.utrecht, title="Asfalt")
    event = make_event(world.utrecht, title="Regiodag")
    assert login(client, world.utrecht_member.email).status_code == 302
    assert ask(client).status_code == 302
    for path, expected in [
        ("/", ["Home"]),
        ("/kennis", ["Kennis"]),
        ("/aanbestedingen/", ["Kennis"]),
        (f"/aanbestedingen/{tender.slug}", ["Kennis"]),
        ("/mandje", ["Kennis"]),
        ("/vragen/", ["Vragen"]),
        (f"/vragen/{question().slug}", ["Vragen"]),
        ("/bijeenkomsten/", ["Bijeenkomsten"]),
        (f"/bijeenkomsten/{event.slug}", ["Bijeenkomsten"]),
        ("/themas/circulair", ["Thema's"]),
        ("/organisaties/gemeente-utrecht", ["Organisaties"]),
        ("/privacy", []),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert current_entries(response.get_data(as_text=True)) == expected, path
