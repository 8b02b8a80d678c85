"""Dutch full-text search on the embedded engine: analysis, ranking, permissions, facets, bad input."""

import pytest

from portal.content import services as content
from portal.extensions import db
from portal.permissions import SYSTEM
from portal.questions import services as qa
from portal.search.analysis import analyze, expand_query, fold, split_compound
from portal.search.services import check, reindex
from tests.factories import build_spelling, make_item


def titles(client, query: str, **params) -> list[str]:
    import re

    page = client.get("/zoeken", query_string={"q": query, **params}).get_data(as_text=True)
    return re.findall(r'<h2 class="h3"><a href="[^"]+">([^<]+)</a>', page)


def test_analysis_folds_stems_and_splits_compounds():
    assert fold("Coördinator") == "coordinator"
    assert split_compound("duurzaamheidsambities") == ("duurzaamheid", "ambities")
    assert split_compound("levenscycluskosten") == ("levenscyclus", "kosten")
    assert analyze("aanbestedingen") == analyze("aanbesteding")
    assert set(analyze("ambitie")) <= set(analyze("duurzaamheidsambities"))
    assert "de" not in " ".join(analyze("de het een"))
    assert analyze("milieukostenindicator")[0] in expand_query("MKI")
    assert "kost" not in expand_query("MKI")  # the expansion is the whole word, not its parts


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("duurzaam", "Wij kopen duurzame producten in.", "duurzame"),  # vowel undoubled in the stem
        ("ambitie", "De duurzaamheidsambities zijn hoog.", "duurzaamheidsambities"),  # compound
        ("coordinator", "De Coördinator MVI belt terug.", "Coördinator"),  # accents
        ("MKI", "Een plafond voor de milieukostenindicator.", "milieukostenindicator"),
        ("mogelijkheid", "Er zijn drie mogelijkheden.", "mogelijkheden"),
        ("koop", "Wij kopen samen in.", "kopen"),  # a short stem with an undoubled vowel
    ],
)
def test_snippets_mark_every_form_of_a_query_word(query, text, marked):
    from portal.search.query import parse
    from portal.search.snippets import snippet

    assert f"<mark>{marked}</mark>" in str(snippet(text, parse(query).highlight_terms))
    assert snippet("Een tekst over iets heel anders.", parse(query).highlight_terms) is None


def test_finds_compound_parts_abbreviations_and_natural_questions(client, world):
    make_item("tender", world.utrecht, title="Duurzaamheidsambities in de wegenbouw")
    make_item("criterion", world.utrecht, title="Gunnen op de milieukostenindicator bij asfalt")
    make_item("lesson", world.utrecht, title="Levenscycluskosten maken LED goedkoper")
    make_item("tender", world.heumen, title="Catering met minder vlees in de bedrijfskantine")
    assert titles(client, "ambitie") == ["Duurzaamheidsambities in de wegenbouw"]
    assert titles(client, "duurzaamheid") == ["Duurzaamheidsambities in de wegenbouw"]
    assert titles(client, "MKI asfalt")[0] == "Gunnen op de milieukostenindicator bij asfalt"
    assert titles(client, "levenscyclus kosten")[0] == "Levenscycluskosten maken LED goedkoper"
    assert (
        titles(client, "hoe doen jullie minder vlees in de kantine?")[0]
        == "Catering met minder vlees in de bedrijfskantine"
    )
    assert titles(client, "coördinator") == [] and titles(client, "coordinator") == []


def test_title_matches_rank_above_body_matches(client, world):
    make_item(
        "lesson",
        world.utrecht,
        title="Een les over planning",
        fields={"context": "Het ging om asfalt."},
    )
    make_item("tender", world.utrecht, title="Asfalt voor de ringweg")
    assert titles(client, "asfalt") == ["Asfalt voor de ringweg", "Een les over planning"]


