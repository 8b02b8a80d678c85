"""Links made from either side (a tender's page links a peer's criterion), with one permission
rule, and attachments on the create form (a refused file writes nothing)."""

import io

import pytest
from sqlalchemy import func, select

from portal.content import services
from portal.content.models import Attachment, Item, ItemLink
from portal.extensions import db
from portal.permissions import PermissionDenied, can_link_items
from tests.factories import make_item
from tests.test_content import tender_form
from tests.test_files import make_docx


def _links() -> int:
    return db.session.scalar(select(func.count(ItemLink.id)))


def test_a_tender_page_links_a_peer_organisations_criterion(client, world, as_user):
    tender = make_item("tender", world.utrecht, title="Asfalt met MKI")
    criterion = make_item("criterion", world.heumen, title="MKI-eis van Heumen")
    lesson = make_item("lesson", world.heumen, title="Les over MKI")
    as_user(world.utrecht_editor)  # edits the tender, not Heumen's criterion
    response = client.post(
        f"/aanbestedingen/{tender.slug}/koppelen", data={"target": f"/criteria/{criterion.slug}"}
    )
    assert response.status_code == 302
    link = db.session.scalar(select(ItemLink))
    # The direction the kinds imply, though it was made from the tender's side.
    assert (link.source_id, link.target_id, link.relation) == (criterion.id, tender.id, "used_in")
    assert client.post(
        f"/aanbestedingen/{tender.slug}/koppelen", data={"target": lesson.slug}
    ).status_code == 302  # fmt: skip
    page = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert "Gebruikt criterium" in page and "MKI-eis van Heumen" in page
    assert "Geleerde les hierover" in page and "Les over MKI" in page
    # Shown on the criterion's page too, to anyone.
    client.post("/uitloggen")
    criterion_page = client.get(f"/criteria/{criterion.slug}").get_data(as_text=True)
    assert "Gebruikt in" in criterion_page and "Asfalt met MKI" in criterion_page
    # The tender's editor unlinks from the tender's side as well.
    as_user(world.utrecht_editor)
    assert client.post(
        f"/aanbestedingen/{tender.slug}/koppelingen/{link.id}/verwijderen"
    ).status_code == 302  # fmt: skip
    assert _links() == 1


def test_the_criterion_page_links_a_tender_with_the_same_rule(client, world, as_user):
    tender = make_item("tender", world.utrecht)
    criterion = make_item("criterion", world.heumen)
    as_user(world.heumen_admin)  # edits the criterion, sees Utrecht's public tender
    assert client.post(
        f"/criteria/{criterion.slug}/koppelen", data={"target": tender.slug}
    ).status_code == 302  # fmt: skip
    assert _links() == 1
    client.post("/uitloggen")
    # Denied: Heumen's admin may not edit Utrecht's tender, so not link from its page.
    other = make_item("criterion", world.heumen)
    as_user(world.heumen_admin)
    response = client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": other.slug})
    assert response.status_code == 403 and _links() == 1


def test_an_item_the_editor_may_not_see_answers_as_an_unknown_one(client, world, as_user):
    tender = make_item("tender", world.utrecht)
    draft = make_item("criterion", world.heumen, title="Concept van Heumen", status="draft")
    closed = make_item(
        "lesson", world.heumen, title="Groepsles", visibility="group", group=world.closed_group.slug
    )
    as_user(world.utrecht_editor)
    answers = []
    for target in (draft.slug, f"/lessen/{closed.slug}", "bestaat-niet", "/criteria/999999"):
        response = client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": target})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "Dit item bestaat niet." in page
        assert "Concept van Heumen" not in page and "Groepsles" not in page
        answers.append(response.status_code)
    empty = client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": " "})
    assert empty.status_code == 400 and "Vul het adres van het item in." in empty.get_data(
        as_text=True
    )
    assert _links() == 0


