"""REST API v1 reads: visibility both ways, filters, pagination with Link, ETag/304, bad input."""

from __future__ import annotations

import pytest

from portal.content import services as content
from portal.extensions import db
from portal.moderation import services as moderation
from portal.permissions import SYSTEM
from tests.api_helpers import bearer, make_token
from tests.factories import make_item


def _slugs(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row["slug"] for row in response.json["items"]}


@pytest.fixture
def hidden_kinds(world):
    """One public item, and a draft, a members-only, a closed-group and a moderator-hidden one."""
    public = make_item("tender", world.utrecht, title="Openbare aanbesteding")
    draft = make_item(
        "tender", world.utrecht, world.utrecht_editor, title="Concept", status="draft"
    )
    members = make_item("lesson", world.utrecht, title="Alleen voor leden", visibility="members")
    group = make_item("criterion", world.heumen, world.heumen_admin, title="Werkgroepcriterium",
                      visibility="group", group=world.closed_group.slug)  # fmt: skip
    hidden = make_item("tender", world.utrecht, title="Verborgen door moderator")
    moderation.hide_item(hidden, "Onjuist", actor=world.moderator)
    db.session.commit()
    return {"public": public, "draft": draft, "members": members, "group": group, "hidden": hidden}


def test_anonymous_sees_only_what_a_visitor_sees(client, hidden_kinds):
    response = client.get("/api/v1/items")
    assert _slugs(response) == {hidden_kinds["public"].slug}
    assert response.json["total"] == 1  # counts know nothing of the others either
    for name in ("draft", "members", "group", "hidden"):
        assert client.get(f"/api/v1/items/{hidden_kinds[name].slug}").status_code == 404
    detail = client.get(f"/api/v1/items/{hidden_kinds['public'].slug}")
    assert detail.status_code == 200
    assert detail.json["fields"]["cpv_codes"] == ["45233220"]
    assert detail.json["fields"]["procedure"] == "openbare-procedure"


def test_a_token_sees_what_its_member_sees(client, world, hidden_kinds):
    member = bearer(make_token(world.utrecht_member, scope="read"))
    assert _slugs(client.get("/api/v1/items", headers=member)) == {
        hidden_kinds["public"].slug, hidden_kinds["members"].slug}  # fmt: skip
    assert (
        client.get(f"/api/v1/items/{hidden_kinds['group'].slug}", headers=member).status_code == 404
    )
    assert (
        client.get(f"/api/v1/items/{hidden_kinds['draft'].slug}", headers=member).status_code == 404
    )
    editor = bearer(make_token(world.utrecht_editor, scope="read"))
    # Its own organisation's draft opens (as on the web), but lists show published items only.
    assert (
        client.get(f"/api/v1/items/{hidden_kinds['draft'].slug}", headers=editor).status_code == 200
    )
    assert hidden_kinds["draft"].slug not in _slugs(client.get("/api/v1/items", headers=editor))
    group_admin = bearer(make_token(world.heumen_admin, scope="read"))
    assert hidden_kinds["group"].slug in _slugs(client.get("/api/v1/items", headers=group_admin))
    moderator = bearer(make_token(world.moderator, scope="read"))
    listed = _slugs(client.get("/api/v1/items", headers=moderator))
    assert hidden_kinds["hidden"].slug not in listed  # hidden: in the moderation queue only


def test_the_session_cookie_grants_nothing(client, as_user, world, hidden_kinds):
    as_user(world.utrecht_member)
    assert client.get("/account").status_code == 200  # signed in on the web
    assert _slugs(client.get("/api/v1/items")) == {hidden_kinds["public"].slug}
    assert client.get(f"/api/v1/items/{hidden_kinds['members'].slug}").status_code == 404


def test_filters_as_on_the_lists(client, world):
    tender = make_item("tender", world.utrecht, title="Asfalt met lage MKI", themes=["circulair"])
    lesson = make_item("lesson", world.heumen, title="Les over catering", themes=["circulair"])
    assert _slugs(client.get("/api/v1/items?kind=tender")) == {tender.slug}
    assert _slugs(client.get("/api/v1/items?organisatie=gemeente-heumen")) == {lesson.slug}
    assert _slugs(client.get("/api/v1/items?thema=circulair")) == {tender.slug, lesson.slug}
    assert _slugs(client.get("/api/v1/items?jaar=2022&kind=lesson")) == {lesson.slug}
    assert _slugs(client.get("/api/v1/items?jaar=2021")) == set()
    assert _slugs(client.get("/api/v1/items?kind=tender&procedure=openbare-procedure")) == {
        tender.slug
    }