def test_phrase_and_exclusion(client, world):
    make_item("tender", world.utrecht, title="Social return bij schoonmaak")
    make_item("tender", world.utrecht, title="Social media en schoonmaak")
    assert titles(client, '"social return"') == ["Social return bij schoonmaak"]
    assert titles(client, "schoonmaak -media") == ["Social return bij schoonmaak"]


def test_word_only_in_an_attachment_finds_the_item_with_a_snippet(client, world):
    from portal.seeding import demo_pdf

    item = make_item("tender", world.utrecht, title="Onderhoud wegen")
    content.add_attachment(
        item, "rapport.pdf", demo_pdf(["Het bitumenpercentage was laag."]), actor=SYSTEM
    )
    db.session.commit()
    page = client.get("/zoeken", query_string={"q": "bitumenpercentage"}).get_data(as_text=True)
    assert (
        "Onderhoud wegen" in page
        and "In bijlage rapport.pdf" in page
        and "<mark>bitumenpercentage</mark>" in page
    )


def test_hidden_items_leave_no_trace(client, world, as_user):
    make_item("tender", world.utrecht, title="Openbare asfaltaanbesteding")
    make_item("tender", world.utrecht, title="Besloten asfaltaanbesteding", visibility="members")
    make_item(
        "lesson",
        world.heumen,
        title="Groepsles asfalt",
        visibility="group",
        group="kleine-gemeenten-samen",
    )
    make_item("tender", world.utrecht, title="Concept asfalt", status="draft")
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert "Openbare asfaltaanbesteding" in page
    for hidden in ("Besloten", "Groepsles", "Concept asfalt"):
        assert hidden not in page
    assert "1 resultaat" in page and "Geleerde lessen" not in page  # no facet for the hidden lesson
    as_user(world.heumen_admin)
    assert set(titles(client, "asfalt")) == {
        "Openbare asfaltaanbesteding",
        "Besloten asfaltaanbesteding",
        "Groepsles asfalt",
    }


