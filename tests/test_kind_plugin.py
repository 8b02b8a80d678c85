"""A kind is a plug-in: one registered here, inside the test package, is listed, shown,
searchable, faceted and editable through the shared machinery, with nothing in portal/content/
naming it."""

from __future__ import annotations

from collections import defaultdict

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select
from wtforms import StringField

from portal import create_app
from portal.content.forms import ItemForm
from portal.content.kinds import KindSpec, ListFilter, kinds, register_kind, unregister_kind
from portal.content.models import Item
from portal.content.validation import text
from portal.extensions import db, id_among
from portal.forms import max_length, required
from tests.conftest import login

# The kind's own table lives outside the app's metadata (the migrations know nothing of it):
# the test creates it and drops it again.
NOTE_METADATA = MetaData()
note_table = Table(
    "test_notes",
    NOTE_METADATA,
    Column("id", Integer, ForeignKey(Item.__table__.c.id, ondelete="CASCADE"), primary_key=True),
    Column("source", String(200), nullable=False, default=""),
)


class Note(Item):
    __table__ = note_table
    __mapper_args__ = {
        "polymorphic_identity": "note",
        "inherit_condition": note_table.c.id == Item.id,
    }

    def kind_fields(self) -> dict:
        return {"source": self.source}


class NoteForm(ItemForm):
    source = StringField(_l("Bron"), validators=[required(), max_length(200)])


def apply_note_fields(item: Note, fields: dict) -> None:
    item.source = text(fields, "source", "de bron", 200, required=True)


def note_facets(ids: list[int]) -> dict[int, dict[str, frozenset[str]]]:
    found: dict[int, dict[str, frozenset[str]]] = defaultdict(dict)
    for note_id, source in db.session.execute(
        select(Note.id, Note.source).where(id_among(Note.id, ids))
    ):
        found[note_id]["instrument"] = frozenset({source.lower().split()[0]})
    return found


NOTE = KindSpec(
    key="note",
    url="notities",
    model=Note,
    label=_l("Notitie"),
    plural=_l("Notities"),
    intro=_l("Korte notities uit de praktijk."),
    badge=_l("Notitie"),
    apply_fields=apply_note_fields,
    form=NoteForm,
    list_filters=(
        ListFilter(
            "bron",
            "Bron",
            "Alle bronnen",
            lambda: [("pianoo", "PIANOo")],
            lambda value: Note.source.ilike(f"{value}%"),
        ),
    ),
    text_fields=("source",),
    facet_values=note_facets,
    links={"tender": "about"},
)


@pytest.fixture
def note_app(app):
    """An app built with the note kind registered, on the test database, plus the note table."""
    register_kind(NOTE)
    note_app = create_app({**app.config, "SERVER_NAME": None})
    NOTE_METADATA.create_all(db.engine)
    try:
        with note_app.app_context():
            yield note_app
            db.session.remove()
            db.engine.dispose()  # its own engine: close its pooled connections now, not when collected
    finally:
        with db.engine.begin() as connection:
            connection.execute(Item.__table__.delete().where(Item.kind == "note"))
        NOTE_METADATA.drop_all(db.engine)
        unregister_kind("note")


def test_a_kind_registered_from_the_tests_is_listed_searchable_faceted_and_editable(
    note_app, world
):
    assert "note" in kinds()
    client = note_app.test_client()
    assert login(client, world.utrecht_member.email).status_code == 302

    form = client.get("/notities/nieuw")
    assert form.status_code == 200 and 'name="source"' in form.get_data(as_text=True)
    # The kind's own validation, in Dutch, and nothing written.
    refused = client.post(
        "/notities/nieuw",
        data={"title": "Zonder bron", "organisation": "gemeente-utrecht", "status": "published",
              "visibility": "public"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert db.session.scalar(select(Note.id)) is None

    created = client.post(
        "/notities/nieuw",
        data={"title": "Houtbouw vraagt vroege marktconsultatie", "summary": "Begin op tijd.",
              "organisation": "gemeente-utrecht", "themes": ["circulair"], "status": "published",
              "visibility": "public", "source": "PIANOo handreiking houtbouw"},
    )  # fmt: skip
    assert created.status_code == 302, created.get_data(as_text=True)[:1000]
    note = db.session.scalar(select(Note))
    assert (
        note.source == "PIANOo handreiking houtbouw"
        and note.organisation.slug == "gemeente-utrecht"
    )

    # Listed, with its own filter; shown with its badge.
    listing = client.get("/notities/?bron=pianoo").get_data(as_text=True)
    assert "Houtbouw vraagt vroege marktconsultatie" in listing and "Alle bronnen" in listing
    assert "Houtbouw" not in client.get("/notities/?bron=anders").get_data(as_text=True)
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Houtbouw vraagt vroege marktconsultatie" in page and "Notitie" in page

    # Searchable by its own field's text, and faceted by kind and by its own facet value.
    found = client.get("/api/search?q=handreiking").get_json()
    assert [r["title"] for r in found["items"]] == ["Houtbouw vraagt vroege marktconsultatie"]
    assert found["items"][0]["kind"] == "note"
    assert {"value": "note", "label": "Notities", "count": 1} in found["facets"]["soort"]
    assert {"value": "pianoo", "label": "pianoo", "count": 1} in found["facets"]["instrument"]
    assert client.get("/api/search?q=handreiking&soort=tender").get_json()["items"] == []
    assert len(client.get("/api/search?q=handreiking&soort=note").get_json()["items"]) == 1

    # Editable: the kind's field is filled in, a change is saved as a revision.
    edit_path = created.headers["Location"] + "/bewerken"
    assert "PIANOo handreiking houtbouw" in client.get(edit_path).get_data(as_text=True)
    edited = client.post(
        edit_path,
        data={"title": note.title, "summary": "Begin op tijd.", "organisation": "gemeente-utrecht",
              "themes": ["circulair"], "status": "published", "visibility": "public",
              "source": "PIANOo handreiking houtbouw 2026"},
    )  # fmt: skip
    assert edited.status_code == 302
    db.session.expire_all()
    note = db.session.scalar(select(Note))
    assert note.source.endswith("2026") and len(note.revisions) == 2
    assert client.get("/api/search?q=2026").get_json()["items"][0]["title"] == note.title


def test_the_shared_packages_never_name_a_kind():
    """content/ imports no kind package; its templates branch on no kind's key."""
    from pathlib import Path

    from portal import KIND_PACKAGES

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted((root / "portal" / "content").rglob("*.py")):
        source = path.read_text()
        offenders += [f"{path.name}: portal.{p}" for p in KIND_PACKAGES if f"portal.{p}" in source]
    for path in sorted((root / "templates" / "content").glob("*.html")):
        source = path.read_text()
        offenders += [
            f"{path.name}: {needle}"
            for needle in ("spec.key ==", "spec.key in", "item.kind ==", "item.kind !=", ".kind ==")
            if needle in source
        ]
    assert offenders == []
