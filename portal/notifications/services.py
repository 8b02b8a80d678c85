"""Member actions on follows and notifications. Services flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.common import ServiceError, utcnow
from portal.extensions import db
from portal.notifications.models import (
    FOLLOW_TARGETS,
    FREQUENCIES,
    Follow,
    Notification,
    follow_models,
)
from portal.permissions import (
    Actor,
    authorized_by,
    can_change_notification_settings,
    can_follow,
    can_read_notification,
    can_view_item,
)


def _check_target(target_type: str, target_id: int) -> None:
    if target_type not in FOLLOW_TARGETS or not isinstance(target_id, int) or target_id < 1:
        raise ServiceError(_("Dit kunt u niet volgen."), status=400)


@authorized_by(can_follow)
def follow(target_type: str, target_id: int, *, actor: Actor) -> bool:
    """Follow a theme, product group, organisation, region, group or item; False if already."""
    _check_target(target_type, target_id)
    model, _page = follow_models()[target_type]
    target = db.session.get(model, target_id)
    if target is None or (target_type == "item" and not can_view_item(actor, target)):
        raise ServiceError(_("Dit kunt u niet volgen."), status=404)
    if _follow_id(actor, target_type, target_id) is not None:
        return False
    try:
        with db.session.begin_nested():  # a double click: the second meets the unique key
            db.session.add(Follow(user_id=actor.id, target_type=target_type, target_id=target_id))
    except IntegrityError:
        return False  # a simultaneous click followed it first: the same state either way
    return True


def _follow_id(actor: Actor, target_type: str, target_id: int) -> int | None:
    return db.session.scalar(
        select(Follow.id).where(
            Follow.user_id == actor.id,
            Follow.target_type == target_type,
            Follow.target_id == target_id,
        )
    )


@authorized_by(can_follow)
def unfollow(target_type: str, target_id: int, *, actor: Actor) -> None:
    _check_target(target_type, target_id)
    db.session.execute(
        delete(Follow).where(
            Follow.user_id == actor.id,
            Follow.target_type == target_type,
            Follow.target_id == target_id,
        )
    )
    db.session.flush()


@authorized_by(can_read_notification)
def mark_read(notification: Notification, *, actor: Actor) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.flush()


@authorized_by(can_follow)
def mark_all_read(*, actor: Actor) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()
    return result.rowcount or 0


@authorized_by(can_change_notification_settings)
def update_settings(
    account: User, frequency: str, vraagbaak_organisation_ids: set[int], *, actor: Actor
) -> None:
    """E-mail frequency, and for which of the member's organisations they are "vraagbaak"."""
    if frequency not in FREQUENCIES:
        raise ServiceError(_("Kies hoe vaak u e-mail wilt ontvangen."), field="frequency")
    account.notify_email = frequency
    for membership in account.memberships:
        membership.is_vraagbaak = (
            membership.is_approved and membership.organisation_id in vraagbaak_organisation_ids
        )
    db.session.flush()


@authorized_by(can_change_notification_settings)
def unsubscribe(account: User, *, actor: Actor) -> None:
    """Stop all notification e-mail for this account (the notices stay visible in the site)."""
    account.notify_email = "never"
    db.session.flush()