def test_facets_narrow_and_are_in_the_url(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["klimaat"])
    make_item("criterion", world.heumen, title="Asfalt-eis Heumen", themes=["circulair"])
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert 'Voorbeeldaanbestedingen <span class="count">(1)</span>' in page
    assert titles(client, "asfalt", soort="criterion") == ["Asfalt-eis Heumen"]
    assert sorted(titles(client, "asfalt", thema=["klimaat", "circulair"])) == [
        "Asfalt Utrecht",
        "Asfalt-eis Heumen",
    ]
    assert titles(client, "asfalt", thema="bestaat-niet") == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "de het een",
        "x" * 5000,
        '"onbalans',
        "asfalt* ?~ :() [] {} ^",
        "'; DROP TABLE items; --",
        "<script>alert(1)</script>",
    ],
)
def test_bad_input_gives_a_sensible_page(client, world, query):
    make_item("tender", world.utrecht, title="Asfalt")
    response = client.get("/zoeken", query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_page_numbers(client, world):
    make_item("tender", world.utrecht, title="Asfalt")
    assert client.get("/zoeken?q=asfalt&pagina=10000").status_code == 200
    assert client.get("/zoeken?q=asfalt&pagina=abc").status_code == 404
    assert client.get("/zoeken?q=asfalt&pagina=²").status_code == 404  # "²".isdigit() is True
    assert client.get("/api/search?q=asfalt&pagina=²").status_code == 400
    assert client.get("/aanbestedingen/?pagina=²").status_code == 404
    assert client.get("/aanbestedingen/?jaar=²").status_code == 200
    assert client.get("/aanbestedingen/?jaar=99999999999").status_code == 200


def test_index_follows_every_commit(client, world):
    item = make_item("tender", world.utrecht, title="Leerlingenvervoer emissievrij")
    assert titles(client, "leerlingenvervoer") == ["Leerlingenvervoer emissievrij"]
    content.update_item(
        item,
        content.ItemData(
            title="Doelgroepenvervoer elektrisch",
            status="published",
            fields={"tender_status": "afgerond"},
        ),
        actor=SYSTEM,
    )
    db.session.commit()
    assert titles(client, "leerlingen") == [] and titles(client, "doelgroepenvervoer") == [
        "Doelgroepenvervoer elektrisch"
    ]
    content.set_status(item, "archived", actor=SYSTEM)
    db.session.commit()
    assert titles(client, "doelgroepenvervoer") == []  # archived items are not in results
    db.session.delete(item)
    db.session.commit()
    assert check().stale == [] and check().missing == []


def test_missing_index_still_serves_pages_and_reindex_restores(app, client, world):
    """The embedded engine's index is a directory that can vanish; the database stays the truth."""
    import shutil

    app.config["SEARCH_ENGINE"] = "whoosh"
    make_item("tender", world.utrecht, title="Asfalt")
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    page = client.get("/zoeken?q=asfalt")
    assert page.status_code == 200 and "wordt opnieuw opgebouwd" in page.get_data(as_text=True)
    assert client.get("/aanbestedingen/").status_code == 200
    assert reindex() == 1
    assert titles(client, "asfalt") == ["Asfalt"]
    app.config["SEARCH_ENGINE"] = ""


def test_spelling_hint_from_public_words_only(client, world):
    make_item("tender", world.utrecht, title="Leerlingenvervoer emissievrij")
    make_item("tender", world.utrecht, title="Geheimzinnigheidsproject", visibility="members")
    build_spelling()
    page = client.get("/zoeken", query_string={"q": "leerlingenvervoor"}).get_data(as_text=True)
    assert "Bedoelde u:" in page and "leerlingenvervoer" in page
    page = client.get("/zoeken", query_string={"q": "geheimzinnigheidsprojekt"}).get_data(
        as_text=True
    )
    assert "Bedoelde u:" not in page and "geheimzinnigheidsproject<" not in page


def test_spelling_vocabulary_reads_the_texts_a_batch_at_a_time(app, world, monkeypatch):
    """The vocabulary is read from every public text: each statement that reads text columns
    fetches BATCH rows at a time (fetched whole, 100,000 items' texts were the search worker's
    peak memory), and the words are the same whatever the batch."""
    import re

    from sqlalchemy import event

    from portal.content.kinds import kinds
    from portal.search import spelling

    for n in range(5):
        make_item("lesson", world.utrecht, title=f"Les {n} over bermmaaisel",
                  fields={"lesson": f"Verwerk het maaisel{n} lokaal."})  # fmt: skip
    make_item("tender", world.utrecht, title="Geheime bermen", visibility="members")
    asked = qa.ask_question(qa.QuestionData(title="Wie maait de bermen?", body="Tips?"),
                            actor=world.utrecht_member)  # fmt: skip
    qa.answer_question(asked, "De aannemer maait gefaseerd.", actor=world.heumen_admin)
    db.session.commit()

    def load(batch: int) -> tuple[frozenset[str], list[tuple[str, int | None]]]:
        monkeypatch.setattr(spelling, "BATCH", batch)
        executed = []

        def note(_conn, _cursor, statement, _parameters, context, _many):
            executed.append((statement, context.execution_options.get("yield_per")))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            words = frozenset(spelling.collect()[0])
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return words, executed

    words, executed = load(2)
    assert {"bermmaaisel", "maaisel4", "gefaseerd"} <= words and "geheime" not in words
    columns = ["items.body_md", "attachments.text"] + [
        f"{spec.model.__tablename__}.{name}"
        for spec in kinds().values()
        for name in spec.text_fields
        if name in spec.model.__table__.c
    ]
    # Statements that select text columns as rows (whole items, for a computed field such as a
    # question's answers, are loaded by BATCH ids at a time: they select items.id).
    selected = [(re.split(r"\sFROM\s", sql)[0], batch) for sql, batch in executed]
    reading = {
        column: [batch for what, batch in selected if column in what and "items.id" not in what]
        for column in columns
    }
    assert all(reading.values())  # every text column is read ...
    assert {batch for batches in reading.values() for batch in batches} == {2}  # ... 2 rows a time
    assert load(1000)[0] == words


def test_suggestions_offer_visible_titles_and_taxonomy(client, world):
    make_item("tender", world.utrecht, title="Circulair kantoormeubilair stadskantoor")
    make_item("tender", world.utrecht, title="Kantoormeubilair geheim", visibility="members")
    data = client.get("/zoeken/suggesties?q=kantoorm").get_json()
    labels = [s["label"] for s in data["suggestions"]]
    assert "Kantoormeubilair" in labels and "Circulair kantoormeubilair stadskantoor" in labels
    assert "Kantoormeubilair geheim" not in labels
    assert client.get("/zoeken/suggesties?q=k").get_json() == {"suggestions": []}


def test_json_api(client, world):
    make_item("tender", world.utrecht, title="Asfalt met MKI", external_id="ext-1")
    make_item("tender", world.utrecht, title="Asfalt besloten", visibility="members")
    data = client.get("/api/search?q=asfalt").get_json()
    assert data["total"] == 1 and data["items"][0]["external_id"] == "ext-1"
    assert (
        data["items"][0]["url"].endswith("/aanbestedingen/asfalt-met-mki")
        and data["items"][0]["score"] > 0
    )
    assert {f["value"] for f in data["facets"]["soort"]} == {"tender"}
    response = client.get("/api/search?q=asfalt&pagina=nul")
    assert response.status_code == 400 and "paginanummer" in response.get_json()["detail"]


def test_kind_specific_facets(client, world):
    make_item(
        "tender", world.utrecht, title="Asfalt openbaar", fields={"procedure": "openbare-procedure"}
    )
    make_item(
        "tender",
        world.utrecht,
        title="Asfalt onderhands",
        fields={"procedure": "meervoudig-onderhandse-procedure"},
    )
    make_item(
        "criterion", world.utrecht, title="Asfalt-eis", fields={"ambition_level": "ambitieus"}
    )
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert "Openbare procedure <span" in page and "Ambitieus <span" in page
    assert titles(client, "asfalt", procedure="openbare-procedure") == ["Asfalt openbaar"]
    assert titles(client, "asfalt", ambitie="ambitieus") == ["Asfalt-eis"]


def test_atom_feed_for_any_search_shows_only_public_items(client, world):
    import xml.etree.ElementTree as ET

    make_item("tender", world.utrecht, title="Asfalt & MKI <openbaar>")
    make_item("tender", world.utrecht, title="Asfalt besloten", visibility="members")
    response = client.get("/zoeken.atom?q=asfalt")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own output in a test
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.find("a:title", ns).text for e in root.findall("a:entry", ns)] == [
        "Asfalt & MKI <openbaar>"
    ]


