"""Machine-readable pages: robots.txt, the sitemaps of public pages and items, and the schema.org
JSON-LD on item pages — each showing only what an anonymous visitor may open."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from portal.extensions import db
from portal.main import sitemap
from portal.moderation import services as moderation
from portal.questions import services as qa
from tests.factories import make_item
from tests.test_events import make_event

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own response
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


def item_locations(client) -> list[str]:
    found = []
    for url in locations(client, "/sitemap.xml"):
        if "sitemap-items-" in url:
            found += locations(client, url.split("127.0.0.1", 1)[-1].split(":5000", 1)[-1])
    return found


def linked_data(client, path: str) -> dict:
    page = client.get(path).get_data(as_text=True)
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_robots_names_the_sitemap_and_keeps_crawlers_out_of_accounts(client, app):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert f"Sitemap: {app.config['PUBLIC_URL']}/sitemap.xml" in text
    assert "Disallow: /account" in text and "Disallow: /beheer" in text


def test_sitemap_lists_public_items_only(client, world):
    public = make_item("tender", world.utrecht, title="Openbaar voorbeeld")
    draft = make_item("tender", world.utrecht, title="Nog een concept", status="draft")
    members = make_item("lesson", world.utrecht, title="Alleen leden", visibility="members")
    grouped = make_item("lesson", world.utrecht, title="Werkgroep", visibility="group",
                        group=world.closed_group.slug)  # fmt: skip
    hidden = make_item("criterion", world.utrecht, title="Verborgen criterium")
    moderation.hide_item(hidden, "spam", actor=world.moderator)
    db.session.commit()

    urls = item_locations(client)
    assert any(url.endswith(f"/aanbestedingen/{public.slug}") for url in urls)
    for other in (draft, members, grouped, hidden):
        assert not any(url.endswith(f"/{other.slug}") for url in urls), other.title
    assert all(url.startswith("http") for url in urls)  # absolute, from PUBLIC_URL


def test_sitemap_pages_hold_overviews_terms_and_organisations(client, world):
    urls = locations(client, "/sitemap-paginas.xml")
    assert any(url.endswith("/aanbestedingen/") for url in urls)
    assert any(url.endswith("/themas/circulair") for url in urls)
    assert any(url.endswith(f"/organisaties/{world.heumen.slug}") for url in urls)
    assert any(url.endswith("/monitor") for url in urls)
    assert not any("/beheer" in url or "/account" in url for url in urls)


def test_items_are_split_over_files_and_a_file_past_the_end_is_404(client, world, monkeypatch):
    monkeypatch.setattr(sitemap, "ITEMS_PER_SITEMAP", 2)
    made = [make_item("lesson", world.utrecht, title=f"Les {n}") for n in range(5)]
    files = [u for u in locations(client, "/sitemap.xml") if "sitemap-items-" in u]
    assert len(files) == 3
    assert len(locations(client, "/sitemap-items-3.xml")) == 1
    all_items = [url for n in (1, 2, 3) for url in locations(client, f"/sitemap-items-{n}.xml")]
    assert sorted(u.rsplit("/", 1)[1] for u in all_items) == sorted(i.slug for i in made)
    assert client.get("/sitemap-items-4.xml").status_code == 404
    assert client.get("/sitemap-items-0.xml").status_code == 404
    assert client.get("/sitemap-items-x.xml").status_code == 404


def test_no_public_items_gives_an_index_with_the_pages_only(client, taxonomy):
    assert [u.rsplit("/", 1)[1] for u in locations(client, "/sitemap.xml")] == [
        "sitemap-paginas.xml"
    ]


def test_tender_page_describes_itself_as_an_article_about_a_demand(client, world):
    tender = make_item("tender", world.utrecht, title="Asfalt met lage MKI",
                       fields={"value_max": 2000000, "tender_reference": "TN-123"})  # fmt: skip
    data = linked_data(client, f"/aanbestedingen/{tender.slug}")
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["name"] == "Asfalt met lage MKI" and data["inLanguage"] == "nl"
    assert data["publisher"]["name"] == "Gemeente Utrecht"
    assert data["url"].endswith(f"/aanbestedingen/{tender.slug}")
    assert "Circulair inkopen" in data["keywords"] or any("ircul" in k for k in data["keywords"])
    demand = data["about"]
    assert demand["@type"] == "Demand" and demand["identifier"] == "TN-123"
    assert demand["category"] == ["CPV 45233220"]
    assert demand["priceSpecification"] == {
        "@type": "PriceSpecification", "priceCurrency": "EUR", "minPrice": 1000000,
        "maxPrice": 2000000,
    }  # fmt: skip


def test_a_title_cannot_break_out_of_the_json_ld(client, world):
    lesson = make_item("lesson", world.utrecht, title="Les </script><script>alert(1)</script>")
    page = client.get(f"/lessen/{lesson.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert linked_data(client, f"/lessen/{lesson.slug}")["name"].endswith("alert(1)</script>")


def test_question_page_is_a_qa_page_without_hidden_answers(client, world):
    asked = qa.ask_question(qa.QuestionData(title="Social return onder de drempel?", body="Hoe?"),
                            actor=world.heumen_admin)  # fmt: skip
    good = qa.answer_question(asked, "Vraag 5 % van de loonsom.", actor=world.utrecht_member)
    spam = qa.answer_question(asked, "Koop hier goedkope horloges.", actor=world.utrecht_editor)
    db.session.commit()
    qa.accept_answer(good, actor=world.heumen_admin)
    moderation.set_answer_hidden(spam, True, actor=world.moderator)
    db.session.commit()

    data = linked_data(client, f"/vragen/{asked.slug}")
    assert data["@type"] == "QAPage"
    question = data["mainEntity"]
    assert question["@type"] == "Question" and question["answerCount"] == 1
    assert question["acceptedAnswer"]["text"] == "Vraag 5 % van de loonsom."
    assert question["acceptedAnswer"]["author"]["name"] == "Gemeente Utrecht"
    assert "horloges" not in json.dumps(data) and "suggestedAnswer" not in question


def test_event_page_is_an_event_with_place_and_time(client, world):
    event = make_event(world.utrecht, online_url="https://example.org/live")
    data = linked_data(client, f"/bijeenkomsten/{event.slug}")
    assert data["@type"] == "Event" and "headline" not in data and "author" not in data
    assert data["startDate"].startswith(str(event.starts_at.astimezone().date())[:4])
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert {p["@type"] for p in data["location"]} == {"Place", "VirtualLocation"}
    assert data["organizer"]["name"] == "Gemeente Utrecht"


@pytest.mark.parametrize("status", ["draft", "published"])
def test_json_ld_only_on_pages_the_viewer_may_open(client, world, status):
    item = make_item("lesson", world.utrecht, title="Les voor leden", visibility="members",
                     status=status)  # fmt: skip
    response = client.get(f"/lessen/{item.slug}")
    assert response.status_code in (403, 404)
    assert "ld+json" not in response.get_data(as_text=True)


def test_lastmod_follows_the_items_update(client, world):
    item = make_item("lesson", world.utrecht, title="Les met datum")
    response = client.get("/sitemap-items-1.xml").get_data(as_text=True)
    assert f"<lastmod>{item.updated_at.strftime('%Y-%m-%d')}</lastmod>" in response


def test_a_tender_page_links_its_ocds_release_and_another_kind_does_not(client, world):
    tender = make_item("tender", world.utrecht, title="Aanbesteding met release")
    lesson = make_item("lesson", world.utrecht, title="Les zonder release")
    page = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/json" title="OCDS-release" '
                     r'href="([^"]+)">', page)  # fmt: skip
    assert link and link.group(1) == f"/aanbestedingen/{tender.slug}.ocds.json"
    assert client.get(link.group(1)).json["ocid"]
    assert "OCDS-release" not in client.get(f"/lessen/{lesson.slug}").get_data(as_text=True)


def test_every_item_page_links_its_json_in_the_api(client, world):
    lesson = make_item("lesson", world.utrecht, title="Les met JSON")
    page = client.get(f"/lessen/{lesson.slug}").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/json" title="JSON \(REST API\)" '
                     r'href="([^"]+)">', page)  # fmt: skip
    assert link and link.group(1) == f"/api/v1/items/{lesson.slug}"
    assert client.get(link.group(1)).json["title"] == "Les met JSON"
