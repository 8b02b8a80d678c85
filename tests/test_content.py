"""Knowledge items: publish, edit with revisions, visibility, links, attachments, marks, basket."""

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from portal.content.models import Attachment, Item, ItemLink, Revision
from portal.extensions import db
from tests.factories import make_item


def tender_form(**overrides):
    data = {
        "title": "Asfaltonderhoud met MKI als gunningscriterium", "summary": "BPKV met fictieve korting.",
        "body": "## Aanpak\n\nWe gunden op **MKI**.", "organisation": "gemeente-utrecht", "themes": ["circulair", "klimaat"],
        "product_groups": ["asfalt-en-wegverharding"], "tags": "MKI, Asfalt ,mki", "year": "2023",
        "status": "published", "visibility": "public", "cpv_codes": "45233220", "procedure": "openbare-procedure",
        "award_method": "bpkv", "value_min": "1200000", "value_max": "1500000", "tender_status": "gegund",
        "mvi-0-theme": "circulair", "mvi-0-instrument": "aanmoedigen", "mvi-0-ambition_level": "ambitieus", "mvi-0-weight_percent": "30",
        "bids-0-bidder": "Inschrijver A", "bids-0-price_eur": "1350000", "bids-0-mki_eur": "210000", "bids-0-winner": "y",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_member_publishes_a_tender_for_their_organisation(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.post("/aanbestedingen/nieuw", data=tender_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = db.session.scalar(select(Item).where(Item.kind == "tender"))
    assert item.organisation_id == world.utrecht.id and item.author_id == world.utrecht_member.id
    assert [t.name for t in item.tags] == ["asfalt", "mki"]
    assert (
        item.value_min == 1200000 and item.mvi[0]["weight_percent"] == 30 and item.bids[0]["winner"]
    )
    assert "<h3>Aanpak</h3>" in item.body_html and len(item.revisions) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Asfaltonderhoud met MKI" in page and "Inschrijver A" in page
    assert "Asfaltonderhoud met MKI" in client.get("/aanbestedingen/?thema=circulair").get_data(
        as_text=True
    )
    assert "Asfaltonderhoud met MKI" not in client.get(
        "/aanbestedingen/?thema=social-return"
    ).get_data(as_text=True)


def test_member_cannot_publish_for_another_organisation(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.post(
        "/aanbestedingen/nieuw", data=tender_form(organisation="gemeente-heumen")
    )
    assert response.status_code == 400  # not one of the choices offered
    assert db.session.query(Item).count() == 0


def test_outsider_without_organisation_may_not_create(client, world, as_user):
    as_user(world.outsider)
    assert client.get("/aanbestedingen/nieuw").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "x" * 201}, "hoogstens 200"),
        ({"cpv_codes": "4523"}, "geen geldige CPV-code"),
        ({"value_min": "-5"}, "moet tussen"),
        ({"value_min": "900000000000"}, "moet tussen"),
        ({"value_min": "2000000", "value_max": "1000000"}, "lager dan de ondergrens"),
        ({"year": "1850"}, "Vul een jaar in tussen"),
        ({"tender_url": "javascript:alert(1)"}, "https://"),
    ],
)
def test_bad_tender_input_is_refused_and_nothing_is_saved(
    client, world, as_user, overrides, message
):
    as_user(world.utrecht_member)
    response = client.post("/aanbestedingen/nieuw", data=tender_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Item).count() == 0


def test_markdown_is_sanitised_on_write(client, world, as_user):
    as_user(world.utrecht_member)
    body = '<script>alert(1)</script><iframe src="x"></iframe>[klik](javascript:alert(1)) <img src=x onerror=alert(1)>'
    client.post("/aanbestedingen/nieuw", data=tender_form(body=body))
    html = db.session.scalar(select(Item)).body_html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never run
    for bad in ("<script", "<iframe", 'href="javascript', "<img"):
        assert bad not in html


def test_edit_permissions_both_ways(client, world, as_user):
    item = make_item("criterion", world.utrecht, author=world.utrecht_member)
    data = {
        "title": "Nieuwe titel",
        "organisation": "gemeente-utrecht",
        "status": "published",
        "visibility": "public",
        "clause_text": "Eis.",
    }
    for user, allowed in [(world.utrecht_editor, True), (world.utrecht_member, True), (world.moderator, True),
                          (world.heumen_admin, False), (world.outsider, False)]:  # fmt: skip
        as_user(user)
        status = client.post(f"/criteria/{item.slug}/bewerken", data=data).status_code
        assert (status == 302) is allowed, (user.email, status)
        client.post("/uitloggen")


