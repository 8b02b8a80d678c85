"""Personal API tokens: made on the account page and shown once, stored hashed, revoked,
expiring, scoped, last use recorded at most once a minute, rate limited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.api import services
from portal.api.models import ApiToken
from portal.common import utcnow
from portal.extensions import db
from portal.permissions import PermissionDenied
from tests.api_helpers import bearer, make_token
from tests.factories import make_item, make_user


def _new_token(client, **form) -> str:
    data = {"name": "Contractbeheer", "scope": "read",
            "expires_on": (utcnow().date() + timedelta(days=30)).isoformat(), **form}  # fmt: skip
    response = client.post("/account/api-tokens/nieuw", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'value="(mvi_[^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_member_makes_a_token_that_is_shown_once_and_stored_hashed(client, as_user, world):
    as_user(world.utrecht_member)
    plain = _new_token(client)
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in stored.token_hash and stored.hint == plain[:10]
    account = client.get("/account").get_data(as_text=True)
    assert "Contractbeheer" in account and plain not in account  # never shown again
    assert "nog niet" in account
    assert client.get("/api/v1/items", headers=bearer(plain)).status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": ""}, "verplicht"),
        ({"scope": "admin"}, "geldige keuze"),
        ({"expires_on": "2000-01-01"}, "hoogstens een jaar"),
        ({"expires_on": "9999-12-31"}, "hoogstens een jaar"),
        ({"expires_on": "morgen"}, ""),
    ],
)
def test_a_bad_token_form_makes_nothing(client, as_user, world, form, message):
    as_user(world.utrecht_member)
    data = {"name": "Koppeling", "scope": "read",
            "expires_on": (utcnow().date() + timedelta(days=30)).isoformat(), **form}  # fmt: skip
    response = client.post("/account/api-tokens/nieuw", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("Not a valid choice", "geldige keuze")
    assert db.session.scalar(select(ApiToken)) is None


def test_only_verified_members_make_tokens(client, as_user, world):
    unverified = make_user(verified=False)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.create_api_token("x", "read", utcnow().date(), actor=unverified)
    as_user(
        world.outsider
    )  # verified, no organisation: may read with a token as they may on the web
    assert client.get("/account/api-tokens/nieuw").status_code == 200


def test_revoked_expired_and_unknown_tokens_are_401(client, world):
    plain = make_token(world.utrecht_member)
    token = db.session.scalar(select(ApiToken))
    assert client.get("/api/v1/items", headers=bearer(plain)).status_code == 200
    services.revoke_api_token(token, actor=world.utrecht_member)
    db.session.commit()
    revoked = client.get("/api/v1/items", headers=bearer(plain))
    assert revoked.status_code == 401 and revoked.mimetype == "application/problem+json"
    assert "ingetrokken" in revoked.json["detail"]
    assert "invalid_token" in revoked.headers["WWW-Authenticate"]
    expired = make_token(world.utrecht_member)
    db.session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None))).expires_on = (
        utcnow().date() - timedelta(days=1)
    )
    db.session.commit()
    assert client.get("/api/v1/items", headers=bearer(expired)).status_code == 401
    for header in ("Bearer mvi_onbekend", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = client.get("/api/v1/items", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["detail"]


def test_revoking_on_the_account_page(client, as_user, world):
    plain = make_token(world.utrecht_member)
    token = db.session.scalar(select(ApiToken))
    as_user(world.utrecht_editor)  # another member: not theirs to revoke, nor to know of
    assert client.post(f"/account/api-tokens/{token.id}/intrekken").status_code == 404
    assert client.get("/api/v1/items", headers=bearer(plain)).status_code == 200
    client.post("/uitloggen")
    as_user(world.utrecht_member)
    response = client.post(f"/account/api-tokens/{token.id}/intrekken")
    assert response.status_code == 302
    assert client.get("/api/v1/items", headers=bearer(plain)).status_code == 401
    assert "ingetrokken" in client.get("/account").get_data(as_text=True)


def test_a_read_token_may_not_write(client, world):
    plain = make_token(world.utrecht_editor, scope="read")
    item = make_item("lesson", world.utrecht, world.utrecht_editor)
    response = client.patch(
        f"/api/v1/items/{item.slug}", json={"title": "Nieuw"}, headers=bearer(plain)
    )
    assert response.status_code == 403
    assert "alleen lezen" in response.json["detail"]


def test_last_use_is_recorded_at_most_once_a_minute(client, world):
    plain = make_token(world.utrecht_member)
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is None
    client.get("/api/v1/themes", headers=bearer(plain))
    db.session.expire_all()
    first = db.session.get(ApiToken, token.id).last_used_at
    assert first is not None
    client.get("/api/v1/themes", headers=bearer(plain))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == first  # within the minute: no write
    token = db.session.get(ApiToken, token.id)
    token.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/themes", headers=bearer(plain))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at > first - timedelta(minutes=2)


def test_rate_limit_per_token_and_per_address(app, client, world):
    app.config.update(API_LIMIT_PER_TOKEN="3 per minute", API_LIMIT_PER_IP="2 per minute")
    try:
        plain = make_token(world.utrecht_member)
        statuses = [
            client.get("/api/v1/themes", headers=bearer(plain)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/themes", headers=bearer(plain))
        assert limited.mimetype == "application/problem+json" and limited.headers["Retry-After"]
        assert "Te veel verzoeken" in limited.json["detail"]
        anonymous = [client.get("/api/v1/themes").status_code for _ in range(3)]
        assert anonymous == [200, 200, 429]
        other = make_token(world.utrecht_editor)  # another token has its own count
        assert client.get("/api/v1/themes", headers=bearer(other)).status_code == 200
    finally:
        app.config.update(API_LIMIT_PER_TOKEN="600 per minute", API_LIMIT_PER_IP="120 per minute")


def test_the_token_count_is_bounded(world):
    for n in range(services.MAX_ACTIVE_TOKENS):
        make_token(world.utrecht_member, name=f"T{n}")
    from portal.common import ServiceError

    with pytest.raises(ServiceError):
        make_token(world.utrecht_member, name="Eén te veel")


def test_csrf_guards_the_token_form_but_not_token_requests(app, client, as_user, world):
    as_user(world.utrecht_editor)
    app.config["WTF_CSRF_ENABLED"] = True
    form = client.post("/account/api-tokens/nieuw", data={"name": "Zonder code", "scope": "write"})
    assert form.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None
    plain = make_token(world.utrecht_editor)
    body = {"kind": "lesson", "organisation": "gemeente-utrecht", "title": "Les via de API",
            "fields": {"lesson": "Vroeg beginnen.", "phase": "specificeren"}}  # fmt: skip
    client.post("/uitloggen")  # a token request needs no session and no CSRF code
    fresh = app.test_client()
    response = fresh.post("/api/v1/items", json=body, headers=bearer(plain))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_tokens_use_and_revocation_keep_the_page_cache(client, world):
    """A token's last use (written once a minute per token) is shown on no kept page: it must
    not empty every visitor's kept pages."""
    from portal.pagecache import generation

    plain = make_token(world.utrecht_member)
    before = generation()
    assert client.get("/api/v1/items", headers=bearer(plain)).status_code == 200
    assert db.session.scalar(select(ApiToken)).last_used_at is not None  # it did write
    services.revoke_api_token(db.session.scalar(select(ApiToken)), actor=world.utrecht_member)
    db.session.commit()
    assert generation() == before
    make_item("lesson", world.utrecht)
    assert generation() != before


