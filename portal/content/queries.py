"""Read queries for knowledge items; `visible_to` is the SQL form of the visibility rule."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.content.kinds import kinds
from portal.content.models import Item
from portal.extensions import db
from portal.groups.models import GroupMembership
from portal.organisations.models import Organisation
from portal.permissions import LISTED_STATUSES, READERS, Readers


def visible_to(user) -> list[ColumnElement[bool]]:
    """SQL conditions for the items user finds in lists: permissions.can_find_item.

    Moderator-hidden items are left out for everyone: no list, search, count, feed or suggestion
    shows them; moderators find them in the moderation queue, editors on the item's own page."""
    conditions = [Item.status.in_(sorted(LISTED_STATUSES)), Item.hidden_at.is_(None)]
    if permissions.can_moderate(user):  # moderators may edit every item
        return conditions
    allowed = [
        and_(Item.visibility == visibility, _read_by(user, readers))
        for visibility, readers in READERS.items()
    ]
    return [*conditions, or_(*allowed, _editable_by(user))]


def _read_by(user, readers: Readers) -> ColumnElement[bool]:
    """permissions.is_reader for one kind of readers, for a user who is not a moderator."""
    if readers is Readers.EVERYONE:
        return true()
    if readers is Readers.MEMBERS:
        return true() if permissions.is_approved_member(user) else false()
    if not permissions.is_verified_member(user):
        return false()
    groups = select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.status == "approved"
    )
    return Item.group_id.in_(groups)


def _editable_by(user) -> ColumnElement[bool]:
    """permissions.can_edit_item for a user who is not a moderator."""
    if not permissions.is_verified_member(user):
        return false()
    editing = permissions.organisation_ids_with_role(user, permissions.EDITING_ROLES)
    member_of = permissions.organisation_ids_with_role(user, permissions.MEMBERSHIP_ROLES.values())
    if not member_of:
        return false()
    editable = [and_(Item.author_id == user.id, Item.organisation_id.in_(member_of))]
    if editing:
        editable += [
            Item.organisation_id.in_(editing),
            Item.co_owners.any(Organisation.id.in_(editing)),
        ]
    return or_(*editable)


def published_items(user, model: type[Item] = Item) -> Select:
    return (
        select(model)
        .where(*visible_to(user))
        .options(selectinload(Item.organisation), selectinload(Item.themes))
    )


def dossier(
    user, *, theme=None, product_group=None, organisation=None, limit: int = 8
) -> dict[str, list[Item]]:
    """The newest visible items per kind for a theme, product group or organisation page (the
    kinds whose spec is in_dossier, in registration order)."""

    result = {}
    for key, spec in kinds().items():
        if not spec.in_dossier:
            continue
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
        result[key] = newest(query, limit)
    return result


def count_of(query: Select) -> int:
    """How many items a (visibility-filtered) query finds (counting ids: the planner then skips
    the item's other columns)."""
    ids = query.with_only_columns(Item.id, maintain_column_froms=True).order_by(None)
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def newest(query: Select, limit: int) -> list[Item]:
    return list(
        db.session.scalars(query.order_by(Item.published_at.desc(), Item.id.desc()).limit(limit))
    )


def knowledge_overview(user, limit: int = 3) -> list[tuple]:
    """Per knowledge kind (not questions or events): its spec, how many items the reader may
    see, and the newest few of them."""
    return [
        (spec, count_of(published_items(user, spec.model)),
         newest(published_items(user, spec.model), limit))
        for spec in kinds().values()
        if spec.knowledge
    ]  # fmt: skip


def organisations_sharing(user) -> int:
    """How many organisations own at least one knowledge item the reader may see."""
    knowledge = [spec.key for spec in kinds().values() if spec.knowledge]
    return db.session.scalar(
        select(func.count(func.distinct(Item.organisation_id))).where(
            Item.kind.in_(knowledge), *visible_to(user)
        )
    )
