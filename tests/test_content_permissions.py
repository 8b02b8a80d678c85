"""Every knowledge-item write, allowed and denied, called through the services."""

import pytest

from portal.content import services
from portal.content.kinds import kinds
from portal.content.models import Attachment, Report
from portal.extensions import db
from portal.permissions import PermissionDenied
from portal.seeding import demo_docx
from tests.factories import make_item


def _data(title="Nieuw"):
    return services.ItemData(title=title, status="published", fields={"lesson": "Een les."})


WRITES = {
    "create_item": lambda w, item, actor: services.create_item(w.utrecht, kinds()["lesson"], _data(), actor=actor),
    "create_item_once": lambda w, item, actor: services.create_item_once(w.utrecht, kinds()["lesson"], _data(), actor=actor),
    "update_item": lambda w, item, actor: services.update_item(item, _data("Gewijzigd"), actor=actor),
    "set_status": lambda w, item, actor: services.set_status(item, "archived", actor=actor),
    "link_items": lambda w, item, actor: services.link_items(item, make_item("tender", w.utrecht), actor=actor),
    "add_attachment": lambda w, item, actor: services.add_attachment(item, "les.docx", demo_docx("Les", "Tekst"), actor=actor),
    "toggle_bookmark": lambda w, item, actor: services.toggle_bookmark(item, actor=actor),
    "toggle_useful": lambda w, item, actor: services.toggle_useful(item, actor=actor),
    "set_bookmark": lambda w, item, actor: services.set_bookmark(item, True, actor=actor),
    "set_useful": lambda w, item, actor: services.set_useful(item, True, actor=actor),
    "report_item": lambda w, item, actor: services.report_item(item, "Klopt niet meer.", actor=actor),
}  # fmt: skip
ALLOWED = {
    "create_item": ("utrecht_member", "heumen_admin"),
    "create_item_once": ("utrecht_member", "heumen_admin"),
    "update_item": ("utrecht_editor", "heumen_admin"),
    "set_status": ("moderator", "outsider"),
    "link_items": ("utrecht_admin", "heumen_admin"),
    "add_attachment": ("utrecht_editor", "outsider"),
    "toggle_bookmark": ("outsider", None),
    "toggle_useful": ("heumen_admin", None),
    "set_bookmark": ("outsider", None),
    "set_useful": ("heumen_admin", None),
    "report_item": ("outsider", None),
}  # (allowed actor, denied actor); None: anonymous


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_allowed_and_denied(world, write):
    from flask_login import AnonymousUserMixin

    item = make_item("lesson", world.utrecht, author=world.utrecht_member)
    allowed_name, denied_name = ALLOWED[write]
    denied = AnonymousUserMixin() if denied_name is None else getattr(world, denied_name)
    with pytest.raises(PermissionDenied):
        WRITES[write](world, item, denied)
    db.session.rollback()
    WRITES[write](world, item, getattr(world, allowed_name))
    db.session.commit()


def test_every_content_write_is_covered():
    public = {name for name in dir(services) if hasattr(getattr(services, name), "permission")}
    # Co-ownership answers are tested both ways in test_trust_visibility.py.
    assert public - set(WRITES) <= {
        "unlink_items", "remove_attachment", "record_view", "accept_co_ownership",
        "decline_co_ownership",
    }  # fmt: skip


def test_unlink_and_remove_attachment_both_ways(world):
    item = make_item("criterion", world.utrecht)
    tender = make_item("tender", world.utrecht)
    link = services.link_items(item, tender, actor=world.utrecht_editor)
    attachment = services.add_attachment(
        item, "eis.docx", demo_docx("Eis", "Tekst"), actor=world.utrecht_editor
    )
    db.session.commit()
    for action in (
        lambda a: services.unlink_items(item, link, actor=a),
        lambda a: services.remove_attachment(item, attachment, actor=a),
    ):
        with pytest.raises(PermissionDenied):
            action(world.heumen_admin)
        action(world.utrecht_admin)
    db.session.commit()
    assert item.outgoing_links == [] and db.session.query(Attachment).count() == 0


def test_report_reaches_moderators(world, mailbox):
    item = make_item("lesson", world.utrecht)
    services.report_item(item, "Dit bedrag klopt niet.", actor=world.outsider)
    db.session.commit()
    assert db.session.query(Report).count() == 1
    assert any(
        "To: moderator@portaal.example" in m and "Dit bedrag klopt niet." in m
        for m in mailbox.messages()
    )


def test_oversize_upload_is_refused_and_nothing_is_kept(app, client, world, as_user):
    import io

    item = make_item("tender", world.utrecht)
    as_user(world.utrecht_editor)
    app.config["MAX_ATTACHMENT_BYTES"] = 2000
    try:
        data = demo_docx("Groot", "x" * 50000)
        response = client.post(
            f"/aanbestedingen/{item.slug}/bijlagen",
            data={"file": (io.BytesIO(data), "groot.docx")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
    finally:
        app.config["MAX_ATTACHMENT_BYTES"] = 25 * 1024 * 1024
    assert "groter dan" in response.get_data(as_text=True)
    assert db.session.query(Attachment).count() == 0
    assert list(app.config["UPLOAD_DIR"].glob("*")) == []
