"""One visibility rule: the SQL form that filters every list (`content.queries.visible_to`) selects
exactly the published, not hidden items that the Python form (`permissions.can_view_item`)
lets the reader open, for every reader x visibility x status x hidden x group x co-owner."""

from __future__ import annotations

import itertools

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from portal import permissions
from portal.common import utcnow
from portal.content.models import STATUSES, VISIBILITIES, Item
from portal.content.queries import visible_to
from portal.extensions import db
from portal.groups import services as groups
from portal.organisations import services as organisations
from portal.permissions import SYSTEM
from tests.factories import make_item, make_user


def _readers(world) -> dict[str, object]:
    """Every kind of reader the rule distinguishes."""
    pending = make_user("wacht@utrecht.nl")
    organisations.request_membership(world.utrecht, actor=pending)
    author = make_user("auteur@utrecht.nl")
    organisations.add_member(world.utrecht, author, "member", actor=SYSTEM)
    group_member = make_user("werkgroep@heumen.nl")
    groups.add_group_member(world.closed_group, group_member, "member", actor=SYSTEM)
    group_pending = make_user("wacht-werkgroep@example.org")
    groups.join_group(world.closed_group, actor=group_pending)
    co_owner_editor = make_user("redactie@heumen.nl")
    organisations.add_member(world.heumen, co_owner_editor, "editor", actor=SYSTEM)
    co_owner_member = make_user("lid@heumen.nl")
    organisations.add_member(world.heumen, co_owner_member, "member", actor=SYSTEM)
    unverified = make_user("nieuw@example.org", verified=False)
    db.session.commit()
    return {
        "visitor": AnonymousUserMixin(), "unverified account": unverified,
        "verified, no organisation": world.outsider, "pending member of the owner": pending,
        "member of the owner": world.utrecht_member, "editor of the owner": world.utrecht_editor,
        "admin of the owner": world.utrecht_admin, "author (a member of the owner)": author,
        "editor of a co-owner": co_owner_editor, "member of a co-owner": co_owner_member,
        "admin of the co-owner, in the group": world.heumen_admin,
        "member of the working group": group_member, "pending member of the working group": group_pending,
        "moderator": world.moderator, "site administrator": world.site_admin,
    }  # fmt: skip


def _items(world, author) -> list[Item]:
    items = []
    for visibility, status, hidden, co_owned in itertools.product(
        VISIBILITIES, STATUSES, (False, True), (False, True)
    ):
        item = make_item(
            "lesson", world.utrecht, status=status, visibility=visibility,
            group=world.closed_group.slug if visibility == "group" else None,
            title=f"{visibility} {status}{' verborgen' if hidden else ''}{' gedeeld' if co_owned else ''}",
        )  # fmt: skip
        item.author_id = author.id  # made by the system: the author need not be in the group
        if hidden:
            item.hidden_at = utcnow()
        if co_owned:
            item.co_owners = [world.heumen]
        items.append(item)
    db.session.commit()
    return items


def test_the_list_rule_and_the_page_rule_agree_on_every_combination(world):
    readers = _readers(world)
    items = _items(world, readers["author (a member of the owner)"])
    mismatches = []
    for name, reader in readers.items():
        listed = set(db.session.scalars(select(Item.id).where(*visible_to(reader))))
        for item in items:
            may_open = permissions.can_view_item(reader, item)
            expected = item.status == "published" and item.hidden_at is None and may_open
            if (item.id in listed) != expected:
                mismatches.append(
                    f"{name} / {item.title}: listed={item.id in listed}, may open={may_open}"
                )
    assert mismatches == [], "\n".join(mismatches)
    # The combinations are real: some items are listed for one reader and not for another.
    assert len(items) == len(VISIBILITIES) * len(STATUSES) * 2 * 2 == 36
    assert len(readers) == 15


def test_what_each_reader_finds_in_lists(world):
    """The rule's outcome, spelt out for the published, visible items."""
    readers = _readers(world)
    items = _items(world, readers["author (a member of the owner)"])
    listable = {i.id: i.title for i in items if i.status == "published" and not i.hidden_at}

    def listed(name: str) -> set[str]:
        ids = db.session.scalars(select(Item.id).where(*visible_to(readers[name])))
        return {listable[i].split()[0] for i in ids if i in listable}

    assert listed("visitor") == listed("unverified account") == {"public"}
    assert (
        listed("verified, no organisation") == listed("pending member of the owner") == {"public"}
    )
    assert listed("member of a co-owner") == {"public", "members"}
    assert listed("member of the owner") == {"public", "members"}
    assert listed("pending member of the working group") == {"public"}
    assert listed("member of the working group") == {"public", "group"}
    for name in ("editor of the owner", "admin of the owner", "editor of a co-owner",
                 "author (a member of the owner)", "moderator", "site administrator",
                 "admin of the co-owner, in the group"):  # fmt: skip
        assert listed(name) == {"public", "members", "group"}, name
    assert (
        db.session.scalar(select(Item.id).where(Item.hidden_at.is_not(None), *visible_to(SYSTEM)))
        is None
    )
