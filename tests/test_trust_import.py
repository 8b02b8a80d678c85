"""Export/import round trips by external id; a title edit moves the slug and the old one redirects."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select

from portal.content import services as content
from portal.content.importer import export_items, import_items
from portal.content.models import Item, ItemLink, Revision, SlugRedirect
from portal.extensions import db
from portal.permissions import SYSTEM
from portal.questions import services as qa
from tests.factories import make_item
from tests.test_events import make_event


def rename(item: Item, title: str, *, actor=SYSTEM) -> None:
    data = content.ItemData(
        **{**content.snapshot(item), "co_owners": list(item.co_owners), "title": title}
    )
    content.update_item(item, data, actor=actor)
    db.session.commit()


def redirects() -> dict[str, int]:
    return dict(db.session.execute(select(SlugRedirect.old_slug, SlugRedirect.item_id)).all())


def test_a_title_edit_in_the_form_moves_the_slug_and_old_links_redirect(client, world, as_user):
    item = make_item("criterion", world.utrecht, author=world.utrecht_member, title="Eerste titel")
    as_user(world.utrecht_editor)
    data = {"title": "Tweede titel", "organisation": "gemeente-utrecht", "status": "published",
            "visibility": "public", "clause_text": "Eis."}  # fmt: skip
    response = client.post("/criteria/eerste-titel/bewerken", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/criteria/tweede-titel"
    )
    assert db.session.get(Item, item.id).slug == "tweede-titel"
    assert redirects() == {"eerste-titel": item.id}
    for page in ("", "/versies", "/bewerken"):
        response = client.get(f"/criteria/eerste-titel{page}?van=nieuwsbrief")
        assert response.status_code == 301, page
        assert response.headers["Location"].endswith(
            f"/criteria/tweede-titel{page}?van=nieuwsbrief"
        )
    response = client.post("/criteria/eerste-titel/bewaren")
    assert response.status_code == 308  # a form post keeps its method and body
    assert response.headers["Location"].endswith("/criteria/tweede-titel/bewaren")
    assert client.get("/aanbestedingen/eerste-titel").status_code == 404  # another kind's URL
    assert client.get("/criteria/nooit-bestaan").status_code == 404


def test_events_and_questions_redirect_their_own_pages(client, world, as_user):
    event = make_event(world.utrecht, title="Bijeenkomst Utrecht")
    rename(event, "Bijeenkomst Utrecht en Amersfoort")
    response = client.get("/bijeenkomsten/bijeenkomst-utrecht.ics")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(
        "/bijeenkomsten/bijeenkomst-utrecht-en-amersfoort.ics"
    )
    assert client.get("/bijeenkomsten/bijeenkomst-utrecht").status_code == 301

    asked = qa.ask_question(qa.QuestionData(title="Social return bij kleine opdrachten?", body="Hoe?"),
                            actor=world.utrecht_member)  # fmt: skip
    db.session.commit()
    rename(asked, "Social return onder de drempel?")
    as_user(world.heumen_admin)
    response = client.post(
        "/vragen/social-return-bij-kleine-opdrachten/antwoorden", data={"body": "Zo."}
    )
    assert response.status_code == 308
    assert response.headers["Location"].endswith(
        "/vragen/social-return-onder-de-drempel/antwoorden"
    )
    assert client.get("/vragen/social-return-bij-kleine-opdrachten").status_code == 301


def test_an_old_slug_of_an_item_the_visitor_may_not_see_is_a_plain_404(client, world, as_user):
    make_item("lesson", world.utrecht, title="Interne les", visibility="members")
    item = db.session.scalar(select(Item))
    rename(item, "Interne les over catering")
    assert client.get("/lessen/interne-les").status_code == 404  # the new slug must not leak
    as_user(world.utrecht_member)
    assert client.get("/lessen/interne-les").status_code == 301


def test_slugs_follow_titles_back_and_are_never_taken_by_another_item(world):
    item = make_item("lesson", world.utrecht, title="Eerste titel")
    rename(item, "Tweede titel")
    rename(item, "Eerste titel")
    assert item.slug == "eerste-titel" and redirects() == {"tweede-titel": item.id}
    other = make_item("lesson", world.utrecht, title="Tweede titel")
    assert other.slug == "tweede-titel-2"  # the redirect keeps pointing at the first item
    content.update_item(
        item, content.ItemData(**{**content.snapshot(item), "summary": "Anders."}), actor=SYSTEM
    )
    db.session.commit()
    assert item.slug == "eerste-titel"  # an edit that keeps the title keeps the slug


def test_exporting_and_importing_again_changes_nothing(world):
    tender = make_item("tender", world.utrecht)  # like the web forms: no external id given
    lesson = make_item("lesson", world.utrecht)
    rename(tender, "Aanbesteding met een nieuwe titel")
    content.link_items(lesson, tender, actor=SYSTEM)
    db.session.commit()
    assert tender.external_id.startswith("mvi-") and lesson.external_id.startswith("mvi-")
    revisions = db.session.scalar(select(func.count(Revision.id)))

    report = import_items(list(export_items()))
    db.session.commit()
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, [])
    assert db.session.scalar(select(func.count(Item.id))) == 2
    assert db.session.scalar(select(func.count(Revision.id))) == revisions


def test_an_export_imported_into_an_empty_site_keeps_external_ids_slugs_and_links(world):
    tender = make_item("tender", world.utrecht, title="Asfalt 2023")
    tender.slug = "asfalt-oude-naam"  # a title edited before slugs followed titles
    lesson = make_item("lesson", world.utrecht)
    content.link_items(lesson, tender, actor=SYSTEM)
    db.session.commit()
    lines = list(export_items())
    wanted = {(i.external_id, i.slug) for i in db.session.scalars(select(Item))}
    db.session.execute(delete(ItemLink))
    db.session.expire_all()
    for item in db.session.scalars(select(Item)).all():
        db.session.delete(item)
    db.session.commit()

    report = import_items(lines)
    db.session.commit()
    assert report.created == 2 and report.links == 1 and report.errors == []
    assert {(i.external_id, i.slug) for i in db.session.scalars(select(Item))} == wanted
    assert db.session.scalar(select(func.count(ItemLink.id))) == 1


def test_an_empty_external_id_gets_a_new_one(world):
    line = {"kind": "lesson", "title": "Les", "organisation": "Gemeente Utrecht",
            "external_id": "", "fields": {"lesson": "Begin vroeg."}}  # fmt: skip
    report = import_items([json.dumps(line)])
    db.session.commit()
    assert report.created == 1 and db.session.scalar(select(Item)).external_id.startswith("mvi-")


@pytest.mark.parametrize("create", [True, False])
def test_import_into_a_database_without_seed_reports_per_line(app, tmp_path, create):
    path = tmp_path / "items.jsonl"
    line = {"kind": "lesson", "title": "Les", "organisation": "Gemeente Nieuwkomer",
            "themes": ["circulair"], "fields": {"lesson": "Begin vroeg."}}  # fmt: skip
    path.write_text(json.dumps(line) + "\n" + json.dumps({**line, "kind": ["x"]}) + "\n")
    args = ["content", "import", str(path), *(["--create-organisations"] if create else [])]
    result = app.test_cli_runner().invoke(args=args)
    # No traceback: a clean exit 1, because lines failed.
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    expected = "organisatietype 'overig' ontbreekt" if create else "onbekende organisatie"
    assert "regel 1: " in result.output and expected in result.output
    assert "regel 2: onbekende soort" in result.output
    assert "0 aangemaakt" in result.output and "2 fouten" in result.output
    assert db.session.scalar(select(func.count(Item.id))) == 0
