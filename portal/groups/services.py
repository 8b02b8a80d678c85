"""Working-group writes: create, edit, join (or ask to), approve, appoint admins, leave."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.common import clean_text, slugify, utcnow
from portal.extensions import db
from portal.groups.models import GROUP_ROLES, GroupMembership, WorkingGroup
from portal.memberships import services as memberships
from portal.permissions import (
    Actor,
    authorized_by,
    can_create_group,
    can_decide_group_membership,
    can_join_group,
    can_leave_group,
    can_manage_group,
)
from portal.regions.models import Region


@dataclass
class GroupData:
    name: str
    description: str = ""
    is_closed: bool = False
    regions: list[Region] = field(default_factory=list)


def _apply(group: WorkingGroup, data: GroupData) -> None:
    group.name = clean_text(
        data.name, limit=150, field="name", label=_("de naam"), required=True, single_line=True
    )
    group.description = clean_text(
        data.description, limit=2000, field="description", label=_("de beschrijving")
    )
    group.is_closed = bool(data.is_closed)
    group.regions = list(data.regions)


@authorized_by(can_create_group)
def create_group(data: GroupData, *, actor: Actor, slug: str | None = None) -> WorkingGroup:
    """Create a working group; its creator (a person, not the system) becomes its first admin."""
    base = slug or slugify(data.name)
    slug, n = base, 2
    while db.session.scalar(select(WorkingGroup.id).where(WorkingGroup.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    group = WorkingGroup(slug=slug)
    _apply(group, data)
    db.session.add(group)
    if isinstance(actor, User):
        group.memberships.append(
            GroupMembership(user=actor, role="admin", status="approved", decided_at=utcnow())
        )
    db.session.flush()
    return group


@authorized_by(can_manage_group)
def update_group(group: WorkingGroup, data: GroupData, *, actor: Actor) -> None:
    _apply(group, data)
    db.session.flush()


LAST_ADMIN = _l("Een werkgroep houdt minstens één beheerder. Benoem eerst een andere beheerder.")


@authorized_by(can_join_group)
def join_group(group: WorkingGroup, *, actor: Actor) -> GroupMembership:
    """Join an open group at once; for a closed group, ask its admins for approval."""
    ask = memberships.Mail(
        _l("Verzoek om lid te worden van %(group)s", group=group.name),
        _l(
            "%(name)s wil lid worden van de werkgroep %(group)s. Beoordeel het verzoek "
            "op de ledenpagina van de werkgroep.",
            name=actor.name,
            group=group.name,
        ),
    )
    status = "pending" if group.is_closed else "approved"
    membership = GroupMembership(
        user=actor, group=group, role="member", status=status,
        decided_at=None if group.is_closed else utcnow(),
    )  # fmt: skip
    return memberships.open_membership(membership, tell_admins=ask if group.is_closed else None)


@authorized_by(can_decide_group_membership)
def decide_group_membership(membership: GroupMembership, *, approve: bool, actor: Actor) -> None:
    group = membership.group.name
    subject = _l("Werkgroep %(group)s", group=group)
    memberships.decide(
        membership, approve=approve, actor=actor,
        approved=memberships.Mail(
            subject, _l("U bent toegelaten tot de werkgroep %(group)s.", group=group)
        ),
        refused=memberships.Mail(
            subject,
            _l("Uw verzoek om lid te worden van de werkgroep %(group)s is niet goedgekeurd.",
              group=group),
        ),
    )  # fmt: skip


@authorized_by(can_decide_group_membership)
def set_group_role(membership: GroupMembership, role: str, *, actor: Actor) -> None:
    """Appoint a member as co-admin, or make an admin a plain member again."""
    memberships.set_role(membership, role, GROUP_ROLES, str(LAST_ADMIN))


@authorized_by(can_decide_group_membership)
def remove_group_member(membership: GroupMembership, *, actor: Actor) -> None:
    memberships.end(membership, str(LAST_ADMIN))


@authorized_by(can_leave_group)
def leave_group(membership: GroupMembership, *, actor: Actor) -> None:
    memberships.end(membership, str(LAST_ADMIN))


@authorized_by(can_manage_group)
def add_group_member(
    group: WorkingGroup, user: User, role: str = "member", *, actor: Actor
) -> GroupMembership:
    """Add an approved member directly (group admins inviting a colleague, or the demo data)."""
    memberships.refuse_unknown_role_or_member(role, GROUP_ROLES, user, group.memberships)
    membership = GroupMembership(
        user=user, group=group, role=role, status="approved", decided_at=utcnow()
    )
    db.session.add(membership)
    db.session.flush()
    return membership
