"""The load test's users (Locust), run by `make loadtest` against nginx on 127.0.0.1: a fixed,
bounded mix of what buyers do. Visitors browse lists and items, search and use the API; members
also sign in, answer a question and upload a 5 MB attachment. Locust's FastHttpUser (gevent's
HTTP client) leaves more of this 2-core machine to the portal than the requests-based HttpUser."""

from __future__ import annotations

import os
import random
import re
import uuid
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

from portal.seeding import demo_pdf

QUERIES = ["social return", "asfalt MKI", "circulair meubilair", "eiwittransitie kantine",
           "elektrische bestelbussen", "schoonmaak", "leerlingenvervoer", "BPKV", "houtbouw",
           "zonnepanelen"]  # fmt: skip
LISTS = ["/aanbestedingen/", "/criteria/", "/marktconsultaties/", "/lessen/", "/vragen/",
         "/kennis", "/themas/circulair"]  # fmt: skip
MEMBER = os.environ.get("LOADTEST_MEMBER", "lotte.devries@utrecht.nl")  # an organisation admin
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
# A real PDF (the portal checks the type by content), padded to 5 MB after its end.
PDF = (
    demo_pdf(["Belastingtest: een bijlage van vijf megabyte."]) + b"\n%" + b"x" * (5 * 1024 * 1024)
)
SLUG = re.compile(r'href="(/(?:aanbestedingen|criteria|marktconsultaties|lessen)/[a-z0-9-]+)"')
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def multipart(boundary: str, token: str) -> bytes:
    """The upload form's body: the CSRF token and the 5 MB PDF."""
    return b"".join([
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"belastingtest.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n".encode(), PDF, f"\r\n--{boundary}--\r\n".encode(),
    ])  # fmt: skip


def wait():
    """1–3 s between a user's actions, as people read (LOADTEST_NO_WAIT=1: none)."""
    return (lambda _user: 0) if os.environ.get("LOADTEST_NO_WAIT") else between(1, 3)


class Visitor(FastHttpUser):
    weight = 4
    wait_time = wait()
    items: list[str] = []

    @task(4)
    def browse_list(self):
        response = self.client.get(random.choice(LISTS), name="list")
        found = [s for s in SLUG.findall(response.text) if not s.endswith("/nieuw")]
        if found:
            type(self).items = found[:40]

    @task(4)
    def read_item(self):
        if self.items:
            self.client.get(random.choice(self.items), name="item")

    @task(3)
    def search(self):
        self.client.get("/zoeken?" + urlencode({"q": random.choice(QUERIES)}), name="/zoeken")

    @task(2)
    def api(self):
        self.client.get(
            "/api/search?" + urlencode({"q": random.choice(QUERIES)}), name="/api/search"
        )

    @task(1)
    def home(self):
        self.client.get("/", name="home")


def sign_in(user) -> None:
    form = user.client.get("/inloggen", name="sign in (form)")
    token = TOKEN.search(form.text).group(1)
    user.client.post("/inloggen", {"csrf_token": token, "email": MEMBER, "password": PASSWORD},
                     name="sign in")  # fmt: skip


class SignedInReader(Visitor):
    """A member who only reads (the signed-in read-only mix): never sent a kept page."""

    weight = 1

    def on_start(self):
        sign_in(self)


class Member(Visitor):
    weight = 1

    def on_start(self):
        sign_in(self)

    @task(1)
    def answer(self):
        listing = self.client.get("/vragen/", name="list")
        questions = re.findall(r'href="(/vragen/[a-z0-9-]+)"', listing.text)
        questions = [q for q in questions if not q.endswith("/nieuw")]
        if not questions:
            return
        page = self.client.get(random.choice(questions), name="item")
        match = TOKEN.search(page.text)
        action = re.search(r'action="(/vragen/[a-z0-9-]+/antwoorden)"', page.text)
        if match and action:
            body = f"Bij ons werkte dit goed (belastingtest {random.randint(1, 10**9)})."
            self.client.post(action.group(1), {"csrf_token": match.group(1), "body": body},
                             name="answer")  # fmt: skip

    @task(1)
    def upload(self):
        mine = self.client.get("/organisaties/gemeente-utrecht", name="organisation")
        found = [s for s in SLUG.findall(mine.text) if not s.endswith("/nieuw")]
        for slug in found[:5]:
            page = self.client.get(slug, name="item")
            action = re.search(r'action="(/aanbestedingen/[a-z0-9-]+/bijlagen)"', page.text)
            token = TOKEN.search(page.text)
            if action and token:
                boundary = uuid.uuid4().hex
                body = multipart(boundary, token.group(1))
                self.client.post(action.group(1), data=body, name="upload 5 MB",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
                return
