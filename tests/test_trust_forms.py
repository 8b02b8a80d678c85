"""Forms never drop data: an unchanged save changes nothing, repeating rows are all kept."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.content.importer import export_items
from portal.content.kinds import kinds
from portal.content.models import Item, Revision
from portal.extensions import db
from tests.conftest import login
from tests.factories import make_item

DEMO_PASSWORD = "demo-MVI-2026"
MODERATOR = "moderator@mvi-portaal.example"


class _FormReader(HTMLParser):
    """Read the forms of a page as a browser sees them: fields, their values and the buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"attrs": a, "controls": [], "buttons": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input":
            self._form["controls"].append(("input", a))
        elif tag == "select":
            self._select = {"attrs": a, "options": []}
            self._form["controls"].append(("select", self._select))
        elif tag == "option" and self._select is not None:
            self._option = {"attrs": a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"attrs": a, "text": ""}
            self._form["controls"].append(("textarea", self._textarea))
        elif tag == "button":
            self._button = {"attrs": a, "text": ""}
            self._form["buttons"].append(self._button)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        for open_element in (self._option, self._textarea, self._button):
            if open_element is not None:
                open_element["text"] += data


def _browser_value(value: str) -> str:
    # Browsers send every line break as CRLF.
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _attrs(kind: str, control: dict) -> dict:
    return control if kind == "input" else control["attrs"]


def _successful_controls(form: dict) -> list[tuple[str, str]]:
    """The name/value pairs a browser submits for form (HTML 'constructing the entry list')."""
    pairs = []
    for kind, control in form["controls"]:
        attrs = _attrs(kind, control)
        name = attrs.get("name")
        if not name or "disabled" in attrs:
            continue
        if kind == "input":
            input_type = attrs.get("type", "text").lower()
            if input_type in ("submit", "button", "reset", "image", "file"):
                continue
            if input_type in ("checkbox", "radio"):
                if "checked" in attrs:
                    pairs.append((name, attrs.get("value", "on")))
                continue
            value = attrs.get("value", "")
            if input_type in ("text", "search", "url", "tel", "email", "password", "hidden"):
                value = value.replace("\r", "").replace("\n", "")  # browsers strip line breaks
            pairs.append((name, value))
        elif kind == "select":
            options = control["options"]
            values = [o["attrs"].get("value", o["text"].strip()) for o in options]
            chosen = [v for o, v in zip(options, values, strict=True) if "selected" in o["attrs"]]
            if "multiple" in attrs:
                pairs.extend((name, v) for v in chosen)
            elif chosen:
                pairs.append((name, chosen[-1]))
            elif values:
                pairs.append((name, values[0]))  # a single select always sends an option
        else:
            text = control["text"].replace("\r\n", "\n")
            # The HTML parser drops one line break right after <textarea>.
            pairs.append((name, text[1:] if text.startswith("\n") else text))
    return [(name, _browser_value(value)) for name, value in pairs]


def edit_form(html: str) -> dict:
    """The item's edit form on the page (the one with a title field)."""
    reader = _FormReader()
    reader.feed(html)
    forms = [
        f for f in reader.forms if "title" in {_attrs(k, c).get("name") for k, c in f["controls"]}
    ]
    assert len(forms) == 1, "expected one edit form"
    return forms[0]


def submitted(html: str, button: str | None = None, **changes) -> MultiDict:
    """What the browser posts when the user changes nothing (or only `changes`) and clicks.

    button: the text of a named submit button to click; None clicks the unnamed save button."""
    form = edit_form(html)
    data = MultiDict(_successful_controls(form))
    for name, value in changes.items():
        data.setlist(name.replace("__", "-"), [value] if isinstance(value, str) else value)
    if button is not None:
        found = [b for b in form["buttons"] if b["text"].strip() == button]
        assert found, f"no button {button!r}"
        data.add(found[0]["attrs"]["name"], found[0]["attrs"].get("value", ""))
    return data


def _exports() -> dict[str, str]:
    return {json.loads(line)["slug"]: line for line in export_items()}


def _state() -> dict[int, tuple]:
    rows = db.session.execute(
        select(Item.id, Item.updated_at, func.count(Revision.id))
        .outerjoin(Revision, Revision.item_id == Item.id)
        .group_by(Item.id, Item.updated_at)
    ).all()
    return {item_id: (updated_at, revisions) for item_id, updated_at, revisions in rows}


def _difference(slug: str, before: str, after: str | None) -> str:
    if after is None:
        return f"{slug}: gone from the export"
    old, new = json.loads(before), json.loads(after)
    old.update(old.pop("fields")), new.update(new.pop("fields"))
    changed = {
        k: (old.get(k), new.get(k)) for k in old.keys() | new.keys() if old.get(k) != new.get(k)
    }
    return f"{slug}: {changed}"


