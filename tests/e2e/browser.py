"""Steps the browser journeys share."""

from tests.factories import PASSWORD


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def log_out(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_load_state()