def test_the_configured_engine_follows_the_database(app):
    from portal.search.services import engine_name

    expected = (
        "postgres" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "whoosh"
    )
    assert engine_name() == expected


def test_instrument_facet_and_facets_combine(client, world):
    make_item(
        "tender", world.utrecht, title="Asfalt uitnodigend",
        fields={"mvi": [{"theme": "circulair", "instrument": "uitnodigen"}]},
    )  # fmt: skip
    make_item(
        "tender", world.heumen, title="Asfalt voorschrijvend",
        fields={"mvi": [{"theme": "circulair", "instrument": "voorschrijven"}]},
    )  # fmt: skip
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert "Uitnodigen (functionele uitvraag" in page and "Voorschrijven (minimumeisen" in page
    assert titles(client, "asfalt", instrument="uitnodigen") == ["Asfalt uitnodigend"]
    chosen = client.get("/zoeken", query_string={"q": "asfalt", "instrument": "uitnodigen"})
    assert "ruimte voor innovatie) ✕" in chosen.get_data(as_text=True)  # the label, not the slug
    # OR within a facet, AND across facets; an unknown value simply matches nothing.
    both = titles(client, "asfalt", instrument=["uitnodigen", "voorschrijven"])
    assert sorted(both) == ["Asfalt uitnodigend", "Asfalt voorschrijvend"]
    assert titles(client, "asfalt", instrument="uitnodigen", soort="lesson") == []
    assert titles(client, "asfalt", instrument="bestaat-niet") == []


