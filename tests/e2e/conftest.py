"""A live server on 127.0.0.1 and Debian's headless Chromium driven by Playwright, plus axe-core."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from tests.live import serving

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def live_server(app):
    """Serve the test app on a free port of 127.0.0.1 in a thread, with CSRF switched on."""
    app.config["WTF_CSRF_ENABLED"] = True
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` (Debian package chromium)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


NARROW = 320  # CSS px: WCAG 2.1 1.4.10 reflow (1280 px at 400 % zoom)
DESKTOP = 1280


class Auditor:
    """Runs axe-core on a page at desktop width and at 320 px, checks that it does not scroll
    sideways at 320 px, and remembers serious or critical violations."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.problems: list[str] = []
        self.audited: list[str] = []

    def check(self, page, name: str) -> None:
        size = page.viewport_size or {"width": DESKTOP, "height": 900}
        other = DESKTOP if size["width"] == NARROW else NARROW
        self._audit(page, name, size["width"])
        page.set_viewport_size({"width": other, "height": size["height"]})
        try:
            self._audit(page, f"{name}-{other}px", other)
        finally:
            page.set_viewport_size(size)
        self.audited.append(page.url)

    def _audit(self, page, name: str, width: int) -> None:
        found = len(self.problems)
        self._find_problems(page, width)
        if len(self.problems) > found:  # a screenshot of what failed, to look at
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def _violations(self, page) -> list[dict]:
        """axe-core's violations (only those: building the passes' details costs time), with
        axe injected once per document, not for every run."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe.axe_script)
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        return page.evaluate("options => axe.run(document, options)", options)["violations"]

    def _find_problems(self, page, width: int) -> None:
        if width == NARROW:
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > NARROW:
                self.problems.append(
                    f"{page.url}: scrolls sideways at {NARROW} px (scrollWidth {scroll_width})"
                )
        for violation in self._violations(page):
            if violation["impact"] in ("serious", "critical"):
                targets = [", ".join(node["target"]) for node in violation["nodes"]][:3]
                self.problems.append(
                    f"{page.url} at {width} px: {violation['id']} ({violation['impact']}) {targets}"
                )


@pytest.fixture
def axe():
    auditor = Auditor()
    yield auditor
    assert auditor.problems == [], "\n".join(auditor.problems)
