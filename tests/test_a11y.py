"""Accessibility of the shared markup (WCAG 2.1 AA): focus and title after a failed submit, wide
tables as focusable named regions, the JavaScript-only copy button, unique ids, no form in a <p>."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.content.models import Item
from portal.extensions import db
from tests.factories import make_item
from tests.test_content import tender_form

ROOT = Path(__file__).resolve().parents[1]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
MVI = [{"theme": "circulair", "instrument": "aanmoedigen", "weight_percent": 30, "note": "MKI"}]
BIDS = [{"bidder": "Inschrijver A", "price_eur": 1_000_000, "mki_eur": 200_000, "winner": True}]
CONTRACT = [{"promised": "MKI ≤ 200.000", "realised": "MKI 195.000"}]


class Page(HTMLParser):
    """A page's elements with their attributes, its ids, and each <form> inside an open <p>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: Counter[str] = Counter()
        self.forms_in_p: list[dict[str, str]] = []
        self.title = ""
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {name: value if value is not None else "" for name, value in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "form" and "p" in self._open:
            self.forms_in_p.append(a)
        if tag not in VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "title":
            self.title += data

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in wanted.items())
        ]  # fmt: skip

    def with_class(self, tag: str, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and name in a.get("class", "").split()]

    def duplicate_ids(self) -> list[str]:
        return [name for name, n in self.ids.items() if n > 1]


def page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return Page(response.get_data(as_text=True))


def items() -> int:
    return db.session.scalar(select(func.count(Item.id)))


# 13. A failed submit: the summary takes the focus without JavaScript, the title says "Fout:".


def test_a_failed_submit_focuses_the_summary_and_the_title_says_so(client, world, as_user):
    as_user(world.utrecht_member)
    blank = page(client, "/aanbestedingen/nieuw")
    assert not blank.title.startswith("Fout") and blank.with_class("div", "error-summary") == []

    response = client.post(
        "/aanbestedingen/nieuw", data={"title": "", "organisation": "gemeente-utrecht"}
    )
    assert response.status_code == 400
    failed = Page(response.get_data(as_text=True))
    assert failed.title.startswith("Fout: Nieuw"), failed.title
    [summary] = failed.with_class("div", "error-summary")
    assert summary["tabindex"] == "-1" and "autofocus" in summary and summary["role"] == "alert"
    assert [a for _, a in failed.elements if "autofocus" in a] == [summary]  # the only one
    assert "Dit veld is verplicht." in response.get_data(as_text=True)
    assert items() == 0  # nothing half-written


def test_the_error_title_is_english_in_english(client, world, as_user):
    as_user(world.utrecht_member)
    client.post("/taal", data={"taal": "en", "next": "/"})
    response = client.post("/aanbestedingen/nieuw", data={"title": ""})
    assert response.status_code == 400
    assert Page(response.get_data(as_text=True)).title.startswith("Error: ")
    assert items() == 0


def test_every_form_page_gets_it_from_the_shared_macro(client, taxonomy):
    """The account forms share one template with the item forms' macro: the same focus and title."""
    response = client.post(
        "/registreren",
        data={
            "name": "Eva",
            "email": "eva@heumen.nl",
            "password": "kort",
            "password_repeat": "kort",
        },
    )
    assert response.status_code == 400
    failed = Page(response.get_data(as_text=True))
    assert failed.title.startswith("Fout: ")
    assert "autofocus" in failed.with_class("div", "error-summary")[0]
    assert "minstens 12 tekens" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert not page(client, "/registreren").title.startswith("Fout")


def test_a_refusal_shown_after_a_redirect_also_says_so_in_the_title(client, world, as_user):
    as_user(world.heumen_admin)  # the last admin cannot leave: refused, flashed, redirected
    response = client.post("/organisaties/gemeente-heumen/verlaten")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "minstens één beheerder" in shown
    assert Page(shown).title.startswith("Fout: ")
    assert not page(client, "/organisaties/gemeente-heumen").title.startswith("Fout")


def test_a_refused_link_shows_the_page_again_with_the_error_in_the_title(client, world, as_user):
    tender = make_item("tender", world.utrecht)
    as_user(world.utrecht_editor)
    response = client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": ""})
    assert response.status_code == 400
    assert Page(response.get_data(as_text=True)).title.startswith("Fout: ")


# 12. Wide tables scroll in a region that a keyboard can reach and that has a name.


def test_wide_tables_are_focusable_regions_named_by_their_caption(client, world):
    fields = {"mvi": MVI, "bids": BIDS, "contract_results": CONTRACT}
    tender = make_item("tender", world.utrecht, fields=fields)
    html = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    shown = Page(html)
    wraps = shown.with_class("div", "table-wrap")
    assert len(wraps) == 3 == len(shown.find("table"))
    captions = {a["id"] for a in shown.find("caption")}
    for wrap in wraps:
        assert wrap["tabindex"] == "0" and wrap["role"] == "region"
        assert wrap["aria-labelledby"] in captions
    for name in (
        "Hoe MVI is toegepast",
        "Inschrijvingen",
        "Contractfase: toegezegd en gerealiseerd",
    ):
        assert re.search(rf'<caption id="[a-z-]+" class="visually-hidden">{name}</caption>', html)