def test_edit_keeps_a_revision_with_a_diff(client, world, as_user):
    item = make_item("criterion", world.utrecht, author=world.utrecht_member, title="Eerste titel")
    as_user(world.utrecht_editor)
    data = {
        "title": "Tweede titel",
        "organisation": "gemeente-utrecht",
        "status": "published",
        "visibility": "public",
        "clause_text": "Nieuwe eistekst.",
    }
    assert client.post(f"/criteria/{item.slug}/bewerken", data=data).status_code == 302
    revisions = db.session.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
    ).all()
    assert [r.number for r in revisions] == [1, 2] and revisions[1].editor_name == "Joris Hendriks"
    page = client.get(f"/criteria/{item.slug}/versies").get_data(as_text=True)
    assert (
        "Titel: Tweede titel" in page and "Titel: Eerste titel" in page and "Joris Hendriks" in page
    )
    assert db.session.get(Item, item.id).slug == item.slug


def test_members_only_and_draft_items_are_invisible_everywhere(client, world, as_user):
    hidden = make_item("tender", world.utrecht, visibility="members", title="Geheime aanbesteding")
    draft = make_item("tender", world.utrecht, status="draft", title="Conceptaanbesteding")
    public = make_item("criterion", world.utrecht, title="Openbaar criterium")
    from portal.content import services
    from portal.permissions import SYSTEM

    services.link_items(public, hidden, actor=SYSTEM)
    db.session.commit()
    listing = client.get("/aanbestedingen/").get_data(as_text=True)
    assert (
        "Geheime aanbesteding" not in listing
        and "Conceptaanbesteding" not in listing
        and "0 items" in listing
    )
    assert client.get(f"/aanbestedingen/{hidden.slug}").status_code == 404
    assert client.get(f"/aanbestedingen/{draft.slug}").status_code == 404
    assert "Geheime aanbesteding" not in client.get(f"/criteria/{public.slug}").get_data(
        as_text=True
    )
    as_user(world.outsider)  # verified, but no approved membership: not a member yet
    assert client.get(f"/aanbestedingen/{hidden.slug}").status_code == 404
    client.post("/uitloggen")
    as_user(world.heumen_admin)
    assert client.get(f"/aanbestedingen/{hidden.slug}").status_code == 200
    assert "Geheime aanbesteding" in client.get(f"/criteria/{public.slug}").get_data(as_text=True)
    assert client.get(f"/aanbestedingen/{draft.slug}").status_code == 404


def test_group_item_only_for_group_members(client, world, as_user):
    item = make_item(
        "lesson",
        world.heumen,
        visibility="group",
        group="kleine-gemeenten-samen",
        title="Groepsles",
    )
    as_user(world.outsider)
    assert client.get(f"/lessen/{item.slug}").status_code == 404
    assert "Groepsles" not in client.get("/lessen/").get_data(as_text=True)
    client.post("/uitloggen")
    as_user(world.heumen_admin)
    assert client.get(f"/lessen/{item.slug}").status_code == 200


def test_links_show_both_ways_and_wrong_kinds_are_refused(client, world, as_user):
    tender = make_item("tender", world.utrecht, title="Catering met eiwittransitie")
    criterion = make_item("criterion", world.utrecht, title="Minder vlees criterium")
    as_user(world.utrecht_editor)
    assert (
        client.post(
            f"/criteria/{criterion.slug}/koppelen",
            data={"target": f"/aanbestedingen/{tender.slug}"},
        ).status_code
        == 302
    )
    link = db.session.scalar(select(ItemLink))
    assert link.relation == "used_in"
    assert "Minder vlees criterium" in client.get(f"/aanbestedingen/{tender.slug}").get_data(
        as_text=True
    )
    other = make_item("criterion", world.utrecht)
    response = client.post(
        f"/criteria/{criterion.slug}/koppelen", data={"target": other.slug}, follow_redirects=True
    )
    assert "kan niet aan elkaar worden gekoppeld" in response.get_data(as_text=True)
    assert db.session.query(ItemLink).count() == 1


def _pdf() -> bytes:
    from tests.test_files import make_pdf  # the attachment tests build a real text PDF

    return make_pdf("Gunning op MKI asfalt")


