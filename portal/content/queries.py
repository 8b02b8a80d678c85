"""Read queries for knowledge items; the visibility filter mirrors permissions.can_view_item."""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.content.kinds import kinds
from portal.content.models import Item
from portal.extensions import db
from portal.groups.models import GroupMembership
from portal.organisations.models import Membership, Organisation
from portal.permissions import Actor


def visible_to(user: Actor) -> list:
    """SQL conditions for the published, not hidden items user may see: exactly those for which
    `permissions.can_view_item` is true, clause for clause (tests/test_visibility_rule.py
    proves them equal on every combination of reader, visibility, status, group and co-owner).

    Moderator-hidden items are left out for everyone: no list, search, count, feed or suggestion
    shows them; moderators find them in the moderation queue, editors on the item's own page."""
    conditions = [Item.status == "published", Item.hidden_at.is_(None)]
    if permissions.can_moderate(user) or user is permissions.SYSTEM:
        return conditions
    allowed = [Item.visibility == "public"]
    if permissions.is_approved_member(user):
        allowed.append(Item.visibility == "members")
    if permissions.is_verified_member(user):
        group_ids = select(GroupMembership.group_id).where(
            GroupMembership.user_id == user.id, GroupMembership.status == "approved"
        )
        allowed.append(and_(Item.visibility == "group", Item.group_id.in_(group_ids)))
        # can_edit_item: editors and admins of an owner, the author while still a member.
        approved = select(Membership.organisation_id).where(
            Membership.user_id == user.id, Membership.status == "approved"
        )
        editing = approved.where(Membership.role.in_(("editor", "admin")))
        allowed += [
            Item.organisation_id.in_(editing),
            Item.co_owners.any(Organisation.id.in_(editing)),
            and_(Item.author_id == user.id, Item.organisation_id.in_(approved)),
        ]
    return [*conditions, or_(*allowed)]


def published_items(user, model: type[Item] = Item) -> Select:
    return (
        select(model)
        .where(*visible_to(user))
        .options(selectinload(Item.organisation), selectinload(Item.themes))
    )


def dossier(
    user, *, theme=None, product_group=None, organisation=None, limit: int = 8
) -> dict[str, list[Item]]:
    """The newest visible items per kind for a theme, product group or organisation page."""

    result = {}
    for key, spec in kinds().items():
        query = published_items(user, spec.model)
        if theme is not None:
            query = query.where(spec.model.themes.any(id=theme.id))
        if product_group is not None:
            query = query.where(spec.model.product_groups.any(id=product_group.id))
        if organisation is not None:
            query = query.where(
                or_(
                    spec.model.organisation_id == organisation.id,
                    spec.model.co_owners.any(id=organisation.id),
                )
            )
        result[key] = list(
            db.session.scalars(
                query.order_by(Item.published_at.desc(), Item.id.desc()).limit(limit)
            )
        )
    return result
