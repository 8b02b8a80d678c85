"""Read queries for knowledge items; `visible_to` is the SQL form of the visibility rule."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, desc, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.common import whole_number
from portal.content.kinds import KindSpec, kinds
from portal.content.models import Item
from portal.extensions import db
from portal.groups.models import GroupMembership
from portal.organisations.models import Organisation
from portal.permissions import LISTED_STATUSES, READ_STATUSES, READERS, Readers
from portal.regions.models import Region
from portal.taxonomy.models import OrganisationType, ProductGroup, Theme

SORTS = {
    "nieuw": desc(Item.published_at),
    "nuttig": desc(Item.useful_count),
    "bekeken": desc(Item.view_count),
}


def visible_to(user) -> list[ColumnElement[bool]]:
    """SQL conditions for the items user finds in lists: permissions.can_find_item.

    Moderator-hidden items are left out for everyone: no list, search, count, feed or suggestion
    shows them; moderators find them in the moderation queue, editors on the item's own page."""
    return _readable(user, LISTED_STATUSES)


def readable_by(user) -> list[ColumnElement[bool]]:
    """SQL conditions for the published and archived items user may open (permissions.
    can_view_item, drafts and hidden items aside): what figures such as the monitor's count."""
    return _readable(user, READ_STATUSES)


def _readable(user, statuses) -> list[ColumnElement[bool]]:
    conditions = [Item.status.in_(sorted(statuses)), Item.hidden_at.is_(None)]
    if permissions.can_moderate(user):  # moderators may edit every item
        return conditions
    allowed = [
        and_(Item.visibility == visibility, read_by(user, readers))
        for visibility, readers in READERS.items()
    ]
    return [*conditions, or_(*allowed, _editable_by(user))]


def read_by(user, readers: Readers, group_id=Item.group_id) -> ColumnElement[bool]:
    """permissions.is_reader for one kind of readers, for a user who is not a moderator (group_id:
    the column of the working group that reads; items' by default)."""
    if readers is Readers.EVERYONE:
        return true()
    if readers is Readers.MEMBERS:
        return true() if permissions.is_approved_member(user) else false()
    if not permissions.is_verified_member(user):
        return false()
    groups = select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.status == "approved"
    )
    return group_id.in_(groups)


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


class BadListError(ValueError):
    """List arguments that name nothing that exists (an export answers 400 with this message)."""


def _known(model, value: str) -> bool:
    return db.session.scalar(select(model.id).where(model.slug == value)) is not None


def _check_list_args(spec: KindSpec, args) -> None:
    """Refuse unknown filter values, years, sorts and pages with a Dutch message."""
    named = {"thema": (Theme, _("Thema")), "productgroep": (ProductGroup, _("Productgroep")),
             "organisatietype": (OrganisationType, _("Soort organisatie")),
             "regio": (Region, _("Regio"))}  # fmt: skip
    for arg, (model, label) in named.items():
        value = args.get(arg)
        if value and not _known(model, value):
            raise BadListError(_("Onbekende waarde voor %(filter)s: ‘%(value)s’.", filter=label, value=value[:100]))  # fmt: skip
    if args.get("jaar") and whole_number(args["jaar"], 1, 9999) is None:
        raise BadListError(_("Het jaar moet een getal van 1 tot 9999 zijn."))
    for list_filter in spec.list_filters:
        value = args.get(list_filter.arg)
        if value and value not in {option for option, _label in list_filter.options()}:
            raise BadListError(_("Onbekende waarde voor %(filter)s: ‘%(value)s’.", filter=list_filter.label, value=value[:100]))  # fmt: skip
    sorts = (["datum"] if spec.list_order else []) + list(SORTS)
    if args.get("sorteer", sorts[0]) not in sorts:
        raise BadListError(_("Onbekende sortering ‘%(value)s’. Kies uit: %(choices)s.", value=args["sorteer"][:100], choices=", ".join(sorts)))  # fmt: skip
    if whole_number(args.get("pagina", "1"), 1, 10_000) is None:
        raise BadListError(_("Het paginanummer moet een getal van 1 tot 10.000 zijn."))


def list_query(spec: KindSpec, args, user, *, strict: bool = False) -> tuple[Select, str]:
    """The items of a kind's list page for these URL arguments, in the chosen order, and that
    order's name. The page ignores what it does not know; strict (exports) raises BadListError,
    so a download never silently holds something other than what was asked."""
    if strict:
        _check_list_args(spec, args)
    model = spec.model
    query = published_items(user, model)
    if args.get("thema"):
        query = query.where(model.themes.any(Theme.slug == args["thema"]))
    if args.get("productgroep"):
        query = query.where(model.product_groups.any(ProductGroup.slug == args["productgroep"]))
    if args.get("organisatietype"):
        query = query.where(
            model.organisation.has(
                Organisation.type.has(OrganisationType.slug == args["organisatietype"])
            )
        )
    if args.get("regio"):
        query = query.where(
            model.organisation.has(Organisation.regions.any(Region.slug == args["regio"]))
        )
    year = whole_number(args.get("jaar"), 1, 9999)
    if year is not None:
        query = query.where(model.year == year)
    for list_filter in spec.list_filters:
        value = args.get(list_filter.arg)
        condition = list_filter.where(value) if value else None
        if condition is not None:
            query = query.where(condition)
    sort = args.get("sorteer", "datum" if spec.list_order else "nieuw")
    if sort == "datum" and spec.list_order:
        query = query.order_by(*spec.list_order(), Item.id.desc())
    else:
        query = query.order_by(SORTS.get(sort, SORTS["nieuw"]), Item.id.desc())
    return query, sort
