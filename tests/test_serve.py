"""The production profile, driven as an operator would: `deploy/serve.sh` (what `make serve`
runs) starts nginx, gunicorn and the outbox worker from the deploy/ files on free ports of
127.0.0.1, against the test database. Pages, static files, search, a sign-in, an upload and its
download, the size limit, health and metrics work through nginx; stopping it stops all three."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from portal.search.services import reindex
from portal.seeding import demo_pdf
from tests.factories import PASSWORD, make_item

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Cookies kept, redirects followed, errors returned as responses."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})  # noqa: S310
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        return response.status, dict(response.headers), response.read().decode("utf-8", "replace")


@pytest.fixture
def stack(app, world, tmp_path):
    """`deploy/serve.sh` on free ports, on the test database; stopped (all of it) afterwards."""
    reindex()
    nginx_port, app_port = free_port(), free_port()
    env = {
        **os.environ,
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "SEARCH_INDEX_DIR": str(app.config["SEARCH_INDEX_DIR"]),
        "RUN_DIR": str(tmp_path / "run"),
        "NGINX_LISTEN": f"127.0.0.1:{nginx_port}",
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": "2",
        "METRICS_TOKEN": "token-voor-de-test-van-serve",
        "LOG_FORMAT": "json",
    }
    process = subprocess.Popen(  # noqa: S603 - our own script
        [str(ROOT / "deploy" / "serve.sh")], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    browser = Browser(f"http://127.0.0.1:{nginx_port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if browser.open("/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    try:
        assert process.poll() is None, process.stdout.read()
        yield browser, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
        print(output[-3000:])


@pytest.fixture
def tender(world):
    """An example tender made before the stack starts (its index entry is then in place)."""
    return make_item("tender", world.utrecht, title="Groen beheer van bermen")


def test_make_serve_runs_the_whole_stack_through_nginx(tender, stack, world):
    browser, process = stack
    status, headers, body = browser.open("/")
    assert status == 200 and "Leer van elkaars aanbestedingen" in body
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's id, kept by the app
    assert "nginx/" not in headers.get("Server", "")  # no version shown
    assert "X-Page-Cache" not in headers  # the app's own business, hidden by nginx

    status, headers, css = browser.open("/static/css/portal.css")
    assert status == 200 and ".filter-panel" in css and "X-Request-ID" not in headers  # nginx

    status, _, readiness = browser.open("/readyz")
    assert status == 200 and '"status":"ok"' in readiness.replace(" ", "")

    status, _, form = browser.open("/inloggen")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": world.utrecht_member.email,
                                   "password": PASSWORD}).encode()  # fmt: skip
    status, _, page = browser.open("/inloggen", data)
    assert status == 200 and world.utrecht_member.name in page  # signed in, through nginx

    # Search, and an upload streamed through nginx's buffer, downloaded again byte for byte.
    status, _, found = browser.open("/zoeken?q=bermen")
    assert status == 200 and "Groen beheer van bermen" in found
    editor = Browser(browser.base)
    _, _, form = editor.open("/inloggen")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    editor.open("/inloggen", urllib.parse.urlencode({"csrf_token": token, "password": PASSWORD,
                "email": world.utrecht_editor.email}).encode())  # fmt: skip
    _, _, item_page = editor.open(f"/aanbestedingen/{tender.slug}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', item_page).group(1)
    pdf = demo_pdf(["Bestek bermbeheer met ecologisch maaibeheer"])
    boundary = "grens-van-de-test"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bestek.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode() + pdf + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    status, _, after = editor.open(f"/aanbestedingen/{tender.slug}/bijlagen", body,
                                   {"Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
    link = re.search(r'href="(/bijlagen/\d+/bestek\.pdf)"', after)
    assert status == 200 and link, after[-2000:]
    with editor.opener.open(editor.base + link.group(1), timeout=30) as download:
        assert download.status == 200 and download.read() == pdf

    too_big = b"x" * (33 * 1024 * 1024)  # above nginx's 32 MB: refused before the app
    status, _, _ = browser.open("/aanbestedingen/nieuw", too_big,
                                {"Content-Type": "application/octet-stream"})  # fmt: skip
    assert status == 413

    assert browser.open("/metrics")[0] == 404  # through the proxy: only with the token
    status, _, metrics = browser.open(
        "/metrics", headers={"Authorization": "Bearer token-voor-de-test-van-serve"}
    )
    assert status == 200 and 'route="/inloggen"' in metrics  # counted across gunicorn's workers

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    time.sleep(0.5)
    with pytest.raises(OSError):
        browser.open("/healthz")  # nginx is gone too
