"""Working-group writes: create, edit, join (or ask to), approve, appoint admins, leave."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.common import ServiceError, clean_text, ensure_another_admin, slugify, utcnow
from portal.extensions import db
from portal.groups.models import GROUP_ROLES, GroupMembership, WorkingGroup
from portal.mail import send_mail
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


@authorized_by(can_join_group)
def join_group(group: WorkingGroup, *, actor: Actor) -> GroupMembership:
    """Join an open group at once; for a closed group, ask its admins for approval."""
    status = "pending" if group.is_closed else "approved"
    membership = GroupMembership(
        user=actor, group=group, role="member", status=status,
        decided_at=None if group.is_closed else utcnow(),
    )  # fmt: skip
    db.session.add(membership)
    db.session.flush()
    if group.is_closed:
        for admin in (m.user for m in group.memberships if m.is_approved and m.role == "admin"):
            send_mail(
                admin.email,
                _("Verzoek om lid te worden van %(group)s", group=group.name),
                _(
                    "%(name)s wil lid worden van de werkgroep %(group)s. Beoordeel het verzoek "
                    "op de ledenpagina van de werkgroep.",
                    name=actor.name,
                    group=group.name,
                ),
            )
    return membership


@authorized_by(can_decide_group_membership)
def decide_group_membership(membership: GroupMembership, *, approve: bool, actor: Actor) -> None:
    if membership.is_approved:
        raise ServiceError(_("Dit lidmaatschap is al goedgekeurd."), status=409)
    group, user = membership.group, membership.user
    if approve:
        membership.status = "approved"
        membership.decided_at = utcnow()
        body = _("U bent toegelaten tot de werkgroep %(group)s.", group=group.name)
    else:
        db.session.delete(membership)
        body = _(
            "Uw verzoek om lid te worden van de werkgroep %(group)s is niet goedgekeurd.",
            group=group.name,
        )
    db.session.flush()
    send_mail(user.email, _("Werkgroep %(group)s", group=group.name), body)


def _ensure_another_admin(membership) -> None:
    ensure_another_admin(
        membership,
        membership.group.memberships,
        _("Een werkgroep houdt minstens één beheerder. Benoem eerst een andere beheerder."),
    )


@authorized_by(can_decide_group_membership)
def set_group_role(membership: GroupMembership, role: str, *, actor: Actor) -> None:
    """Appoint a member as co-admin, or make an admin a plain member again."""
    if role not in GROUP_ROLES:
        raise ServiceError(_("Onbekende rol."), field="role")
    if not membership.is_approved:
        raise ServiceError(_("Keur het lidmaatschap eerst goed."), status=409)
    if role != "admin":
        _ensure_another_admin(membership)
    membership.role = role
    db.session.flush()


@authorized_by(can_decide_group_membership)
def remove_group_member(membership: GroupMembership, *, actor: Actor) -> None:
    _ensure_another_admin(membership)
    db.session.delete(membership)
    db.session.flush()


@authorized_by(can_leave_group)
def leave_group(membership: GroupMembership, *, actor: Actor) -> None:
    _ensure_another_admin(membership)
    db.session.delete(membership)
    db.session.flush()


@authorized_by(can_manage_group)
def add_group_member(
    group: WorkingGroup, user: User, role: str = "member", *, actor: Actor
) -> GroupMembership:
    """Add an approved member directly (group admins inviting a colleague, or the demo data)."""
    if role not in GROUP_ROLES:
        raise ServiceError(_("Onbekende rol."), field="role")
    if any(m.user_id == user.id for m in group.memberships):
        raise ServiceError(
            _("%(name)s is al lid of heeft al een verzoek gedaan.", name=user.name), status=409
        )
    membership = GroupMembership(
        user=user, group=group, role=role, status="approved", decided_at=utcnow()
    )
    db.session.add(membership)
    db.session.flush()
    return membership