def test_linking_twice_or_across_wrong_kinds_is_refused_in_dutch(client, world, as_user):
    tender = make_item("tender", world.utrecht)
    other_tender = make_item("tender", world.heumen)
    criterion = make_item("criterion", world.heumen)
    as_user(world.utrecht_editor)
    client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": criterion.slug})
    twice = client.post(f"/aanbestedingen/{tender.slug}/koppelen", data={"target": criterion.slug})
    assert twice.status_code == 409 and "Deze koppeling bestaat al." in twice.get_data(as_text=True)
    wrong = client.post(
        f"/aanbestedingen/{tender.slug}/koppelen", data={"target": other_tender.slug}
    )
    assert wrong.status_code == 400
    assert "kan niet aan elkaar worden gekoppeld" in wrong.get_data(as_text=True)
    assert _links() == 1


def test_can_link_items_both_ways_and_the_service_enforces_it(world):
    tender = make_item("tender", world.utrecht)
    criterion = make_item("criterion", world.heumen)
    hidden = make_item("criterion", world.heumen, visibility="group", group=world.closed_group.slug)
    assert can_link_items(world.utrecht_editor, tender, criterion)
    assert not can_link_items(world.utrecht_member, tender, criterion)  # may not edit the tender
    assert not can_link_items(world.utrecht_editor, tender, hidden)  # may not see the criterion
    assert can_link_items(world.heumen_admin, criterion, tender)
    with pytest.raises(PermissionDenied):
        services.link_items(tender, hidden, actor=world.utrecht_editor)
    db.session.rollback()
    link = services.link_items(tender, criterion, actor=world.utrecht_editor)
    db.session.commit()
    assert (link.source_id, link.target_id) == (criterion.id, tender.id)


def test_the_link_search_offers_what_the_editor_may_see(client, world, as_user):
    tender = make_item("tender", world.utrecht)
    make_item("criterion", world.heumen, title="Emissieloos bouwmaterieel")
    make_item(
        "criterion", world.heumen, title="Emissieloos in de groep", visibility="group",
        group=world.closed_group.slug,
    )  # fmt: skip
    make_item("tender", world.heumen, title="Emissieloos aanbesteden")  # not linkable to a tender
    as_user(world.utrecht_editor)
    page = client.get(f"/aanbestedingen/{tender.slug}?koppel=emissieloos").get_data(as_text=True)
    assert "Emissieloos bouwmaterieel" in page
    assert "Emissieloos in de groep" not in page and "Emissieloos aanbesteden" not in page
    client.post("/uitloggen")
    as_user(world.utrecht_member)  # may not edit: no search, no form
    page = client.get(f"/aanbestedingen/{tender.slug}?koppel=emissieloos").get_data(as_text=True)
    assert "Emissieloos bouwmaterieel" not in page and "/koppelen" not in page


def _post_with_files(client, files):
    data = tender_form(attachments=[(io.BytesIO(content), name) for name, content in files])
    return client.post("/aanbestedingen/nieuw", data=data, content_type="multipart/form-data")


def test_the_create_form_takes_attachments(app, client, world, as_user):
    as_user(world.utrecht_member)
    response = _post_with_files(client, [("bestek.docx", make_docx()), ("nota.docx", make_docx())])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = db.session.scalar(select(Item))
    assert sorted(a.original_name for a in item.attachments) == ["bestek.docx", "nota.docx"]
    assert len(list(app.config["UPLOAD_DIR"].iterdir())) == 2


@pytest.mark.parametrize(
    "refused, message",
    [
        (("factuur.pdf", b"MZ\x90\x00" + b"\x00" * 100), "PDF"),
        (("../../etc/passwd.docx", make_docx()), "naam"),
        (("leeg.docx", b""), "leeg"),
    ],
)
def test_a_refused_file_on_the_create_form_writes_nothing(
    app, client, world, as_user, refused, message
):
    as_user(world.utrecht_member)
    response = _post_with_files(client, [("bestek.docx", make_docx()), refused])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert db.session.scalar(select(func.count(Item.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert list(app.config["UPLOAD_DIR"].glob("*")) == []


def test_too_many_files_on_the_create_form_are_refused(app, client, world, as_user):
    as_user(world.utrecht_member)
    response = _post_with_files(client, [(f"bijlage{n}.docx", make_docx()) for n in range(6)])
    assert response.status_code == 400
    assert "Voeg hoogstens 5 bijlagen tegelijk toe." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Item.id))) == 0
    assert list(app.config["UPLOAD_DIR"].glob("*")) == []