def test_every_seeded_item_survives_an_unchanged_save(app, client):
    from portal.seeding import seed

    seed(demo_password=DEMO_PASSWORD)
    db.session.commit()
    assert login(client, MODERATOR, DEMO_PASSWORD).status_code == 302
    items = db.session.execute(select(Item.id, Item.kind, Item.slug).order_by(Item.id)).all()
    assert {kind for _, kind, _ in items} == set(kinds())  # every kind has demo items
    exports, state = _exports(), _state()
    problems = []
    for _, kind, slug in items:
        url = f"/{kinds()[kind].url}/{slug}/bewerken"
        page = client.get(url)
        assert page.status_code == 200, url
        response = client.post(url, data=submitted(page.get_data(as_text=True)))
        if response.status_code != 302:
            problems.append(f"{url}: {response.status_code}")
    db.session.expire_all()
    after = _exports()
    problems += [
        _difference(slug, exports[slug], after.get(slug))
        for slug in exports
        if after.get(slug) != exports[slug]
    ]
    new_state = _state()
    problems += [
        f"item {i}: {state[i]} -> {new_state[i]}" for i in state if new_state[i] != state[i]
    ]
    assert problems == [], "\n".join(problems)


MVI = [
    {"theme": theme, "instrument": instrument, "ambition_level": level, "weight_percent": weight,
     "fictive_discount_eur": discount, "note": note}
    for theme, instrument, level, weight, discount, note in [
        ("circulair", "aanmoedigen", "ambitieus", 30, None, "MKI-waarde"),
        ("klimaat", "voorschrijven", "basis", None, None, "Emissieloos materieel op de bouwplaats"),
        ("social-return", "voorschrijven", "significant", None, None, "5% SROI"),
        ("milieu", "aanmoedigen", "significant", 10, 25000, ""),
        ("innovatie", "uitnodigen", None, None, None, "Functionele uitvraag"),
    ]
]  # fmt: skip
BIDS = [
    {"bidder": f"Inschrijver {letter}", "price_eur": 1_000_000 + 10_000 * n, "quality_score": 60 + n,
     "mki_eur": 200_000 - 1_000 * n, "winner": letter == "C"}
    for n, letter in enumerate("ABCDEF")
]  # fmt: skip
CONTRACT = [
    {"promised": "MKI ≤ 200.000", "realised": "MKI 195.000"},
    {"promised": "100% emissieloos", "realised": ""},
    {"promised": "", "realised": "Twee leerwerkplekken"},
]


def _big_tender(world):
    fields = {"mvi": MVI, "bids": BIDS, "contract_results": CONTRACT, "number_of_bids": 6}
    item = make_item("tender", world.utrecht, fields=fields)
    assert (len(item.mvi), len(item.bids), len(item.contract_results)) == (5, 6, 3)
    return item


def _rows(html: str, group: str, first: str) -> int:
    """How many rows of group the form shows (counted by their first field)."""
    names = [name for name, _ in _successful_controls(edit_form(html))]
    return sum(1 for name in names if name.startswith(f"{group}-") and name.endswith(f"-{first}"))


def _reload(item: Item) -> Item:
    db.session.expire_all()
    return db.session.get(type(item), item.id)


def _export(item: Item) -> str:
    return _exports()[item.slug]


def test_a_tender_with_many_rows_survives_an_unchanged_save(client, world, as_user):
    item = _big_tender(world)
    export, updated_at, revisions = _export(item), item.updated_at, len(item.revisions)
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    # Every stored row, plus empty ones to add more without JavaScript.
    assert _rows(page, "mvi", "theme") == 5 + 2
    assert _rows(page, "bids", "bidder") == 6 + 2
    assert _rows(page, "contract_results", "promised") == 3 + 2
    response = client.post(url, data=submitted(page))
    assert response.status_code == 302
    item = _reload(item)
    assert (item.mvi, item.bids, item.contract_results) == (MVI, BIDS, CONTRACT)
    assert _export(item) == export
    assert item.updated_at == updated_at and len(item.revisions) == revisions
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "U heeft niets gewijzigd; er is geen nieuwe versie opgeslagen." in shown