def test_q_searches_like_the_search_page(client, world):
    tender = make_item("tender", world.utrecht, title="Asfalt met lage MKI")
    make_item("lesson", world.heumen, title="Les over catering", product_groups=[])
    hidden = make_item(
        "tender", world.utrecht, title="Asfalt alleen voor leden", visibility="members"
    )
    found = _slugs(client.get("/api/v1/items?q=asfalt"))
    assert found == {tender.slug}
    assert hidden.slug not in found


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=boom", "kind"),
        ("onbekend=1", "onbekend"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=101", "per_page"),
        ("organisatie=bestaat-niet", "organisatie"),
        ("kind=tender&kind=lesson", "kind"),
        ("procedure=openbare-procedure", "procedure"),  # a kind's own filter needs its kind
    ],
)
def test_bad_list_arguments_are_problems(client, world, query, field):
    response = client.get(f"/api/v1/items?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400
    assert response.json["detail"]
    assert field in response.json["errors"]


@pytest.mark.parametrize("query", ["thema=bestaat-niet", "jaar=abc", "sorteer=raar"])
def test_unknown_filter_values_are_refused_as_in_exports(client, world, query):
    response = client.get(f"/api/v1/items?{query}")
    assert response.status_code == 400
    assert response.json["detail"].startswith(("Onbekende", "Het jaar"))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/items?thema=%00",
        "/api/v1/items?organisatie=gemeente%00",
        "/api/v1/items?q=a%00",
        "/api/v1/items?%00=1",
        "/api/v1/items/slug%00",
        "/api/v1/organisations/gemeente-utrecht%00",
        "/api/v1/items?thema=%ED%A0%80",  # a lone surrogate, as the URL decoder may leave it
    ],
)
def test_a_nul_character_in_the_address_is_a_400_not_a_500(client, world, path):
    response = client.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"


def test_pages_with_link_headers(client, world):
    made = [make_item("lesson", world.utrecht, title=f"Les {n}") for n in range(5)]
    first = client.get("/api/v1/items?per_page=2")
    assert first.json["total"] == 5 and first.json["pages"] == 3 and len(first.json["items"]) == 2
    links = first.headers["Link"]
    assert 'rel="next"' in links and 'rel="first"' in links and 'rel="last"' in links
    assert 'rel="prev"' not in links
    seen = set()
    url = "/api/v1/items?per_page=2"
    while url:
        page = client.get(url)
        seen |= {row["slug"] for row in page.json["items"]}
        url = page.json["links"].get("next", "").replace("http://localhost", "") or None
    assert seen == {item.slug for item in made}
    last = client.get("/api/v1/items?per_page=2&page=3")
    assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
    beyond = client.get("/api/v1/items?per_page=2&page=9")
    assert beyond.status_code == 200 and beyond.json["items"] == []


def test_etag_answers_304_until_the_item_changes(client, world):
    item = make_item("lesson", world.utrecht, title="Les met ETag")
    first = client.get(f"/api/v1/items/{item.slug}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/items/{item.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    listing = client.get("/api/v1/items")
    assert (
        client.get("/api/v1/items", headers={"If-None-Match": listing.headers["ETag"]}).status_code
        == 304
    )
    data = content.ItemData(title="Les met ETag", summary="Nieuw.", status="published",
                            fields={"lesson": "Anders.", "phase": "specificeren"})  # fmt: skip
    content.update_item(item, data, actor=SYSTEM)
    db.session.commit()
    changed = client.get(f"/api/v1/items/{item.slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_renamed_item_redirects_to_its_new_address(client, world):
    item = make_item("lesson", world.utrecht, title="Oude titel")
    old = item.slug
    data = content.ItemData(title="Nieuwe titel", status="published",
                            fields={"lesson": "Les.", "phase": "specificeren"})  # fmt: skip
    content.update_item(item, data, actor=SYSTEM)
    db.session.commit()
    response = client.get(f"/api/v1/items/{old}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/api/v1/items/{item.slug}")


def test_organisations_and_vocabularies(client, world, taxonomy):
    organisations = client.get("/api/v1/organisations?per_page=1")
    assert organisations.json["total"] == 2 and 'rel="next"' in organisations.headers["Link"]
    heumen = client.get("/api/v1/organisations/gemeente-heumen")
    assert heumen.json["name"] == "Gemeente Heumen" and heumen.json["regions"]
    assert "coordinator_email" not in heumen.json
    assert client.get("/api/v1/organisations/bestaat-niet").status_code == 404
    themes = client.get("/api/v1/themes").json["items"]
    assert any(t["slug"] == "circulair" for t in themes)
    assert client.get("/api/v1/product-groups").json["items"]
    assert client.get("/api/v1/regions").json["items"][0]["slug"]


def test_a_question_shows_its_visible_answers(client, world):
    from portal.questions import services as questions

    question = questions.ask_question(
        questions.QuestionData(
            title="Wie heeft ervaring met circulair asfalt?", body="Graag tips."
        ),
        actor=world.utrecht_editor,
    )
    shown = questions.answer_question(
        question, "Wij wel: vraag naar de MKI.", actor=world.heumen_admin
    )
    gone = questions.answer_question(question, "Een ander antwoord.", actor=world.utrecht_admin)
    moderation.set_answer_hidden(gone, True, actor=world.moderator)
    db.session.commit()
    answers = client.get(f"/api/v1/items/{question.slug}").json["answers"]
    assert [a["id"] for a in answers] == [shown.id]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/bestaat-niet", 404),
        ("PUT", "/api/v1/items", 405),
        ("DELETE", "/api/v1/themes", 405),
    ],
)
def test_routing_errors_are_problems(client, world, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_a_server_error_is_a_problem(client, world, monkeypatch):
    from portal.api import views

    def broken(_item):
        raise RuntimeError("kapot")

    monkeypatch.setattr(views, "item_summary", broken)
    make_item("lesson", world.utrecht)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/api/v1/items")
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"].startswith("Er ging aan onze kant iets mis")