def test_a_rebuilt_index_is_seen_by_the_next_search(app, client, world):
    item = make_item("tender", world.utrecht, title="Wegmeubilair van gerecycled plastic")
    assert titles(client, "wegmeubilair") == ["Wegmeubilair van gerecycled plastic"]
    reindex()  # starts a new index (its generation numbers start again)
    assert titles(client, "wegmeubilair") == ["Wegmeubilair van gerecycled plastic"]
    content.set_status(item, "archived", actor=SYSTEM)
    db.session.commit()
    assert titles(client, "wegmeubilair") == []


def test_ndcg_at_10():
    from portal.bench import ndcg_at_10

    judged = {"a": 3, "b": 1}
    assert ndcg_at_10(["a", "b"], judged) == pytest.approx(1.0)
    assert ndcg_at_10(["b", "a"], judged) < 1.0
    assert ndcg_at_10(["x", "y"], judged) == 0.0
    assert ndcg_at_10(["x"] * 10 + ["a"], judged) == 0.0  # beyond the tenth place counts nothing


def test_relevance_set_judges_only_public_published_demo_items():
    import json

    import yaml

    from portal.bench import load_relevance
    from portal.config import PROJECT_ROOT

    demo = {
        row["external_id"]: row
        for row in map(
            json.loads,
            (PROJECT_ROOT / "seeds" / "knowledge.jsonl").read_text(encoding="utf-8").splitlines(),
        )
    }
    community = yaml.safe_load((PROJECT_ROOT / "seeds" / "community.yaml").read_text("utf-8"))
    for question in community["questions"]:  # a question asked in a working group is not public
        visibility = "group" if question.get("group") else "public"
        demo[f"demo-question-{question['key']}"] = {"status": "published", "visibility": visibility}
    events = yaml.safe_load((PROJECT_ROOT / "seeds" / "events.yaml").read_text("utf-8"))
    for event in events["events"]:
        demo[event["external_id"]] = {"status": "published", **event}
    rows = load_relevance()
    assert len(rows) >= 30
    for row in rows:
        assert row["query"].strip() and 3 in row["judgments"].values(), row["query"]
        for external_id, grade in row["judgments"].items():
            assert grade in (1, 2, 3)
            item = demo[external_id]
            assert (item["status"], item["visibility"]) == ("published", "public"), external_id


def test_facets_follow_an_edit_of_the_item(client, world):
    """Facet values are cached per item and version: an edit shows at once."""
    item = make_item("tender", world.utrecht, title="Asfalt met thema", themes=["circulair"])
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert titles(client, "asfalt", thema="circulair") == ["Asfalt met thema"]
    data = content.snapshot(item)
    content.update_item(
        item,
        content.ItemData(title=item.title, summary=item.summary, body=item.body_md,
                         themes=["social-return"], product_groups=data["product_groups"],
                         year=item.year, status="published", visibility="public",
                         fields=data["fields"]),
        actor=SYSTEM,
    )  # fmt: skip
    db.session.commit()
    assert "Circulair <span" in page
    assert titles(client, "asfalt", thema="circulair") == []
    assert titles(client, "asfalt", thema="social-return") == ["Asfalt met thema"]


def test_organisation_and_name_facets_follow_an_edit(client, world):
    """Organisation facet values and labels are kept per worker: a write forgets them at once."""
    from portal.regions.models import Region
    from portal.taxonomy.models import Theme

    make_item("tender", world.utrecht, title="Asfalt in de regio", themes=["circulair"])
    region = Region(slug="testregio", name="Testregio")
    db.session.add(region)
    db.session.commit()
    assert titles(client, "asfalt", regio="testregio") == []  # names and regions now cached
    world.utrecht.regions.append(region)
    theme = db.session.scalars(db.select(Theme).filter_by(slug="circulair")).one()
    theme.name = "Circulaire economie"
    db.session.commit()
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert titles(client, "asfalt", regio="testregio") == ["Asfalt in de regio"]
    assert "Testregio <span" in page
    assert "Circulaire economie <span" in page