def test_attachment_upload_download_and_refusals(app, client, world, as_user):
    item = make_item("tender", world.utrecht, visibility="members")
    as_user(world.utrecht_editor)
    response = client.post(
        f"/aanbestedingen/{item.slug}/bijlagen",
        data={"file": (io.BytesIO(_pdf()), "bestek.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert (
        attachment.file_kind == "pdf"
        and "MKI" in attachment.text
        and attachment.stored_name != "bestek.pdf"
    )
    download = client.get(f"/bijlagen/{attachment.id}/bestek.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert (
        "attachment" in download.headers["Content-Disposition"]
        and "bestek.pdf" in download.headers["Content-Disposition"]
    )
    assert download.get_data()[:5] == b"%PDF-"
    download.close()
    for data, name, status in [
        (b"MZ\x90\x00" + b"\x00" * 100, "factuur.pdf", 303),
        (_pdf(), "../../etc/passwd.pdf", 303),
    ]:
        response = client.post(
            f"/aanbestedingen/{item.slug}/bijlagen",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == status
    assert db.session.query(Attachment).count() == 1
    assert len(list(app.config["UPLOAD_DIR"].iterdir())) == 1
    client.post("/uitloggen")
    assert (
        client.get(f"/bijlagen/{attachment.id}/bestek.pdf").status_code == 404
    )  # visitor: members-only item


def test_useful_once_per_member_and_bookmarks(client, world, as_user):
    item = make_item("lesson", world.utrecht)
    as_user(world.outsider)
    client.post(f"/lessen/{item.slug}/nuttig")
    assert db.session.get(Item, item.id).useful_count == 1
    client.post(f"/lessen/{item.slug}/nuttig")  # second click takes it back
    assert db.session.get(Item, item.id).useful_count == 0
    assert client.post(f"/lessen/{item.slug}/bewaren").status_code == 302
    client.post("/uitloggen")
    assert client.post(f"/lessen/{item.slug}/nuttig").status_code == 302  # to the login page
    assert db.session.get(Item, item.id).useful_count == 0


def test_basket_downloads_docx_and_markdown(client, world, as_user):
    criterion = make_item("criterion", world.utrecht, title="MKI-criterium asfalt")
    as_user(world.outsider)
    client.post(f"/criteria/{criterion.slug}/mandje")
    docx = client.get("/mandje.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert (
        "MKI-berekening"
        in zipfile.ZipFile(io.BytesIO(docx.data)).read("word/document.xml").decode()
    )
    markdown = client.get("/mandje.md").get_data(as_text=True)
    assert "## MKI-criterium asfalt" in markdown


def test_view_counter_counts_without_personal_data(client, world):
    item = make_item("lesson", world.utrecht)
    client.get(f"/lessen/{item.slug}")
    client.get(f"/lessen/{item.slug}")
    db.session.expire_all()  # the views are written in a transaction of their own
    assert db.session.get(Item, item.id).view_count == 2


def test_edit_form_keeps_the_mvi_rows(client, world, as_user):
    item = make_item(
        "tender",
        world.utrecht,
        fields={"mvi": [{"theme": "circulair", "instrument": "aanmoedigen", "weight_percent": 30}]},
    )
    as_user(world.utrecht_editor)
    page = client.get(f"/aanbestedingen/{item.slug}/bewerken").get_data(as_text=True)
    assert (
        '<option selected value="circulair">' in page
        or '<option value="circulair" selected>' in page
    )


def test_account_lists_own_drafts_and_bookmarks(client, world, as_user):
    draft = make_item(
        "lesson",
        world.utrecht,
        author=world.utrecht_member,
        status="draft",
        title="Mijn conceptles",
    )
    kept = make_item("tender", world.heumen, title="Bewaarde aanbesteding")
    as_user(world.utrecht_member)
    client.post(f"/aanbestedingen/{kept.slug}/bewaren")
    page = client.get("/account").get_data(as_text=True)
    assert draft.title in page and "Bewaarde aanbesteding" in page


def test_mki_gain_of_the_winner(world):
    bids = [
        {"bidder": "A", "mki_eur": 200000, "winner": True},
        {"bidder": "B", "mki_eur": 260000},
        {"bidder": "C", "mki_eur": 240000},
    ]
    tender = make_item("tender", world.utrecht, fields={"bids": bids})
    assert tender.mki_gain == {"eur": 50000, "percent": 20}


def _versions_link(page: str) -> int | None:
    """The number in the item page's "n versies" link, or None without a link."""
    found = re.search(r'href="[^"]+/versies">(\d+) versies?</a>', page)
    return int(found.group(1)) if found else None


def test_revisions_show_labels_and_readable_values_in_dutch_and_english(client, world, as_user):
    as_user(world.utrecht_member)
    assert client.post("/aanbestedingen/nieuw", data=tender_form()).status_code == 302
    item = db.session.scalar(select(Item))
    edited = tender_form(**{"value_min": "1300000", "mvi-0-instrument": "voorschrijven",
                            "themes": ["klimaat"], "bids-0-winner": ""})  # fmt: skip
    assert client.post(f"/aanbestedingen/{item.slug}/bewerken", data=edited).status_code == 302
    page = client.get(f"/aanbestedingen/{item.slug}/versies").get_data(as_text=True)
    for shown in ("Titel: Asfaltonderhoud met MKI als gunningscriterium",
                  "Thema&#39;s: Klimaat, Circulair", "Thema&#39;s: Klimaat",
                  "Productgroepen: Asfalt en wegverharding", "Procedure: Openbare procedure",
                  "Geraamde waarde vanaf (EUR): € 1.200.000",
                  "Geraamde waarde vanaf (EUR): € 1.300.000", "Gunningsmethode: Beste prijs",
                  "Status van de aanbesteding: Gegund", "Wie mag dit zien: Iedereen",
                  "Thema: Circulair; Instrument: Aanmoedigen",
                  "Inschrijver: Inschrijver A; Prijs (EUR): € 1.350.000; MKI (EUR): € 210.000; Winnaar: ja",
                  "Tags: asfalt, mki", "Jaar: 2023"):  # fmt: skip
        assert shown in page, shown
    diffs = "".join(re.findall(r'<ul class="diff">.*?</ul>', page, re.S))
    for raw in ("value_min", "award_method", "product_groups", "title:", '[&#34;', "{&#34;",
                '["', '{"', "circulair", "openbare-procedure", "true", "null"):  # fmt: skip
        assert raw not in diffs, raw
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get(f"/aanbestedingen/{item.slug}/versies").get_data(as_text=True)
    for shown in ("Title: Asfaltonderhoud", "Themes: Klimaat, Circulair", "Procedure: Openbare",
                  "Estimated value from (EUR): € 1,300,000", "Winner: yes", "Status: Published"):  # fmt: skip
        assert shown in page, shown
    assert "Titel:" not in page and "Thema&#39;s:" not in page


def test_versions_link_and_page_agree_for_visitor_member_and_editor(client, world, as_user):
    from portal.content import services

    item = make_item("criterion", world.utrecht, title="Eerste versie", status="draft",
                     fields={"clause_text": "Geheime concepttekst."})  # fmt: skip
    services.update_item(item, services.ItemData(
        title="Gepubliceerde versie", summary="", body="", themes=["circulair"], product_groups=[],
        year=2022, status="published", visibility="public",
        fields={"clause_text": "Openbare eistekst.", "criterion_kind": "gunningscriterium"},
    ), actor=world.utrecht_editor)  # fmt: skip
    members_only = make_item("lesson", world.utrecht, title="Ledenles", visibility="members")
    db.session.commit()
    expected = {None: 1, "utrecht_member": 1, "outsider": 1, "utrecht_editor": 2, "moderator": 2}
    for who, versions in expected.items():
        client.post("/uitloggen")
        if who:
            as_user(getattr(world, who))
        page = client.get(f"/criteria/{item.slug}").get_data(as_text=True)
        history = client.get(f"/criteria/{item.slug}/versies")
        text = history.get_data(as_text=True)
        assert _versions_link(page) == versions, who  # the link counts what the page shows
        assert history.status_code == 200 and text.count('class="card section"') == versions, who
        assert "Openbare eistekst." in text and "Soort: Gunningscriterium" in text, who
        # A draft version's text, and how the item is published, only for those who may edit it.
        assert ("Geheime concepttekst." in text) is (versions == 2), who
        assert ("Wie mag dit zien: Iedereen" in text) is (versions == 2), who
        assert ("Joris Hendriks" in text) is (who is not None), who  # names: members only
        lesson = client.get(f"/lessen/{members_only.slug}")
        lesson_history = client.get(f"/lessen/{members_only.slug}/versies")
        readable = who in ("utrecht_member", "utrecht_editor", "moderator")
        assert lesson.status_code == lesson_history.status_code == (200 if readable else 404), who
        if readable:
            assert _versions_link(lesson.get_data(as_text=True)) == 1, who
    client.post("/uitloggen")
    assert client.get(f"/criteria/{item.slug}/versies?pagina=x").status_code == 200
    assert client.get("/criteria/bestaat-niet/versies").status_code == 404


def test_every_field_of_every_kind_has_a_label_in_the_history(client, world):
    """No kind shows a raw field key: each snapshot field has a label from its form or spec."""
    from portal.content.history import SHARED_LABELS, FieldsOf
    from portal.content.kinds import kinds
    from portal.content.services import snapshot
    from portal.questions import services as qa
    from tests.test_events import make_event

    items = [make_item(kind, world.utrecht) for kind in ("tender", "criterion", "consultation",
                                                         "lesson", "plan")]  # fmt: skip
    items.append(make_event(world.utrecht))
    items.append(qa.ask_question(qa.QuestionData(title="Een vraag over MKI?", body="."),
                                 actor=world.utrecht_member))  # fmt: skip
    assert {item.kind for item in items} == set(kinds())
    with client.application.test_request_context():
        for item in items:
            fields = FieldsOf(kinds()[item.kind], {})
            taken = snapshot(item)
            for name in [*taken, *taken["fields"]]:
                if name != "fields":
                    assert fields.label(name) != name, (item.kind, name)
            assert set(taken) - {"fields"} <= set(SHARED_LABELS)
