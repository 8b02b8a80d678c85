"""REST API v1 writes with a token: through the same services and permission functions as the
web forms, one transaction per request, every bad input a problem-details answer."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from portal.content.models import Attachment, Item, Revision
from portal.extensions import db
from portal.questions.models import Answer
from tests.api_helpers import bearer, make_token
from tests.factories import make_item

TENDER = {
    "kind": "tender",
    "organisation": "gemeente-utrecht",
    "title": "Circulair asfalt via de API",
    "summary": "Een voorbeeld.",
    "body": "Met **MKI** als gunningscriterium.",
    "themes": ["circulair"],
    "year": 2024,
    "status": "published",
    "fields": {
        "cpv_codes": ["45233220"], "procedure": "openbare-procedure", "award_method": "bpkv",
        "value_min": 100000, "tender_status": "afgerond",
        "mvi": [{"theme": "circulair", "instrument": "aanmoedigen", "note": "MKI", "weight_percent": 20}],
    },
}  # fmt: skip


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def editor(world):
    return bearer(make_token(world.utrecht_editor))


def test_create_an_item_through_the_service(client, world, editor):
    response = client.post("/api/v1/items", json=TENDER, headers=editor)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["status"] == "published" and body["organisation"]["slug"] == "gemeente-utrecht"
    assert body["fields"]["mvi"][0]["weight_percent"] == 20
    assert "<strong>MKI</strong>" in body["body_html"]  # sanitised once, on write
    assert response.headers["Location"].endswith(f"/api/v1/items/{body['slug']}")
    item = db.session.scalar(select(Item).where(Item.slug == body["slug"]))
    assert item.author_id == world.utrecht_editor.id and len(item.revisions) == 1
    assert client.get(f"/api/v1/items/{body['slug']}").status_code == 200  # public, published


def test_a_draft_stays_out_of_view(client, world, editor):
    response = client.post("/api/v1/items", json={**TENDER, "status": "draft"}, headers=editor)
    assert response.status_code == 201
    assert client.get(f"/api/v1/items/{response.json['slug']}").status_code == 404


def test_create_for_another_organisation_is_403(client, world, editor):
    response = client.post("/api/v1/items", json={**TENDER, "organisation": "gemeente-heumen"}, headers=editor)  # fmt: skip
    assert response.status_code == 403
    assert _count(Item) == 0


def test_anonymous_and_session_writes_are_401(client, as_user, world):
    assert client.post("/api/v1/items", json=TENDER).status_code == 401
    as_user(world.utrecht_editor)  # a session cookie is no token: no CSRF hole
    response = client.post("/api/v1/items", json=TENDER)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert _count(Item) == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**TENDER, "title": ""}, 422, "title"),
        ({**TENDER, "title": 12}, 422, "title"),
        ({**TENDER, "themes": "circulair"}, 422, "themes"),
        ({**TENDER, "year": "twintig"}, 422, "year"),
        ({**TENDER, "year": True}, 422, "year"),
        ({**TENDER, "year": 1800}, 422, "year"),
        ({**TENDER, "onbekend": 1}, 422, "onbekend"),
        ({**TENDER, "status": "geheim"}, 422, "status"),
        ({**TENDER, "themes": ["bestaat-niet"]}, 422, "themes"),
        ({**TENDER, "kind": "boom"}, 422, "kind"),
        ({**TENDER, "kind": "question"}, 422, "kind"),
        ({**TENDER, "organisation": "nergens"}, 422, "organisation"),
        ({**TENDER, "co_owners": ["nergens"]}, 422, "co_owners"),
        ({**TENDER, "fields": []}, 422, "fields"),
        ({**TENDER, "fields": {**TENDER["fields"], "procedure": "loterij"}}, 422, "procedure"),
        ({key: value for key, value in TENDER.items() if key != "kind"}, 422, "kind"),
        ([TENDER], 422, "body"),
    ],
)
def test_bad_bodies_are_problems_and_write_nothing(client, world, editor, body, status, field):
    response = client.post("/api/v1/items", json=body, headers=editor)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert response.json["detail"]
    assert _count(Item) == 0 and _count(Revision) == 0


def test_malformed_json_wrong_type_and_oversized_bodies(app, client, world, editor):
    broken = client.post(
        "/api/v1/items", data="{kapot", content_type="application/json", headers=editor
    )
    assert broken.status_code == 400 and "geen geldige JSON" in broken.json["detail"]
    form = client.post("/api/v1/items", data={"title": "x"}, headers=editor)
    assert form.status_code == 415 and form.mimetype == "application/problem+json"
    big = {**TENDER, "body": "x" * (app.config["API_MAX_JSON_BYTES"] + 10)}
    too_big = client.post("/api/v1/items", json=big, headers=editor)
    assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"
    assert _count(Item) == 0


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 50_000 + "]" * 50_000,  # deeper than the JSON reader's recursion
        '{"kind": "tender", "fields": ' + '{"a": ' * 50 + "1" + "}" * 50 + "}",
        json.dumps({**TENDER, "summary": "nul\u0000teken"}),  # PostgreSQL refuses NUL in text
        json.dumps({**TENDER, "tags": ["nul\u0000"]}),
        json.dumps({**TENDER, "co_owners": ["\u0000"]}),
        json.dumps({**TENDER, "organisation": "gemeente\u0000"}),
        json.dumps({**TENDER, "fields": {"cpv_codes": ["4523\u0000"]}}),
        json.dumps({**TENDER, "title": "los \ud800 surrogaat"}),  # not UTF-8
        json.dumps({**TENDER, "fields": {"note\u0000": 1}}),
    ],
)
def test_unstorable_or_too_deep_json_is_a_400_not_a_500(client, world, editor, raw):
    response = client.post(
        "/api/v1/items", data=raw, content_type="application/json", headers=editor
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    assert "geen geldige JSON" in response.json["detail"]
    assert _count(Item) == 0


def test_nothing_half_written_when_an_attachment_like_step_fails(
    client, world, editor, monkeypatch
):
    """A refusal after the item's row was flushed (its co-owners' invitations) rolls back all."""
    from portal.content import services as content

    def refuse(*_args, **_kwargs):
        from portal.common import ServiceError

        raise ServiceError("Uitnodigen lukt nu niet.", field="co_owners", status=409)

    monkeypatch.setattr(content, "_invite_co_owners", refuse)
    response = client.post("/api/v1/items", json={**TENDER, "co_owners": ["gemeente-heumen"]}, headers=editor)  # fmt: skip
    assert response.status_code == 409 and response.json["errors"]["co_owners"]
    assert _count(Item) == 0 and _count(Revision) == 0


def test_patch_updates_only_what_it_names(client, world, editor):
    item = make_item("tender", world.utrecht, world.utrecht_editor, title="Te wijzigen")
    response = client.patch(f"/api/v1/items/{item.slug}", json={"summary": "Nieuwe samenvatting."}, headers=editor)  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["summary"] == "Nieuwe samenvatting."
    assert response.json["title"] == "Te wijzigen"
    assert response.json["fields"]["procedure"] == "openbare-procedure"
    assert len(db.session.get(Item, item.id).revisions) == 2
    fields = client.patch(f"/api/v1/items/{item.slug}", json={"fields": {"value_max": 2000000}}, headers=editor)  # fmt: skip
    assert fields.status_code == 200, fields.get_data(as_text=True)
    assert fields.json["fields"]["value_max"] == 2000000
    assert fields.json["fields"]["cpv_codes"] == ["45233220"]  # merged per field


def test_an_unchanged_patch_makes_no_revision(client, world, editor):
    item = make_item("tender", world.utrecht, world.utrecht_editor)
    before = client.get(f"/api/v1/items/{item.slug}", headers=editor).json
    for body in ({}, {"title": item.title}, {"fields": {"procedure": "openbare-procedure"}}):
        response = client.patch(f"/api/v1/items/{item.slug}", json=body, headers=editor)
        assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Item, item.id).revisions) == 1
    assert (
        client.get(f"/api/v1/items/{item.slug}", headers=editor).json["updated_at"]
        == before["updated_at"]
    )


def test_patch_on_another_members_item_is_403(client, world, editor):
    theirs = make_item("tender", world.heumen, world.heumen_admin)
    response = client.patch(
        f"/api/v1/items/{theirs.slug}", json={"title": "Van mij"}, headers=editor
    )
    assert response.status_code == 403
    assert db.session.get(Item, theirs.id).title != "Van mij"
    members_only = make_item("lesson", world.heumen, world.heumen_admin, visibility="members")
    outsider = bearer(make_token(world.outsider))  # cannot even see it: 404, as on the web
    assert (
        client.patch(f"/api/v1/items/{members_only.slug}", json={}, headers=outsider).status_code
        == 404
    )


def test_a_bad_patch_changes_nothing(client, world, editor):
    item = make_item("tender", world.utrecht, world.utrecht_editor, title="Blijft zo")
    for body in (
        {"title": ""},
        {"kind": "lesson"},
        {"fields": {"value_min": "veel"}},
        {"year": 99},
    ):
        response = client.patch(f"/api/v1/items/{item.slug}", json=body, headers=editor)
        assert response.status_code == 422, body
    db.session.expire_all()
    stored = db.session.get(Item, item.id)
    assert stored.title == "Blijft zo" and len(stored.revisions) == 1


@pytest.mark.parametrize("group", ["bestaat-niet", None, ""])
def test_group_visibility_with_an_unknown_group_is_a_422_not_a_500(client, world, editor, group):
    """The service looked the group up after setting visibility 'group': the lookup's autoflush
    wrote the row without a group, which the database refused (ck_items_group_needed)."""
    item = make_item("tender", world.utrecht, world.utrecht_editor, title="Blijft openbaar")
    body = {"visibility": "group", "group": group}
    patched = client.patch(f"/api/v1/items/{item.slug}", json=body, headers=editor)
    assert patched.status_code == 422, patched.get_data(as_text=True)[:500]
    assert "group" in patched.json["errors"]
    created = client.post("/api/v1/items", json={**TENDER, **body}, headers=editor)
    assert created.status_code == 422, created.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Item, item.id).visibility == "public" and _count(Item) == 1


def test_attachments_with_the_web_uploads_limits(app, client, world, editor):
    from tests.test_files import make_pdf

    item = make_item("tender", world.utrecht, world.utrecht_editor)
    url = f"/api/v1/items/{item.slug}/attachments"
    ok = client.post(
        url, data={"file": (io.BytesIO(make_pdf("Bestek")), "bestek.pdf")}, headers=editor
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert ok.json["name"] == "bestek.pdf" and ok.json["content_type"] == "application/pdf"
    fake = client.post(url, data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")}, headers=editor)  # fmt: skip
    assert fake.status_code == 422 and fake.json["errors"]
    missing = client.post(
        url, data={"other": "x"}, content_type="multipart/form-data", headers=editor
    )
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    as_json = client.post(url, json={"file": "x"}, headers=editor)
    assert as_json.status_code == 415
    limit = app.config["MAX_ATTACHMENT_BYTES"]
    app.config["MAX_ATTACHMENT_BYTES"] = 1000
    try:
        large = client.post(url, data={"file": (io.BytesIO(make_pdf("x" * 3000)), "groot.pdf")}, headers=editor)  # fmt: skip
    finally:
        app.config["MAX_ATTACHMENT_BYTES"] = limit
    assert large.status_code in (413, 422) and "groter" in large.json["detail"]
    assert _count(Attachment) == 1
    theirs = make_item("tender", world.heumen, world.heumen_admin)
    denied = client.post(f"/api/v1/items/{theirs.slug}/attachments",
                         data={"file": (io.BytesIO(make_pdf("x")), "x.pdf")}, headers=editor)  # fmt: skip
    assert denied.status_code == 403


def test_a_body_over_the_apps_limit_is_413(app, client, world, editor):
    item = make_item("tender", world.utrecht, world.utrecht_editor)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    try:
        response = client.post(f"/api/v1/items/{item.slug}/attachments",
                               data={"file": (io.BytesIO(b"%PDF" + b"x" * 5000), "groot.pdf")},
                               headers=editor)  # fmt: skip
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_answer_a_question(client, world):
    from portal.questions import services as questions

    question = questions.ask_question(
        questions.QuestionData(
            title="Wie heeft ervaring met circulair asfalt?", body="Graag tips."
        ),
        actor=world.utrecht_editor,
    )
    db.session.commit()
    answerer = bearer(make_token(world.heumen_admin))
    url = f"/api/v1/items/{question.slug}/answers"
    response = client.post(url, json={"body": "Vraag naar de *MKI*."}, headers=answerer)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "<em>MKI</em>" in response.json["body_html"]
    assert client.post(url, json={"body": ""}, headers=answerer).status_code == 422
    assert client.post(url, json={"body": 5}, headers=answerer).status_code == 422
    assert client.post(url, json={}, headers=answerer).status_code == 422
    reader = bearer(make_token(world.utrecht_member, scope="read"))
    assert client.post(url, json={"body": "Ook ik."}, headers=reader).status_code == 403
    unverified_like = bearer(make_token(world.outsider))  # verified and sees it: may answer
    assert client.post(url, json={"body": "Buiten."}, headers=unverified_like).status_code == 201
    lesson = make_item("lesson", world.utrecht)
    assert client.post(f"/api/v1/items/{lesson.slug}/answers", json={"body": "x"}, headers=answerer).status_code == 404  # fmt: skip
    assert _count(Answer) == 2


WEIRD = [
    "x",
    5,
    -1,
    10**30,
    1.5,
    True,
    None,
    [],
    [1],
    ["x"],
    [{"a": 1}],
    {},
    {"a": [1]},
    "2024-13-45",
]


@pytest.mark.parametrize("kind", ["tender", "criterion", "consultation", "lesson", "plan", "event"])
def test_odd_values_in_a_kinds_own_fields_are_refused_not_a_500(client, world, editor, kind):
    """Every field of the kind's own (as GET shows them), each given values of every JSON type:
    422 (or accepted), never a server error, and nothing of a refused one written."""
    from portal.content.kinds import kinds

    blank = kinds()[kind].model(cpv_codes="") if kind == "tender" else kinds()[kind].model()
    names = list(blank.kind_fields())
    if kind == "event":
        names += ["starts_at", "ends_at"]
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    failures = []
    try:
        for name in names:
            for value in WEIRD:
                body = {"kind": kind, "organisation": "gemeente-utrecht", "title": "Vreemd",
                        "status": "draft", "fields": {name: value}}  # fmt: skip
                before = _count(Item)
                response = client.post("/api/v1/items", json=body, headers=editor)
                if response.status_code not in (201, 422):
                    failures.append((name, value, response.status_code))
                elif response.status_code == 422:
                    assert _count(Item) == before
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert failures == [], "\n".join(map(repr, failures))


def test_odd_values_in_a_questions_fields_are_refused_not_a_500(client, world, editor):
    from portal.questions import services as questions

    question = questions.ask_question(
        questions.QuestionData(
            title="Wie heeft ervaring met circulair asfalt?", body="Graag tips."
        ),
        actor=world.utrecht_editor,
    )
    db.session.commit()
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    failures = []
    try:
        for name in ("region", "addressed_to", "addressed_groups", "duplicate_of"):
            for value in WEIRD:
                response = client.patch(f"/api/v1/items/{question.slug}",
                                        json={"fields": {name: value}}, headers=editor)  # fmt: skip
                if response.status_code not in (200, 422):
                    failures.append((name, value, response.status_code))
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert failures == [], "\n".join(map(repr, failures))


def test_ask_a_question_through_the_question_service(client, world):
    from portal.notifications.models import Follow
    from portal.questions.models import Question

    body = {"title": "Hoe vraag ik social return onder de drempel?", "body": "Wij zijn klein.",
            "themes": ["social-return"], "addressed_to": ["gemeente-heumen"]}  # fmt: skip
    asker = bearer(make_token(world.utrecht_member))
    response = client.post("/api/v1/questions", json=body, headers=asker)
    assert response.status_code == 201, response.get_data(as_text=True)
    question = db.session.scalar(select(Question))
    assert response.headers["Location"].endswith(f"/api/v1/items/{question.slug}")
    assert response.json["kind"] == "question" and question.status == "published"
    assert question.organisation == world.utrecht and question.author == world.utrecht_member
    assert [o.slug for o in question.addressed_to] == ["gemeente-heumen"]
    # The question service's own steps ran: the asker follows the question.
    assert db.session.scalar(select(Follow.id).where(Follow.user_id == world.utrecht_member.id))
    # POST /items with kind=question points here.
    wrong = client.post("/api/v1/items", json={"title": body["title"], "kind": "question", "organisation": "gemeente-utrecht"},
                        headers=asker)  # fmt: skip
    assert wrong.status_code == 422 and "/api/v1/questions" in wrong.json["detail"]


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"title": "Kort?", "body": "x"}, 422, "minstens 10 tekens"),
        ({"title": "Een vraag zonder tekst erbij?"}, 422, "body"),
        ({"title": "Een vraag met een onbekend veld?", "body": "x", "extra": 1}, 422, "extra"),
        ({"title": "Een vraag met een getal als tekst?", "body": 5}, 422, "body"),
        (
            {
                "title": "Een vraag aan een onbekende organisatie?",
                "body": "x",
                "addressed_to": ["bestaat-niet"],
            },
            422,
            "",
        ),
    ],
)
def test_a_bad_question_is_a_problem_and_asks_nothing(client, world, body, status, words):
    from portal.questions.models import Question

    response = client.post(
        "/api/v1/questions", json=body, headers=bearer(make_token(world.utrecht_member))
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and words in response.get_data(
        as_text=True
    )
    assert _count(Question) == 0


def test_asking_needs_a_write_token_of_a_member_of_an_organisation(client, world):
    from portal.questions.models import Question

    body = {"title": "Mag iemand zonder organisatie iets vragen?", "body": "?"}
    assert client.post("/api/v1/questions", json=body).status_code == 401
    reader = bearer(make_token(world.utrecht_member, scope="read"))
    assert client.post("/api/v1/questions", json=body, headers=reader).status_code == 403
    outsider = bearer(make_token(world.outsider))  # no organisation
    refused = client.post("/api/v1/questions", json=body, headers=outsider)
    assert refused.status_code == 403 and "lid zijn van een organisatie" in refused.json["detail"]
    assert _count(Question) == 0
