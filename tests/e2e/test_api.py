"""In a real browser: a member makes an API token on the account page (shown once), uses it,
and revokes it; the API's description page. Each page through axe-core at 1280 and 320 px."""

from __future__ import annotations

from tests.e2e.browser import log_in


def _get(page, url: str, token: str) -> int:
    """A request with the token, outside the browser's session (its cookies are not sent)."""
    context = page.context.browser.new_context()
    try:
        return context.request.get(url, headers={"Authorization": f"Bearer {token}"}).status
    finally:
        context.close()


def test_make_use_and_revoke_a_token(live_server, page, world, axe):
    log_in(page, live_server, world.utrecht_member.email)
    page.goto(live_server + "/account")
    assert page.get_by_role("heading", name="API-tokens").is_visible()
    axe.check(page, "api-01-account-without-tokens")
    page.get_by_role("link", name="Nieuw API-token maken").click()
    axe.check(page, "api-02-new-token")
    page.get_by_role("button", name="Token maken").click()  # no name: refused, nothing made
    assert "verplicht" in page.locator(".error-summary").inner_text()
    axe.check(page, "api-03-new-token-failed")
    page.get_by_label("Naam").fill("Contractbeheer")
    page.get_by_label("Mag").select_option("write")
    page.get_by_role("button", name="Token maken").click()
    token = page.get_by_label("Token").input_value()
    assert token.startswith("mvi_")
    axe.check(page, "api-04-token-shown-once")
    assert _get(page, live_server + "/api/v1/items", token) == 200

    page.goto(live_server + "/account")
    assert token not in page.content()  # shown once only
    assert "Contractbeheer" in page.locator("#api-tokens-section").inner_text()
    axe.check(page, "api-05-account-with-token")
    page.get_by_role("button", name="‘Contractbeheer’ intrekken").click()
    assert "ingetrokken" in page.locator("#api-tokens-section").inner_text()
    assert _get(page, live_server + "/api/v1/items", token) == 401


def test_the_docs_page(live_server, page, world, axe):
    page.goto(live_server + "/api/v1/docs")
    assert page.locator("h1").inner_text() == "REST API (v1)"
    assert "/api/v1/items/{slug}" in page.content()
    axe.check(page, "api-06-docs")
