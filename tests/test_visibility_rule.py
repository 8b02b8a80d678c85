"""One visibility rule: what a viewer may open (can_view_item) and what every list, search, count
and feed shows them (visible_to) agree."""

from sqlalchemy import select

from portal.content.models import Item
from portal.content.queries import visible_to
from portal.extensions import db
from portal.organisations import services as organisations
from portal.permissions import SYSTEM, can_view_item
from tests.factories import make_item, make_user


def test_editors_outside_the_group_find_the_group_items_they_may_edit(client, world, as_user):
    """The page opened for an editor outside the group, but lists and search left the item out."""
    editor = make_user("redactie@heumen.nl", name="Redacteur buiten de groep")
    member = make_user("lid@heumen.nl", name="Lid buiten de groep")
    organisations.add_member(world.heumen, editor, "editor", actor=SYSTEM)
    organisations.add_member(world.heumen, member, "member", actor=SYSTEM)
    db.session.commit()
    item = make_item("lesson", world.heumen, world.heumen_admin, title="Groepsles over zonne-energie",
                     visibility="group", group=world.closed_group.slug)  # fmt: skip
    for who, finds in ((editor, True), (member, False), (world.utrecht_admin, False)):
        client.post("/uitloggen")
        as_user(who)
        assert (client.get(f"/lessen/{item.slug}").status_code == 200) is finds, who.name
        assert (
            "Groepsles over zonne-energie" in client.get("/lessen/").get_data(as_text=True)
        ) is finds
        listed = item.id in db.session.scalars(select(Item.id).where(*visible_to(who))).all()
        assert listed is finds and can_view_item(who, item) is finds, who.name