def test_a_token_of_a_deleted_account_or_a_former_member_grants_nothing_more(client, world):
    from portal.accounts import services as accounts
    from portal.organisations import services as organisations
    from tests.factories import PASSWORD

    editor = bearer(make_token(world.utrecht_editor))
    item = make_item("tender", world.utrecht, world.utrecht_editor, visibility="members")
    url = f"/api/v1/items/{item.slug}"
    assert client.get(url, headers=editor).status_code == 200
    membership = next(m for m in world.utrecht_editor.memberships)
    organisations.leave_organisation(membership, actor=world.utrecht_editor)
    db.session.commit()
    assert client.patch(url, json={"title": "Niet meer"}, headers=editor).status_code == 404
    made = client.post(
        "/api/v1/items",
        json={"kind": "lesson", "organisation": "gemeente-utrecht", "title": "Niet meer"},
        headers=editor,
    )
    assert made.status_code == 403
    member = bearer(make_token(world.utrecht_member))
    accounts.delete_account(world.utrecht_member, PASSWORD, actor=world.utrecht_member)
    db.session.commit()
    assert client.get("/api/v1/items", headers=member).status_code == 401
    owners = db.session.scalars(select(ApiToken.user_id)).all()
    assert owners == [world.utrecht_editor.id]  # the deleted account's token went with it