def test_every_table_of_the_templates_comes_from_the_macro():
    """A new table gets the focusable region too: no template writes <table> or table-wrap itself."""
    macro = ROOT / "templates" / "_macros" / "ui.html"
    by_hand = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if path != macro and re.search(r"<table|table-wrap", path.read_text())
    ]
    assert by_hand == []


# 14. The copy button is hidden without JavaScript: [hidden] wins over .button.


def test_the_copy_button_stays_hidden_without_javascript(client, world):
    criterion = make_item("criterion", world.utrecht)
    shown = page(client, f"/criteria/{criterion.slug}")
    [button] = [a for t, a in shown.elements if t == "button" and "data-copy-target" in a]
    assert "hidden" in button and "button" in button["class"].split()
    css = (ROOT / "static" / "css" / "portal.css").read_text()
    rule = re.search(r"(?m)^\[hidden\]\s*\{([^}]*)\}", css)
    assert rule and re.search(r"display:\s*none\s*!important", rule.group(1))
    assert "button.hidden = false" in (ROOT / "static" / "js" / "copy.js").read_text()


# 15. Valid HTML at the source: no id="csrf_token" twice, no <form> inside a <p>.


def test_two_forms_on_one_page_never_share_an_id(app, client, world, as_user):
    criterion = make_item("criterion", world.utrecht)
    as_user(world.utrecht_editor)
    app.config["WTF_CSRF_ENABLED"] = True  # the tests switch tokens off; pages carry them for real
    shown = page(client, f"/criteria/{criterion.slug}")  # the upload and the link form
    assert shown.find("input", name="file") and shown.find("input", name="target")
    tokens = shown.find("input", name="csrf_token")
    assert len(shown.find("form", method="post")) >= 3 and len(tokens) >= 3
    assert all(t["value"] for t in tokens)
    assert shown.duplicate_ids() == [] and shown.find("input", id="csrf_token") == []

    # The token without its id still works: the form posts with it, and not without it.
    form = page(client, "/aanbestedingen/nieuw")
    tokens = form.find("input", name="csrf_token")  # the language switch's and the form's
    assert tokens and not any("id" in t for t in tokens)
    token = tokens[-1]
    data = tender_form(title="Maaien met elektrisch materieel")
    assert client.post("/aanbestedingen/nieuw", data=data).status_code == 400
    assert items() == 1
    response = client.post("/aanbestedingen/nieuw", data={**data, "csrf_token": token["value"]})
    assert response.status_code == 302 and items() == 2


def _follow_pages(world) -> list[str]:
    region = world.heumen.regions[0]
    return [
        "/themas/circulair",
        "/productgroepen/asfalt-en-wegverharding",
        f"/organisaties/{world.utrecht.slug}",
        f"/regios/{region.slug}",
        f"/werkgroepen/{world.open_group.slug}",
    ]


def test_follow_buttons_never_stand_inside_a_paragraph(client, world, as_user):
    as_user(world.utrecht_member)
    for url in _follow_pages(world):
        shown = page(client, url)
        assert shown.find("form", action="/volgen"), url  # a member may follow
        assert shown.forms_in_p == [] and shown.duplicate_ids() == [], url


@pytest.mark.parametrize("signed_in", [False, True])
def test_feed_links_show_with_or_without_the_follow_button(client, world, as_user, signed_in):
    if signed_in:
        as_user(world.utrecht_member)
    shown = page(client, "/themas/circulair")
    assert bool(shown.find("form", action="/volgen")) is signed_in  # visitors cannot follow
    assert shown.find("a", href="/themas/circulair.atom")
    assert shown.forms_in_p == []


def test_the_api_token_pages(client, world, as_user):
    """The token form after a failed submit focuses its summary; the account's token list is a
    named, focusable table region with one revoke button per token, each named by its token."""
    from tests.api_helpers import make_token

    as_user(world.utrecht_member)
    failed = client.post("/account/api-tokens/nieuw", data={"name": "", "scope": "read"})
    assert failed.status_code == 400
    shown = Page(failed.get_data(as_text=True))
    assert shown.title.startswith("Fout: ")
    assert "autofocus" in shown.with_class("div", "error-summary")[0]
    for name in ("Koppeling A", "Koppeling B"):
        make_token(world.utrecht_member, name=name)
    account = page(client, "/account")
    assert account.find(
        "div", role="region", tabindex="0", **{"aria-labelledby": "api-tokens-table"}
    )
    html = client.get("/account").get_data(as_text=True)
    assert "‘Koppeling A’ intrekken" in html and "‘Koppeling B’ intrekken" in html
    assert account.duplicate_ids() == [] and account.forms_in_p == []
    docs = page(client, "/api/v1/docs")
    # One labelled section per operation (a wide table hid the summaries at 320 px).
    operations = docs.with_class("section", "api-operation")
    assert len(operations) > 10
    headings = {a.get("id") for t, a in docs.elements if t == "h3"}
    assert all(s["aria-labelledby"] in headings for s in operations)
    assert docs.duplicate_ids() == []
