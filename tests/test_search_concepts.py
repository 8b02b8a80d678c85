"""Concepts (query expansion edited at /beheer/begrippen) and search insights
(/beheer/zoekinzicht), on whichever engine the test database selects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, inspect, select

from portal import permissions as p
from portal.common import utcnow
from portal.extensions import db
from portal.permissions import SYSTEM, PermissionDenied
from portal.search import services
from portal.search.concepts import MAX_EXPANSION, expand
from portal.search.insights import RAW_EVENT_DAYS, fold_old_events, insights
from portal.search.models import Concept, ConceptTerm, SearchEvent, SearchQueryTotal
from portal.search.query import parse
from tests.factories import make_item

ANONYMOUS = AnonymousUserMixin()


def switch_to(client, as_user, user) -> None:
    client.post("/uitloggen")
    as_user(user)


def titles(client, query: str) -> list[str]:
    page = client.get("/zoeken", query_string={"q": query}).get_data(as_text=True)
    return re.findall(r'<h2 class="h3"><a href="[^"]+">([^<]+)</a>', page)


def protein(**extra) -> Concept:
    values = {
        "name": "eiwittransitie", "synonym": "eiwitshift", "abbreviation": "",
        "narrower": "plantaardig\nvegetarisch", "related": "vlees\nkantine", **extra,
    }  # fmt: skip
    concept = services.create_concept(values, actor=SYSTEM)
    db.session.commit()
    return concept


@pytest.fixture
def catering(world):
    typed = make_item("lesson", world.utrecht, title="Minder vlees op het menu van de kantine")
    policy = make_item("lesson", world.utrecht, title="Eiwittransitie in de catering")
    other = make_item("lesson", world.utrecht, title="Plantaardig als standaard bij vergaderingen")
    return typed, policy, other


# --- Expansion -----------------------------------------------------------------------------


def test_a_concept_finds_the_policy_words_below_the_typed_word(client, catering):
    assert titles(client, "vlees") == ["Minder vlees op het menu van de kantine"]
    protein()  # after the items were indexed: no reindex follows
    found = titles(client, "vlees")
    assert found[0] == "Minder vlees op het menu van de kantine"  # the typed word counts most
    assert set(found[1:]) == {
        "Eiwittransitie in de catering", "Plantaardig als standaard bij vergaderingen"
    }  # fmt: skip
    page = client.get("/zoeken?q=vlees").get_data(as_text=True)
    assert "Ook gezocht met verwante woorden van: eiwittransitie." in page


def test_an_edit_takes_effect_at_once_without_reindex(client, world, as_user, catering):
    concept = protein()
    assert "Eiwittransitie in de catering" in titles(client, "kantine")
    as_user(world.site_admin)
    response = client.post(
        f"/beheer/begrippen/{concept.id}/bewerken",
        data={"name": "eiwittransitie", "narrower": "plantaardig", "related": "vlees"},
    )
    assert response.status_code == 302
    client.post("/uitloggen")
    assert "Eiwittransitie in de catering" not in titles(client, "kantine")
    response = client.post(f"/beheer/begrippen/{concept.id}/verwijderen")
    assert db.session.scalar(select(func.count(Concept.id))) in (0, 1)


def test_concepts_keep_exclusions_and_phrases(client, catering):
    protein()
    assert titles(client, "vlees -vergaderingen") == [
        "Minder vlees op het menu van de kantine", "Eiwittransitie in de catering",
    ]  # fmt: skip
    assert set(titles(client, "vlees -menu")) == {
        "Eiwittransitie in de catering", "Plantaardig als standaard bij vergaderingen"
    }  # fmt: skip
    assert titles(client, '"de catering" vlees') == ["Eiwittransitie in de catering"]


def test_weights_follow_the_roles_and_the_matched_word(world):
    protein()
    related = {e.terms: e.weight for e in expand(parse("vlees")).related}
    assert related[("eiwittransitie",)] == 0.15  # reached from a related word: 0.15 at most
    related = {e.terms: e.weight for e in expand(parse("eiwittransitie")).related}
    assert related[("eiwitshift",)] == 0.3 and related[("vegetarisch",)] == 0.2
    assert ("eiwittransitie",) not in related  # the typed word is not added again


def test_a_query_of_only_concept_words_expands_each_concept_once_and_capped(world):
    protein()
    query = expand(parse("eiwittransitie eiwitshift plantaardig vegetarisch vlees kantine"))
    assert query.related == []  # every term was typed: nothing to add, nothing doubled
    many = "\n".join(f"woord{n}" for n in range(40))
    services.create_concept({"name": "grootbegrip", "related": many}, actor=SYSTEM)
    query = expand(parse("grootbegrip vlees"))
    assert len(query.related) == MAX_EXPANSION
    assert len({e.terms for e in query.related}) == MAX_EXPANSION


def test_multi_word_terms_must_match_whole(client, world):
    services.create_concept(
        {"name": "beste prijs-kwaliteitverhouding", "abbreviation": "EMVI"}, actor=SYSTEM
    )
    db.session.commit()
    make_item("lesson", world.utrecht, title="Gunnen op beste prijs-kwaliteitverhouding")
    make_item("lesson", world.utrecht, title="De beste koffie voor de kantine")
    assert titles(client, "EMVI") == ["Gunnen op beste prijs-kwaliteitverhouding"]


# --- The admin form and its bad input -----------------------------------------------------


def test_admin_creates_lists_and_edits_a_concept(client, world, as_user):
    as_user(world.site_admin)
    assert client.get("/beheer").get_data(as_text=True).count("/beheer/begrippen") == 1
    assert client.get("/beheer/begrippen/nieuw").status_code == 200
    response = client.post(
        "/beheer/begrippen/nieuw",
        data={"name": "doelgroepenvervoer", "narrower": "leerlingenvervoer\nWmo-vervoer"},
    )
    assert response.status_code == 302
    page = client.get("/beheer/begrippen").get_data(as_text=True)
    assert "doelgroepenvervoer" in page and "leerlingenvervoer, Wmo-vervoer" in page
    concept = db.session.scalar(select(Concept))
    assert [t.key for t in concept.terms] == [
        "doelgroepenvervoer",
        "leerlingenvervoer",
        "wmo vervoer",
    ]
    assert "leerlingenvervoer" in client.get(f"/beheer/begrippen/{concept.id}/bewerken").get_data(
        as_text=True
    )
    page = client.get("/beheer/begrippen?probeer=leerlingenvervoer").get_data(as_text=True)
    assert "doelgroepenvervoer</span> (doelgroepenvervoer, gewicht 0,2)" in page


def _loop(world) -> dict:
    services.create_concept({"name": "vlees", "narrower": "eiwittransitie"}, actor=SYSTEM)
    db.session.commit()
    return {"name": "eiwittransitie", "narrower": "vlees"}


BAD_INPUT = [
    pytest.param(
        _loop,
        "Deze begrippen verwijzen in een kring naar elkaar: eiwittransitie → vlees → eiwittransitie.",
        id="loop",
    ),
    pytest.param(
        lambda world: {"name": "eiwittransitie", "synonym": "de"},
        "‘de’ is een stopwoord (of bestaat alleen uit stopwoorden): daarop wordt niet gezocht.",
        id="stop-word",
    ),
    pytest.param(
        lambda world: {"name": "groot", "related": "\n".join(f"term{n}" for n in range(1000))},
        "Een begrip heeft hoogstens 50 termen; dit heeft er 1.001.",
        id="thousand-terms",
    ),
    pytest.param(
        lambda world: {"name": "eiwittransitie", "related": "vlees\nVlees"},
        "",  # repeats in one list are simply dropped: saved
        id="repeat-is-dropped",
    ),
    pytest.param(
        lambda world: {"name": "eiwittransitie", "narrower": "plantaardig\nplantaardige"},
        "‘plantaardige’ staat twee keer in dit begrip (ook als ‘plantaardig’).",
        id="same-stem",
    ),
    pytest.param(
        lambda world: {"name": "zeer lange term met vijf woorden"},
        "Een term heeft hoogstens 4 woorden: ‘zeer lange term met vijf woorden’.",
        id="five-words",
    ),
]


@pytest.mark.parametrize(("values", "message"), BAD_INPUT)
def test_bad_concepts_are_refused_with_a_dutch_message(client, world, as_user, values, message):
    data = values(world)
    before = db.session.scalar(select(func.count(ConceptTerm.id)))
    as_user(world.site_admin)
    response = client.post("/beheer/begrippen/nieuw", data=data)
    if not message:
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ConceptTerm.id))) == before


def test_a_synonym_belongs_to_one_concept(client, world, as_user):
    protein()
    as_user(world.site_admin)
    response = client.post(
        "/beheer/begrippen/nieuw", data={"name": "vega", "synonym": "eiwitshift"}
    )
    assert response.status_code == 400
    assert "‘eiwitshift’ hoort al bij het begrip ‘eiwittransitie’." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(Concept.id))) == 1


def test_a_query_of_only_concept_words_is_explained_in_the_admin_forms(client, world, as_user):
    protein()
    as_user(world.site_admin)
    page = client.get("/beheer/begrippen/nieuw?q=vlees kantine").get_data(as_text=True)
    assert "Alle woorden van ‘vlees kantine’ horen al bij een begrip." in page
    page = client.get("/beheer/begrippen/nieuw?q=vlees leerlingenvervoer").get_data(as_text=True)
    assert 'value="leerlingenvervoer"' in page  # only the word no concept holds is proposed
    page = client.get("/beheer/begrippen?probeer=de het een").get_data(as_text=True)
    assert "Deze zoekvraag bevat alleen stopwoorden of leestekens" in page
    page = client.get("/beheer/begrippen?probeer=eiwittransitie vlees kantine").get_data(
        as_text=True
    )
    assert "dit begrip voegt toe" in page
    assert db.session.scalar(select(func.count(Concept.id))) == 1


@pytest.mark.parametrize("who", ["moderator", "utrecht_admin", "utrecht_member"])
def test_only_site_admins_edit_concepts(client, world, as_user, who):
    concept = protein()
    as_user(getattr(world, who))
    assert client.get("/beheer/begrippen").status_code == 403
    assert client.post("/beheer/begrippen/nieuw", data={"name": "x"}).status_code == 403
    assert client.get(f"/beheer/begrippen/{concept.id}/bewerken").status_code == 403
    assert client.post(f"/beheer/begrippen/{concept.id}/verwijderen").status_code == 403
    assert db.session.scalar(select(func.count(Concept.id))) == 1


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    assert client.get("/beheer/begrippen").status_code == 302
    assert client.get("/beheer/zoekinzicht").status_code == 302


def test_the_services_refuse_an_actor_without_permission(world):
    with pytest.raises(PermissionDenied):
        services.create_concept({"name": "x"}, actor=world.moderator)
    concept = protein()
    with pytest.raises(PermissionDenied):
        services.update_concept(concept, {"name": "y"}, actor=world.utrecht_admin)
    with pytest.raises(PermissionDenied):
        services.delete_concept(concept, actor=world.utrecht_member)


def test_a_deleted_concept_no_longer_expands(client, world, as_user):
    concept = protein()
    as_user(world.site_admin)
    assert client.post(f"/beheer/begrippen/{concept.id}/verwijderen").status_code == 302
    assert expand(parse("vlees")).related == []
    assert db.session.scalar(select(func.count(ConceptTerm.id))) == 0


# --- Permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("site_admin", True), ("moderator", False), ("utrecht_admin", False), ("anonymous", False)],
)
def test_can_edit_concepts(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_edit_concepts(user) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("site_admin", True), ("moderator", True), ("utrecht_admin", False),
     ("utrecht_member", False), ("anonymous", False)],
)  # fmt: skip
def test_can_view_search_insights(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_view_search_insights(user) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", True), ("utrecht_member", True), ("moderator", True), ("site_admin", False)],
)
def test_can_count_search(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_count_search(user) is allowed


# --- Search insights ---------------------------------------------------------------------------


def events() -> list[tuple[str, int | None]]:
    db.session.expire_all()
    return [
        (e.query, e.results)
        for e in db.session.scalars(select(SearchEvent).order_by(SearchEvent.id))
    ]


def test_searches_and_opened_results_are_counted_by_query_text_only(client, catering):
    typed = catering[0]
    page = client.get("/zoeken?q=Vlees").get_data(as_text=True)
    link = f"/zoeken/open/{typed.id}?q=Vlees"
    assert link in page  # the result's link is the counting redirect
    client.get("/zoeken?q=Vlees&pagina=1&thema=circulair")  # facets: the same query text
    client.get("/zoeken?q=bestaatniet")
    client.get("/zoeken?thema=circulair")  # browsing without words: not a query
    client.get("/zoeken?q=vlees&pagina=2")  # a further page: not a new search
    response = client.get(link)
    assert response.status_code == 302 and response.location.endswith(f"/lessen/{typed.slug}")
    assert events() == [("vlees", 1), ("vlees", 1), ("bestaatniet", 0), ("vlees", None)]
    # No identity: the events hold a time, the query text and a count, nothing else.
    assert {c["name"] for c in inspect(db.engine).get_columns("search_events")} == {
        "id", "at", "query", "results"
    }  # fmt: skip


def test_a_page_from_the_page_cache_counts_too(client, catering):
    first = client.get("/zoeken?q=kantine")
    second = client.get("/zoeken?q=kantine")
    assert first.headers.get("X-Page-Cache") == "miss"
    assert second.headers.get("X-Page-Cache") == "hit"
    assert events() == [("kantine", 1), ("kantine", 1)]


def test_site_admins_searches_are_not_counted(client, world, as_user, catering):
    as_user(world.site_admin)
    client.get("/zoeken?q=vlees")
    client.get(f"/zoeken/open/{catering[0].id}?q=vlees")
    assert events() == []
    switch_to(client, as_user, world.utrecht_member)
    client.get("/zoeken?q=vlees")
    assert events() == [("vlees", 1)]


def test_an_item_the_reader_may_not_see_is_not_opened_nor_counted(client, world):
    draft = make_item("lesson", world.utrecht, title="Vlees concept", status="draft")
    assert client.get(f"/zoeken/open/{draft.id}?q=vlees").status_code == 404
    assert client.get("/zoeken/open/999999?q=vlees").status_code == 404
    assert events() == []


def test_the_insights_page_lists_frequent_empty_and_unopened_queries(
    client, world, as_user, catering
):
    for query in ("vlees", "vlees", "kantine", "eiwitten kantine", "bestaatniet", "bestaatniet"):
        client.get("/zoeken", query_string={"q": query})
    client.get(f"/zoeken/open/{catering[0].id}?q=vlees")
    found = insights("90")
    assert [(c.query, c.searches) for c in found.frequent][:2] == [("bestaatniet", 2), ("vlees", 2)]
    assert [c.query for c in found.without_results] == ["bestaatniet"]
    assert [c.query for c in found.not_opened] == ["eiwitten kantine", "kantine"]
    as_user(world.moderator)
    page = client.get("/beheer/zoekinzicht").get_data(as_text=True)
    assert "Zonder resultaat" in page and "bestaatniet" in page
    assert "/beheer/begrippen/nieuw" not in page  # moderators read, administrators add
    switch_to(client, as_user, world.site_admin)
    page = client.get("/beheer/zoekinzicht?periode=7").get_data(as_text=True)
    assert "/beheer/begrippen/nieuw?q=bestaatniet" in page
    assert client.get("/beheer/zoekinzicht?periode=onzin").status_code == 200


@pytest.mark.parametrize("who", ["utrecht_admin", "utrecht_member"])
def test_insights_are_for_moderators_and_administrators(client, world, as_user, who):
    as_user(getattr(world, who))
    assert client.get("/beheer/zoekinzicht").status_code == 403


def test_events_older_than_90_days_become_totals(world):
    now = utcnow()
    old = now - timedelta(days=RAW_EVENT_DAYS + 1)
    db.session.add_all([
        SearchEvent(at=old, query="vlees", results=0),
        SearchEvent(at=old, query="vlees", results=4),
        SearchEvent(at=old, query="vlees", results=None),
        SearchEvent(at=now, query="vlees", results=2),
    ])  # fmt: skip
    db.session.commit()
    assert fold_old_events(now) == 3
    db.session.commit()
    assert events() == [("vlees", 2)]
    total = db.session.get(SearchQueryTotal, "vlees")
    assert (total.searches, total.without_results, total.opened) == (2, 1, 1)
    assert fold_old_events(now) == 0
    assert [(c.query, c.searches) for c in insights("90").frequent] == [("vlees", 1)]
    assert [(c.query, c.searches, c.opened) for c in insights("alles").frequent] == [
        ("vlees", 3, 1)
    ]


def test_the_admin_pages_are_valid_html(app, client, world, as_user, catering, tmp_path):
    from tests.test_html_validity import vnu_errors

    concept = protein()
    client.get("/zoeken?q=bestaatniet")
    as_user(world.site_admin)
    failed = client.post("/beheer/begrippen/nieuw", data={"name": "de"})
    assert failed.status_code == 400
    pages = {"failed": failed.get_data(as_text=True)}
    app.config["WTF_CSRF_ENABLED"] = True  # the pages as served, with their tokens
    for name, url in [
        ("list", "/beheer/begrippen?probeer=vlees"), ("new", "/beheer/begrippen/nieuw?q=vlees"),
        ("edit", f"/beheer/begrippen/{concept.id}/bewerken"), ("insights", "/beheer/zoekinzicht"),
        ("search", "/zoeken?q=vlees"),
    ]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = response.get_data(as_text=True)
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html)
        files.append(path)
    assert vnu_errors(files) == []


def test_in_english_the_pages_are_english_and_the_terms_marked_dutch(
    client, world, as_user, catering
):
    protein()
    as_user(world.site_admin)
    assert client.post("/taal", data={"taal": "en"}).status_code == 302
    page = client.get("/beheer/begrippen?probeer=vlees").get_data(as_text=True)
    assert "Concepts for search" in page and "Try a query" in page
    assert '<td><span lang="nl">eiwittransitie</span></td>' in page
    page = client.get("/zoeken?q=vlees").get_data(as_text=True)
    assert 'Also searched with related words of: <span lang="nl">eiwittransitie</span>.' in page
    response = client.post("/beheer/begrippen/nieuw", data={"name": "de"})
    assert response.status_code == 400
    assert "‘de’ is a stop word" in response.get_data(as_text=True)