def test_boosts_are_modest_and_in_order():
    """Knowledge items above questions and events with the same words; answered questions above
    unanswered ones; recently reviewed items a little higher; never more than about half again."""
    from datetime import date, timedelta

    from portal.search.searching import boost

    assert boost(None, False, "tender") > boost(None, False, "question")
    assert boost(None, False, "criterion") > boost(None, False, "event")
    assert boost(None, True, "question") > boost(None, False, "question")
    assert boost(date.today(), False, "lesson") > boost(None, False, "lesson")
    assert boost(date.today() - timedelta(days=800), False, "lesson") == boost(
        None, False, "lesson"
    )
    assert boost(date.today(), True, "question") <= 1.5 * boost(None, False, "question")


def test_search_within_an_organisation_a_working_group_a_theme_or_a_kind(client, world, as_user):
    make_item("tender", world.utrecht, title="Asfalt in Utrecht")
    make_item("tender", world.heumen, title="Asfalt in Heumen")
    make_item("lesson", world.heumen, title="Asfalt in de groep", visibility="group",
              group="kleine-gemeenten-samen")  # fmt: skip
    utrecht_page = client.get(f"/organisaties/{world.utrecht.slug}").get_data(as_text=True)
    assert f'name="organisatie" value="{world.utrecht.slug}"' in utrecht_page  # the scoped form
    assert titles(client, "asfalt", organisatie=world.utrecht.slug) == ["Asfalt in Utrecht"]
    assert titles(client, "asfalt", organisatie="bestaat-niet") == []
    # A visitor searching within the closed group finds nothing of it, nor a count of it.
    page = client.get(
        "/zoeken", query_string={"q": "asfalt", "werkgroep": "kleine-gemeenten-samen"}
    ).get_data(as_text=True)
    assert "Asfalt in de groep" not in page and "0 resultaten" in page
    assert "Kleine gemeenten samen <span" not in page  # no facet value for what is hidden
    group_page = client.get("/werkgroepen/kleine-gemeenten-samen").get_data(as_text=True)
    assert 'name="werkgroep" value="kleine-gemeenten-samen"' in group_page
    as_user(world.heumen_admin)  # a member of the group
    assert titles(client, "asfalt", werkgroep="kleine-gemeenten-samen") == ["Asfalt in de groep"]
    page = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert "Kleine gemeenten samen <span" in page and "Gemeente Heumen <span" in page
    theme_page = client.get("/themas/circulair").get_data(as_text=True)
    assert 'name="thema" value="circulair"' in theme_page
    kind_page = client.get("/aanbestedingen/").get_data(as_text=True)
    assert 'name="soort" value="tender"' in kind_page


def test_a_filtered_search_looks_beyond_the_best_unfiltered_matches(client, world, monkeypatch):
    """Facets narrow the best matches; with a facet chosen the engine is asked for more of them,
    so weaker matches that pass the filter are still found."""
    from portal.search import searching

    monkeypatch.setattr(searching, "MAX_HITS", 3)
    monkeypatch.setattr(searching, "MAX_HITS_FILTERED", 10)
    for n in range(3):  # "asfalt" in the title: the best matches
        make_item("tender", world.utrecht, title=f"Asfaltonderhoud {n}", themes=["circulair"])
    for n in range(2):  # "asfalt" only through the product group's name
        make_item("tender", world.heumen, title=f"Wegonderhoud {n}", themes=["social-return"])
    assert sorted(titles(client, "asfalt")) == ["Asfaltonderhoud 0", "Asfaltonderhoud 1",
                                                "Asfaltonderhoud 2"]  # fmt: skip
    assert sorted(titles(client, "asfalt", thema="social-return")) == [
        "Wegonderhoud 0",
        "Wegonderhoud 1",
    ]


