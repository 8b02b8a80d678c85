"""Headers, cookies, CSRF, redirects and error pages."""

import re

from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import login


def test_security_headers_and_csp_without_inline_scripts(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    body = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []  # scripts only from files
    assert " style=" not in body and " onclick=" not in body


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = login(client, world.outsider.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused_in_dutch_and_writes_nothing(app, client, taxonomy):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/registreren",
        data={
            "name": "Eva",
            "email": "eva@heumen.nl",
            "password": "Lange-zin-voor-test",
            "password_repeat": "Lange-zin-voor-test",
        },
    )
    assert response.status_code == 400
    assert "Het formulier is verlopen of ongeldig" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0


def test_post_with_wrong_csrf_token_is_refused(app, client, taxonomy):
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/registreren")
    response = client.post(
        "/registreren", data={"csrf_token": "vervalst", "name": "Eva", "email": "eva@heumen.nl"}
    )
    assert response.status_code == 400
    assert db.session.query(User).count() == 0


def test_post_with_csrf_token_from_the_form_is_accepted(app, client, taxonomy):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/registreren").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/registreren",
        data={
            "csrf_token": token,
            "name": "Eva",
            "email": "eva@heumen.nl",
            "password": "Lange-zin-voor-test",
            "password_repeat": "Lange-zin-voor-test",
        },
    )
    assert response.status_code == 302
    assert db.session.query(User).count() == 1


def test_next_redirect_to_another_site_is_ignored(client, world):
    response = login(client, world.outsider.email, next="https://evil.example/phish")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_redirect_within_the_site_is_followed(client, world):
    response = login(client, world.outsider.email, next="/organisaties?soort=gemeente")
    assert response.headers["Location"] == "/organisaties?soort=gemeente"


def test_safe_redirect_rules():
    from portal.common import is_safe_redirect

    assert is_safe_redirect("/werkgroepen")
    for bad in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
        "/a\r\nb",
    ]:
        assert not is_safe_redirect(bad), bad


def test_styled_dutch_404_page(client):
    response = client.get("/organisaties/bestaat-niet")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Pagina niet gevonden" in body and 'lang="nl"' in body


def test_403_page_for_a_forbidden_page(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.get("/beheer")
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


def test_language_switch_to_english_and_back(client):
    response = client.post("/taal", data={"taal": "en", "next": "/organisaties"})
    assert response.headers["Location"] == "/organisaties"
    page = client.get("/organisaties").get_data(as_text=True)
    assert 'lang="en"' in page and "Organisations" in page
    client.post("/taal", data={"taal": "nl"})
    assert "Organisaties" in client.get("/organisaties").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    assert client.post("/taal", data={"taal": "xx"}).status_code == 400
