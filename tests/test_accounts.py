"""Register, verify, log in, throttle, reset, change e-mail/password, profile, delete."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import AccountToken, User
from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from tests.conftest import login
from tests.factories import PASSWORD, make_user

GOOD = "Lange-zin-voor-test"


def register(client, email="eva@heumen.nl", password=GOOD, name="Eva Jansen", repeat=None):
    return client.post(
        "/registreren",
        data={
            "name": name,
            "email": email,
            "password": password,
            "password_repeat": repeat or password,
        },
    )


def users():
    return db.session.scalars(select(User)).all()


def test_register_sends_a_verification_mail_and_verifying_works(client, mailbox, taxonomy):
    response = register(client)
    assert response.status_code == 302
    user = users()[0]
    assert user.email == "eva@heumen.nl" and not user.is_verified
    assert user.password_hash.startswith("$argon2id$")
    path = mailbox.last_path("eva@heumen.nl")
    assert path.startswith("/bevestigen/")
    assert client.get(path).status_code == 200  # a page with a button: GET does not use the token
    assert not db.session.get(User, user.id).is_verified
    response = client.post(path)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_verified


def test_verification_token_is_single_use(client, mailbox, taxonomy):
    register(client)
    path = mailbox.last_path()
    client.post(path)
    response = client.post(path)
    assert response.status_code == 410
    assert "al gebruikt" in response.get_data(as_text=True)


def test_forged_token_is_refused(client, taxonomy):
    response = client.post("/bevestigen/dit-is-geen-echte-token")
    assert response.status_code == 400
    assert "ongeldig" in response.get_data(as_text=True)


def test_expired_token_is_refused(client, mailbox, taxonomy):
    register(client)
    token = db.session.scalar(select(AccountToken))
    token.expires_at = token.expires_at - timedelta(days=3)
    db.session.commit()
    response = client.post(mailbox.last_path())
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)
    assert not users()[0].is_verified


@pytest.mark.parametrize(
    ("email", "password", "name", "message", "status"),
    [
        ("geen-adres", GOOD, "Eva", "Vul een geldig e-mailadres in.", 400),
        ("eva@heumen.nl", "kort", "Eva", "minstens 12 tekens", 400),
        ("eva@heumen.nl", "wachtwoord123", "Eva", "veelgebruikte wachtwoorden", 400),
        ("eva@heumen.nl", "aaaaaaaaaaaa", "Eva", "te makkelijk te raden", 400),
        ("eva@heumen.nl", "x" * 129, "Eva", "hoogstens 128 tekens", 400),
        ("eva@heumen.nl", GOOD, "E" * 121, "hoogstens 120 tekens", 400),
        ("eva@heumen.nl", GOOD, "", "Dit veld is verplicht.", 400),
        ("a" * 250 + "@x.nl", GOOD, "Eva", "hoogstens 254 tekens", 400),
    ],
)
def test_bad_registrations_are_refused_in_dutch(
    client, taxonomy, email, password, name, message, status
):
    response = register(client, email=email, password=password, name=name)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert users() == []


def test_duplicate_email_makes_no_second_account_case_insensitively(client, mailbox, taxonomy):
    make_user("eva@heumen.nl")
    db.session.commit()
    response = register(client, email="  EVA@Heumen.NL ")
    assert response.status_code == 302  # the answer a new address gets (no enumeration)
    assert len(users()) == 1
    assert any("To: eva@heumen.nl" in m and "nieuw account" in m for m in mailbox.messages())


def test_mismatched_password_repeat(client, taxonomy):
    response = register(client, repeat="Iets-heel-anders-1")
    assert response.status_code == 400
    assert "De wachtwoorden zijn niet gelijk." in response.get_data(as_text=True)


def test_login_logout_and_remember_me(client, world):
    response = login(client, world.outsider.email.upper(), remember="y")
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie")
    )
    assert client.get("/account").status_code == 200
    assert client.get("/uitloggen").status_code == 405  # logging out is a POST with CSRF
    client.post("/uitloggen")
    assert client.get("/account").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, world):
    response = login(client, world.outsider.email, password="Niet-het-goede-1")
    assert response.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in response.get_data(as_text=True)
    response = login(client, "onbekend@example.org")
    assert response.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in response.get_data(as_text=True)


def test_login_is_throttled_per_account(client, world):
    for _ in range(5):
        assert login(client, world.outsider.email, password="Fout-wachtwoord-1").status_code == 401
    response = login(client, world.outsider.email)  # even the right password waits now
    assert response.status_code == 429
    assert "Te veel mislukte inlogpogingen" in response.get_data(as_text=True)
    assert login(client, world.utrecht_member.email).status_code == 302  # other accounts unaffected


def test_login_is_throttled_per_ip(app, client, world):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    try:
        for n in range(3):
            login(client, f"poging{n}@example.org", password="Fout-wachtwoord-1")
        response = login(client, world.outsider.email)
        assert response.status_code == 429
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "30 per 15 minutes"


def test_password_reset_flow_is_single_use_and_logs_out_other_sessions(app, client, mailbox, world):
    other = app.test_client()
    login(other, world.outsider.email)
    assert other.get("/account").status_code == 200
    response = client.post("/wachtwoord-vergeten", data={"email": world.outsider.email})
    assert response.status_code == 302
    path = mailbox.last_path(world.outsider.email)
    assert client.get(path).status_code == 200
    response = client.post(
        path, data={"password": "Nieuw-en-lang-genoeg", "password_repeat": "Nieuw-en-lang-genoeg"}
    )
    assert response.status_code == 302
    assert login(client, world.outsider.email, password="Nieuw-en-lang-genoeg").status_code == 302
    assert other.get("/account").status_code == 302  # the old session was ended
    again = client.post(
        path,
        data={
            "password": "Nog-een-ander-wachtwoord",
            "password_repeat": "Nog-een-ander-wachtwoord",
        },
    )
    assert again.status_code == 410


def test_reset_with_a_weak_password_keeps_the_token_usable(client, mailbox, world):
    client.post("/wachtwoord-vergeten", data={"email": world.outsider.email})
    path = mailbox.last_path()
    response = client.post(path, data={"password": "kort", "password_repeat": "kort"})
    assert response.status_code == 400
    response = client.post(
        path, data={"password": "Nieuw-en-lang-genoeg", "password_repeat": "Nieuw-en-lang-genoeg"}
    )
    assert response.status_code == 302


def test_reset_request_for_unknown_address_says_the_same_and_sends_nothing(
    client, mailbox, taxonomy
):
    response = client.post(
        "/wachtwoord-vergeten", data={"email": "niemand@example.org"}, follow_redirects=True
    )
    assert "Als er een account bij dit adres hoort" in response.get_data(as_text=True)
    assert mailbox.messages() == []


def test_change_password_needs_the_current_one(client, world, as_user):
    as_user(world.outsider)
    response = client.post(
        "/account/wachtwoord",
        data={
            "current_password": "Fout-wachtwoord-1",
            "password": "Nieuw-en-lang-genoeg",
            "password_repeat": "Nieuw-en-lang-genoeg",
        },
    )
    assert response.status_code == 400
    assert "Uw huidige wachtwoord klopt niet." in response.get_data(as_text=True)
    response = client.post(
        "/account/wachtwoord",
        data={
            "current_password": PASSWORD,
            "password": "Nieuw-en-lang-genoeg",
            "password_repeat": "Nieuw-en-lang-genoeg",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this session stays signed in


def test_change_email_takes_effect_only_after_confirmation(client, mailbox, world, as_user):
    as_user(world.outsider)
    response = client.post(
        "/account/e-mailadres", data={"email": "bram@heumen.nl", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert db.session.get(User, world.outsider.id).email == "buiten@example.org"
    path = mailbox.last_path("bram@heumen.nl")
    assert client.post(path).status_code == 302
    assert db.session.get(User, world.outsider.id).email == "bram@heumen.nl"


def test_change_email_to_a_taken_address_changes_nothing(client, world, as_user):
    as_user(world.outsider)
    response = client.post(
        "/account/e-mailadres",
        data={"email": world.utrecht_admin.email.upper(), "password": PASSWORD},
    )
    assert response.status_code == 302  # the answer a free address gets (no enumeration)
    assert db.session.scalar(select(AccountToken).where(AccountToken.purpose == "email")) is None


def test_profile_update_and_over_long_bio(client, world, as_user):
    as_user(world.outsider)
    response = client.post(
        "/account/profiel",
        data={
            "name": "Bram B.",
            "job_role": "contractmanager",
            "expertise": ["circulair", "klimaat"],
            "bio": "Contractmanager GWW.",
        },
    )
    assert response.status_code == 302
    user = db.session.get(User, world.outsider.id)
    assert user.name == "Bram B." and user.job_role.slug == "contractmanager"
    assert [t.slug for t in user.expertise] == ["klimaat", "circulair"]
    response = client.post("/account/profiel", data={"name": "Bram", "bio": "x" * 1001})
    assert response.status_code == 400
    assert db.session.get(User, world.outsider.id).name == "Bram B."


def test_delete_account_keeps_the_organisation(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.post(
        "/account/verwijderen", data={"password": "Fout-wachtwoord-1", "confirm": "y"}
    )
    assert response.status_code == 400
    response = client.post("/account/verwijderen", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "lid@utrecht.nl")) is None
    assert (
        db.session.scalar(select(Organisation).where(Organisation.slug == "gemeente-utrecht"))
        is not None
    )
    assert (
        db.session.scalar(select(Membership).where(Membership.user_id == world.utrecht_member.id))
        is None
    )


def test_account_pages_need_login(client):
    for path in [
        "/account",
        "/account/profiel",
        "/account/wachtwoord",
        "/account/e-mailadres",
        "/account/verwijderen",
    ]:
        response = client.get(path)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