def test_an_unchanged_update_through_the_service_keeps_no_revision(world):
    from portal.content import services
    from portal.permissions import SYSTEM

    item = _big_tender(world)
    revisions, updated_at = len(item.revisions), item.updated_at
    data = services.ItemData(
        title=item.title, summary=item.summary, body=item.body_md,
        themes=[t.slug for t in item.themes], product_groups=[g.slug for g in item.product_groups],
        tags=[t.name for t in item.tags], year=item.year, status=item.status,
        visibility=item.visibility, fields=item.kind_fields(),
    )  # fmt: skip
    assert services.update_item(item, data, actor=SYSTEM) is False
    db.session.commit()
    item = _reload(item)
    assert len(item.revisions) == revisions and item.updated_at == updated_at
    data.fields = {**data.fields, "bids": BIDS[:5]}
    assert services.update_item(item, data, actor=SYSTEM) is True
    db.session.commit()
    assert len(_reload(item).revisions) == revisions + 1


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(client, world, as_user):
    item = _big_tender(world)
    export, revisions = _export(item), len(item.revisions)
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    typed = {"title": "Nieuwe titel, nog niet bewaard", "bids__6__bidder": "Inschrijver G",
             "bids__6__price_eur": "1090000", "mvi__1__note": "Aangepaste toelichting",
             "mvi__3__weight_percent": "niet-een-getal"}  # fmt: skip
    response = client.post(url, data=submitted(page, "Nog een inschrijving toevoegen", **typed))
    assert response.status_code == 200
    again = response.get_data(as_text=True)
    assert _rows(again, "bids", "bidder") == 6 + 2 + 1
    assert _rows(again, "mvi", "theme") == 5 + 2  # only the list asked for grows
    values = dict(_successful_controls(edit_form(again)))
    assert values["title"] == typed["title"] and values["bids-6-bidder"] == "Inschrijver G"
    assert (
        values["bids-6-price_eur"] == "1090000" and values["mvi-1-note"] == "Aangepaste toelichting"
    )
    assert values["mvi-3-weight_percent"] == "niet-een-getal"  # kept as typed, not yet judged
    assert values["bids-8-bidder"] == "" and "bids-8-winner" not in values
    assert values["bids-2-winner"] == "y"
    assert "error-summary" not in again
    item = _reload(item)
    assert _export(item) == export and len(item.revisions) == revisions

    # The re-rendered form saves like any other: the typed bid is kept, the empty rows are not.
    response = client.post(url, data=submitted(again, mvi__3__weight_percent="10"))
    assert response.status_code == 302
    item = _reload(item)
    assert item.title == typed["title"] and len(item.revisions) == revisions + 1
    assert [b["bidder"] for b in item.bids] == [b["bidder"] for b in BIDS] + ["Inschrijver G"]
    assert item.bids[6]["price_eur"] == 1090000 and item.mvi[1]["note"] == "Aangepaste toelichting"


def test_the_add_row_button_of_a_new_tender_works_too(client, world, as_user):
    as_user(world.utrecht_editor)
    page = client.get("/aanbestedingen/nieuw").get_data(as_text=True)
    assert _rows(page, "contract_results", "promised") == 2
    response = client.post(
        "/aanbestedingen/nieuw",
        data=submitted(page, "Nog een contractresultaat toevoegen", title="Nog niet bewaard"),
    )
    assert response.status_code == 200
    assert _rows(response.get_data(as_text=True), "contract_results", "promised") == 3
    assert db.session.scalar(select(func.count(Item.id))) == 0


def test_emptying_a_row_deletes_just_that_row(client, world, as_user):
    item = _big_tender(world)
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    empty_mvi = {f"mvi__1__{name}": "" for name in MVI[1]}
    empty_bid = {
        f"bids__4__{name}": "" for name in ("bidder", "price_eur", "quality_score", "mki_eur")
    }
    data = submitted(page, **empty_mvi, **empty_bid)
    data.poplist("bids-4-winner")  # an unticked checkbox is not sent
    response = client.post(url, data=data)
    assert response.status_code == 302
    item = _reload(item)
    assert item.mvi == [MVI[0], *MVI[2:]]
    assert item.bids == [*BIDS[:4], BIDS[5]]
    assert item.contract_results == CONTRACT
    assert len(item.revisions) == 2


def test_bad_input_in_a_row_is_refused_in_dutch_and_nothing_is_written(client, world, as_user):
    item = _big_tender(world)
    export, revisions = _export(item), len(item.revisions)
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    cases = [
        # The service's rule: a weight is a percentage.
        ({"mvi__3__weight_percent": "150"}, "mvi-3-weight_percent",
         "Het gewicht moet tussen 0 en 100 liggen."),
        # A bid with a price needs a bidder; it is refused, not silently dropped.
        ({"bids__6__price_eur": "990000"}, "bids-6-bidder", "Vul de inschrijver in."),
        # The form's rule: a whole number.
        ({"bids__2__mki_eur": "veel"}, "bids-2-mki_eur", "Ongeldig getal."),
    ]  # fmt: skip
    for changes, field_id, message in cases:
        response = client.post(url, data=submitted(page, title="Half bewaard?", **changes))
        html = response.get_data(as_text=True)
        assert response.status_code == 400, field_id
        assert message.lower() in html.lower(), field_id
        assert f'href="#{field_id}"' in html  # the error summary links to the field in its row
        assert f'id="{field_id}-error"' in html and 'aria-invalid="true"' in html
        values = dict(_successful_controls(edit_form(html)))
        assert values["title"] == "Half bewaard?"  # what was typed is still there
        assert _rows(html, "mvi", "theme") == 5 + 2 and _rows(html, "bids", "bidder") == 6 + 2
        item = _reload(item)
        assert _export(item) == export and len(item.revisions) == revisions, field_id


