"""The steps of the membership workflow: ask to join (the admins are mailed), approve or turn
down (the person is mailed), set a role, remove, leave, add directly, and never lose the last
admin. Each side passes what differs: its membership rows, its roles and its Dutch wording; the
permission checks stay on the services that call these steps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from portal.accounts.models import User
from portal.common import ServiceError, utcnow
from portal.extensions import db
from portal.mail import mail_to


@dataclass(frozen=True)
class Mail:
    """A mail's text as lazy strings (lazy_gettext): made in each recipient's language."""

    subject: Any
    body: Any

    def text(self) -> tuple[str, str]:
        return str(self.subject), str(self.body)


def admins(memberships: Iterable[Any]) -> list[User]:
    """The approved admins among memberships."""
    return [m.user for m in memberships if m.is_approved and m.role == "admin"]


def ensure_another_admin(membership: Any, memberships: Iterable[Any], message: str) -> None:
    """Refuse (409) to demote or remove the last approved admin."""
    others = [m for m in memberships if m is not membership and m.is_approved and m.role == "admin"]
    if membership.is_approved and membership.role == "admin" and not others:
        raise ServiceError(message, status=409)


def open_membership(membership: Any, *, tell_admins: Mail | None) -> Any:
    """Store a new membership; a pending one is announced to the current admins."""
    db.session.add(membership)
    db.session.flush()
    if tell_admins is not None:
        for admin in admins(membership.container.memberships):
            mail_to(admin, tell_admins.text)
    return membership


def decide(membership: Any, *, approve: bool, actor: Any, approved: Mail, refused: Mail) -> None:
    """Approve a pending membership, or turn it down (the request goes); the person is told."""
    if membership.is_approved:
        raise ServiceError(_("Dit lidmaatschap is al goedgekeurd."), status=409)
    user = membership.user
    if approve:
        membership.status = "approved"
        membership.decided_at = utcnow()
        if hasattr(membership, "decided_by"):
            membership.decided_by = actor if isinstance(actor, User) else None
    else:
        db.session.delete(membership)
    db.session.flush()
    told = approved if approve else refused
    mail_to(user, told.text)


def set_role(membership: Any, role: str, roles: tuple[str, ...], last_admin: str) -> None:
    """Give an approved member another role; the last admin stays admin."""
    if role not in roles:
        raise ServiceError(_("Onbekende rol."), field="role")
    if not membership.is_approved:
        raise ServiceError(_("Keur het lidmaatschap eerst goed."), status=409)
    if role != "admin":
        ensure_another_admin(membership, membership.container.memberships, last_admin)
    membership.role = role
    db.session.flush()


def end(membership: Any, last_admin: str) -> None:
    """Remove a member, or let them leave; the last admin cannot go."""
    ensure_another_admin(membership, membership.container.memberships, last_admin)
    db.session.delete(membership)
    db.session.flush()


def refuse_unknown_role_or_member(
    role: str, roles: tuple[str, ...], user: User, memberships: Iterable[Any]
) -> None:
    """Before adding someone directly: a known role, and not already a member or asking."""
    if role not in roles:
        raise ServiceError(_("Onbekende rol."), field="role")
    if any(m.user_id == user.id for m in memberships):
        raise ServiceError(
            _("%(name)s is al lid of heeft al een verzoek gedaan.", name=user.name), status=409
        )