def test_a_facet_without_words_lists_every_visible_item_with_it_newest_first(
    client, world, as_user
):
    """Browsing: /zoeken?thema=klimaat and an empty "Zoeken binnen …" (q= with the facet)."""
    make_item("tender", world.utrecht, title="Oudste klimaataanbesteding", themes=["klimaat"])
    make_item("criterion", world.heumen, title="Circulair criterium", themes=["circulair"])
    make_item("lesson", world.heumen, title="Klimaatles voor leden", themes=["klimaat"],
              visibility="members")  # fmt: skip
    make_item("tender", world.heumen, title="Concept over klimaat", themes=["klimaat"],
              status="draft")  # fmt: skip
    make_item("lesson", world.utrecht, title="Nieuwste klimaatles", themes=["klimaat"])
    expected = ["Nieuwste klimaatles", "Oudste klimaataanbesteding"]
    for args in (
        {"thema": "klimaat"},
        {"q": "", "thema": "klimaat"},
        {"q": "  ", "thema": "klimaat"},
    ):
        response = client.get("/zoeken", query_string=args)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert titles(client, args.get("q", ""), thema="klimaat") == expected
        assert "2 resultaten" in page
        assert 'Voorbeeldaanbestedingen <span class="count">(1)</span>' in page  # facets, counts
        assert 'Geleerde lessen <span class="count">(1)</span>' in page  # not the members' one
        assert 'Circulair <span class="count">(1)</span>' in page  # other themes to switch to
    data = client.get("/api/search", query_string={"thema": "klimaat"}).get_json()
    assert [i["title"] for i in data["items"]] == expected and data["total"] == 2
    assert {f["value"]: f["count"] for f in data["facets"]["soort"]} == {"tender": 1, "lesson": 1}
    assert data["message"] is None
    assert (
        client.get("/api/search", query_string={"q": "", "soort": "criterion"}).get_json()["total"]
        == 1
    )
    # A facet that nothing has: a Dutch message, not a blank page.
    page = client.get("/zoeken", query_string={"thema": "bestaat-niet"}).get_data(as_text=True)
    assert "Geen kennisitems met deze filters." in page and "0 resultaten" in page
    bad = client.get("/api/search", query_string={"thema": "klimaat", "pagina": "nul"})
    assert bad.status_code == 400 and "paginanummer" in bad.get_json()["detail"]
    assert (
        client.get("/zoeken", query_string={"thema": "klimaat", "pagina": "x"}).status_code == 404
    )
    as_user(world.heumen_admin)  # a member sees the members-only lesson too, not the draft
    assert titles(client, "", thema="klimaat") == [
        "Nieuwste klimaatles", "Klimaatles voor leden", "Oudste klimaataanbesteding"
    ]  # fmt: skip


def test_an_empty_search_shows_a_message_and_what_can_be_browsed(client, world):
    make_item("tender", world.utrecht, title="Asfalt op MKI", themes=["klimaat"])
    make_item("lesson", world.heumen, title="Les voor leden", themes=["circulair"],
              visibility="members")  # fmt: skip
    for args in ({}, {"q": ""}, {"q": "   "}):
        response = client.get("/zoeken", query_string=args)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Typ een zoekvraag, of kies een filter" in page
        assert 'Klimaat <span class="count">(1)</span>' in page  # what can be browsed
        assert 'href="/zoeken?' in page and "thema=klimaat" in page
        assert "Circulair <span" not in page and "Geleerde lessen" not in page  # hidden: no trace
        assert "Asfalt op MKI" not in page and "resultaten" not in page  # nothing listed
    data = client.get("/api/search", query_string={"q": ""}).get_json()
    assert data["total"] == 0 and data["items"] == []
    assert data["message"].startswith("Typ een zoekvraag")
    assert {f["value"]: f["count"] for f in data["facets"]["thema"]} == {"klimaat": 1}
    # Only common words and no filter: the common-words message and the overview.
    page = client.get("/zoeken", query_string={"q": "de het een"}).get_data(as_text=True)
    assert (
        "alleen veelvoorkomende woorden" in page
        and 'Klimaat <span class="count">(1)</span>' in page
    )