def test_too_many_rows_are_refused_not_cut_off(client, world, as_user):
    from portal.tenders import models

    most = getattr(models, "MAX_MVI_ROWS", 12)  # the limit was 12 before it had a name
    item = _big_tender(world)
    export = _export(item)
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    extra = {f"mvi__{n}__note": f"Rij {n + 1}" for n in range(5, most + 1)}
    response = client.post(url, data=submitted(page, **extra))
    assert response.status_code == 400
    assert f"Vul hoogstens {most} MVI-rijen in; nu zijn het er {most + 1}." in (
        response.get_data(as_text=True)
    )
    assert _export(_reload(item)) == export
    # Asking for yet another row is refused with the same limit, and keeps what was typed.
    full = submitted(page, "Nog een MVI-rij toevoegen", **extra)
    response = client.post(url, data=full)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f"passen hoogstens {most} rijen" in html
    assert dict(_successful_controls(edit_form(html)))[f"mvi-{most}-note"] == "Rij 13"


def test_retired_terms_stay_on_an_unchanged_save(client, world, as_user):
    from portal.taxonomy.models import Instrument, Procedure, Theme

    item = make_item(
        "tender", world.utrecht, themes=["innovatie", "circulair"], fields={"mvi": MVI}
    )
    export = _export(item)
    for model, slug in (
        (Theme, "innovatie"),
        (Instrument, "uitnodigen"),
        (Procedure, "openbare-procedure"),
    ):
        db.session.scalar(select(model).where(model.slug == slug)).is_active = False
    db.session.commit()
    as_user(world.utrecht_editor)
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    assert "Innovatiegericht inkopen (vervallen)" in page  # shown as it is, not silently replaced
    assert client.post(url, data=submitted(page)).status_code == 302
    assert _export(_reload(item)) == export


def test_a_long_text_with_line_breaks_survives_an_unchanged_save(client, world, as_user):
    item = make_item("lesson", world.utrecht)
    item.body_md = ("x" * 99 + "\n") * 199 + "x" * 99  # 20,000 characters, the most a body takes
    db.session.commit()
    export = _export(item)
    as_user(world.utrecht_editor)
    url = f"/lessen/{item.slug}/bewerken"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data=submitted(page)).status_code == 302  # CRLF is not counted twice
    assert _export(_reload(item)) == export


def test_a_line_break_in_a_one_line_row_field_is_kept_as_a_space(world):
    # A text input cannot hold a line break (the browser drops it, gluing the words together),
    # so an imported one is stored as a space and the form shows the text as it is stored.
    rows = [{**MVI[1], "note": "Emissieloos materieel\r\nop de bouwplaats"}]
    item = make_item("tender", world.utrecht, fields={"mvi": rows, "bids": [{"bidder": "A\nB"}]})
    assert item.mvi[0]["note"] == "Emissieloos materieel op de bouwplaats"
    assert item.bids[0]["bidder"] == "A B"


def test_an_editor_outside_the_items_group_keeps_the_group_on_an_unchanged_save(
    client, world, as_user
):
    item = make_item("tender", world.utrecht, title="Alleen voor de kleine gemeenten",
                     visibility="group", group=world.closed_group.slug)  # fmt: skip
    as_user(world.utrecht_editor)  # edits for the owner, not a member of the group
    url = f"/aanbestedingen/{item.slug}/bewerken"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data=submitted(page.get_data(as_text=True)))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, item.id).group_id == world.closed_group.id
    # Moving it to another group the editor is not in stays refused.
    other = client.post(
        url, data=submitted(page.get_data(as_text=True), group=world.open_group.slug)
    )
    assert other.status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(Item, item.id).group_id == world.closed_group.id


def test_setting_the_same_status_twice_keeps_no_revision(world):
    from portal.content import services
    from portal.permissions import SYSTEM

    item = make_item("tender", world.utrecht, title="Al gepubliceerd")
    before = db.session.scalar(select(func.count(Revision.id)).where(Revision.item_id == item.id))
    services.set_status(item, "published", actor=SYSTEM)  # e.g. a second click on "Publiceren"
    db.session.commit()
    after = db.session.scalar(select(func.count(Revision.id)).where(Revision.item_id == item.id))
    assert after == before