def test_spelling_hint_never_corrects_a_word_the_portal_knows(client, world):
    """'vlees' is only in a tender's body and results (not in a title or summary): it is a word of
    the portal, never corrected to 'veel'; only unknown words are."""
    make_item("tender", world.utrecht, title="Catering stadskantoor", themes=["klimaat"],
              body="Plantaardig aanbod en minder vlees in de kantine.",
              fields={"results": "Vlees als bijgerecht in plaats van hoofdcomponent."})  # fmt: skip
    make_item("lesson", world.heumen, title="Veel minder afval in de kantine",
              themes=["circulair"])  # fmt: skip
    make_item("lesson", world.heumen, title="Les voor leden", visibility="members",
              body="Het geheimzinnigheidsproject.")  # fmt: skip
    build_spelling()
    page = client.get(
        "/zoeken", query_string={"q": "minder vlees in de kantine", "thema": "klimaat"}
    ).get_data(as_text=True)
    assert "Catering stadskantoor" in page and "Bedoelde u" not in page
    data = client.get("/api/search", query_string={"q": "vlees", "soort": "tender"}).get_json()
    assert data["total"] == 1 and data["suggestion"] is None
    data = client.get("/api/search", query_string={"q": "vlees", "soort": "lesson"}).get_json()
    assert data["total"] == 0 and data["suggestion"] is None  # known, even without a match here
    # A plural whose stem the texts hold matches documents: no correction either.
    assert client.get("/api/search?q=bijgerechten").get_json()["suggestion"] is None
    # Unknown words are corrected, also to words found only in bodies and kind fields ...
    assert client.get("/api/search?q=vleez").get_json()["suggestion"] == "vlees"
    assert client.get("/api/search?q=hoofdcomponnent").get_json()["suggestion"] == "hoofdcomponent"
    # ... but never to a word of an item the visitor may not see.
    assert client.get("/api/search?q=geheimzinnigheidsprojekt").get_json()["suggestion"] is None
    # A kind's computed text field (a question's answers) counts too.
    asked = qa.ask_question(qa.QuestionData(title="Hoe minder vlees in de kantine?", body="Tips?"),
                            actor=world.utrecht_member)  # fmt: skip
    qa.answer_question(asked, "Lees de eiwittransitiegids.", actor=world.heumen_admin)
    db.session.commit()
    build_spelling()
    assert client.get("/api/search?q=eiwittransitiegidz").get_json()["suggestion"] == (
        "eiwittransitiegids"
    )


def test_a_failing_query_on_a_readable_index_does_not_rebuild_it(app, client, world, monkeypatch):
    """A fault in building one query must not mark the index damaged: a stranger repeating that
    query would otherwise have the whole index rebuilt again and again."""
    from portal.search.services import engine
    from portal.search.whoosh_engine import WhooshEngine

    monkeypatch.setitem(app.config, "SEARCH_ENGINE", "whoosh")
    make_item("tender", world.utrecht, title="Asfalt")
    reindex()

    def broken(self, query, limit):
        raise IndexError("a fault in building the query")

    monkeypatch.setattr(WhooshEngine, "search", broken)
    page = client.get("/zoeken?q=asfalt")
    assert page.status_code == 200 and "wordt opnieuw opgebouwd" in page.get_data(as_text=True)
    with app.app_context():
        assert engine().reads() and not engine()._marked_damaged()
        monkeypatch.setattr(
            WhooshEngine, "reads", lambda self: False
        )  # now the index is unreadable
    client.get("/zoeken?q=asfalt")
    with app.app_context():
        assert engine()._marked_damaged()
