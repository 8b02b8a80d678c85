"""Who may do what: the role table and the named permission functions, in one place.

Views, services, templates and (later) search and the API all ask these functions; no role
string appears anywhere else.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable, Collection
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Request

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.api.models import ApiToken
    from portal.content.models import CoOwnerInvitation, Item
    from portal.events.models import Event
    from portal.groups.models import GroupMembership, WorkingGroup
    from portal.monitor.models import MonitorRecord
    from portal.notifications.models import Notification
    from portal.organisations.models import Membership, Organisation
    from portal.planning.models import PlannedTender, PlannedTenderInterest
    from portal.questions.models import Answer, Question

Actor = Any  # a User, Flask-Login's AnonymousUserMixin, or SYSTEM


class Role(StrEnum):
    VISITOR = "visitor"
    MEMBER = "member"
    ORG_EDITOR = "org_editor"
    ORG_ADMIN = "org_admin"
    MODERATOR = "moderator"
    SITE_ADMIN = "site_admin"


# Site-wide permissions by role. Organisation roles (editor/admin) only count inside their own
# organisation, so they are checked by the functions below, not by this table.
SITE_PERMISSIONS: dict[str, frozenset[Role]] = {
    "edit_taxonomy": frozenset({Role.SITE_ADMIN}),
    "manage_regions": frozenset({Role.SITE_ADMIN}),
    "manage_any_organisation": frozenset({Role.SITE_ADMIN}),
    "create_group": frozenset({Role.MODERATOR, Role.SITE_ADMIN}),
    "manage_any_group": frozenset({Role.SITE_ADMIN}),
    "moderate": frozenset({Role.MODERATOR, Role.SITE_ADMIN}),
}


class _SystemActor:
    """The actor for seeds and CLI commands: allowed everything, attributed to nobody."""

    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_site_admin = True
    is_moderator = True
    is_verified = True
    memberships: tuple = ()
    name = "Systeem"


SYSTEM = _SystemActor()


class PermissionDenied(Forbidden):
    description = "U heeft geen toestemming voor deze handeling."


def site_roles(user: Actor) -> set[Role]:
    """Return the site-wide roles of user (visitor for anyone not signed in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {Role.VISITOR}
    roles = {Role.MEMBER}
    if user.is_moderator:
        roles.add(Role.MODERATOR)
    if user.is_site_admin:
        roles.add(Role.SITE_ADMIN)
    return roles


def has_site_permission(user: Actor, permission: str) -> bool:
    return bool(site_roles(user) & SITE_PERMISSIONS[permission])


def is_signed_in(user: Actor) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def is_verified_member(user: Actor) -> bool:
    """A signed-in account whose e-mail address is verified."""
    return is_signed_in(user) and bool(user.is_verified)


def is_approved_member(user: Actor) -> bool:
    """A verified account with an approved membership of at least one organisation, or a site
    moderator or administrator: whom "members" (alleen leden) items are for."""
    if user is SYSTEM:
        return True
    if not is_verified_member(user):
        return False
    return can_moderate(user) or any(m.is_approved for m in user.memberships)


MEMBERSHIP_ROLES: dict[str, Role] = {
    "member": Role.MEMBER,
    "editor": Role.ORG_EDITOR,
    "admin": Role.ORG_ADMIN,
}
EDITING_ROLES = frozenset({Role.ORG_EDITOR, Role.ORG_ADMIN})


def organisation_role(user: Actor, organisation: Organisation) -> Role | None:
    """Return user's approved role in organisation (member, editor or admin), or None."""
    if not is_signed_in(user):
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation.id and membership.is_approved:
            return MEMBERSHIP_ROLES[membership.role]
    return None


def organisation_ids_with_role(user: Actor, roles: Collection[Role]) -> set[int]:
    """Ids of the organisations where user holds one of roles (approved memberships only)."""
    if not is_signed_in(user) or user is SYSTEM:
        return set()
    return {
        m.organisation_id
        for m in user.memberships
        if m.is_approved and MEMBERSHIP_ROLES[m.role] in roles
    }


# --- Site ---------------------------------------------------------------------------------


def can_register(user: Actor) -> bool:
    return not is_signed_in(user) or user is SYSTEM


def can_edit_taxonomy(user: Actor) -> bool:
    return has_site_permission(user, "edit_taxonomy")


def can_manage_regions(user: Actor) -> bool:
    return has_site_permission(user, "manage_regions")


def can_moderate(user: Actor) -> bool:
    return has_site_permission(user, "moderate")


def can_administer_site(user: Actor) -> bool:
    return Role.SITE_ADMIN in site_roles(user)


def can_manage_user_roles(user: Actor) -> bool:
    return Role.SITE_ADMIN in site_roles(user)


def can_edit_concepts(user: Actor) -> bool:
    """The search concepts (query expansion) are a vocabulary: edited by who edits the lists."""
    return has_site_permission(user, "edit_taxonomy")


def can_view_search_insights(user: Actor) -> bool:
    """What people searched for (query texts and counts, nobody's identity): site
    administrators and moderators, who keep the vocabulary and the content findable."""
    return has_site_permission(user, "moderate")


def can_count_search(user: Actor) -> bool:
    """Whether a search counts in the search insights: everyone's except the site
    administrators', who try out their concepts and would fill the lists with tests."""
    return Role.SITE_ADMIN not in site_roles(user)


# --- Accounts -----------------------------------------------------------------------------


def can_edit_account(user: Actor, account: User) -> bool:
    """Only the account holder changes their own profile, e-mail, password or deletes it."""
    return is_signed_in(user) and (user is SYSTEM or user.id == account.id)


def can_create_api_token(user: Actor) -> bool:
    """A verified member makes personal API tokens that act with exactly their own permissions."""
    return user is not SYSTEM and is_verified_member(user)


def can_revoke_api_token(user: Actor, token: ApiToken) -> bool:
    """Only the token's own member revokes it (and sees it listed)."""
    return is_signed_in(user) and user is not SYSTEM and token.user_id == user.id


def can_use_api_token(user: Actor, token: ApiToken) -> bool:
    """A request with the token acts as its member, while the token is neither revoked nor expired."""
    return can_revoke_api_token(user, token) and token.is_active


# --- Organisations ------------------------------------------------------------------------


def can_create_organisation(user: Actor) -> bool:
    return has_site_permission(user, "manage_any_organisation")


def can_edit_organisation(user: Actor, organisation: Organisation) -> bool:
    return has_site_permission(user, "manage_any_organisation") or (
        organisation_role(user, organisation) == Role.ORG_ADMIN
    )


def can_manage_members(user: Actor, organisation: Organisation) -> bool:
    return can_edit_organisation(user, organisation)


def can_decide_membership(user: Actor, membership: Membership) -> bool:
    return can_manage_members(user, membership.organisation)


def can_request_membership(user: Actor, organisation: Organisation) -> bool:
    """A verified account that has no membership (pending or approved) of it yet."""
    if user is SYSTEM:
        return True
    if not is_verified_member(user):
        return False
    return all(m.organisation_id != organisation.id for m in user.memberships)


def can_leave_organisation(user: Actor, membership: Membership) -> bool:
    return is_signed_in(user) and (user is SYSTEM or membership.user_id == user.id)


def can_view_members(user: Actor, organisation: Organisation) -> bool:
    """Member lists show names and functions only, to signed-in members of the portal."""
    return is_verified_member(user)


# --- Working groups -----------------------------------------------------------------------


def group_membership(user: Actor, group: WorkingGroup) -> GroupMembership | None:
    if not is_signed_in(user) or user is SYSTEM:
        return None
    return next((m for m in group.memberships if m.user_id == user.id), None)


def is_group_member(user: Actor, group: WorkingGroup) -> bool:
    membership = group_membership(user, group)
    return membership is not None and membership.is_approved


def is_group_admin(user: Actor, group: WorkingGroup) -> bool:
    membership = group_membership(user, group)
    return membership is not None and membership.is_approved and membership.role == "admin"


def can_create_group(user: Actor) -> bool:
    return has_site_permission(user, "create_group")


def can_manage_group(user: Actor, group: WorkingGroup) -> bool:
    return has_site_permission(user, "manage_any_group") or is_group_admin(user, group)


def can_view_group_content(user: Actor, group: WorkingGroup) -> bool:
    """Open groups show members and content to everyone; closed ones only to their members."""
    if not group.is_closed:
        return True
    return is_group_member(user, group) or can_manage_group(user, group) or can_moderate(user)


def can_join_group(user: Actor, group: WorkingGroup) -> bool:
    """A verified account that is not yet in (or waiting for) the group may join or ask to."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and group_membership(user, group) is None


def can_leave_group(user: Actor, membership: GroupMembership) -> bool:
    return is_signed_in(user) and (user is SYSTEM or membership.user_id == user.id)


def can_decide_group_membership(user: Actor, membership: GroupMembership) -> bool:
    return can_manage_group(user, membership.group)


# --- Knowledge items ----------------------------------------------------------------------


def can_create_item(user: Actor, organisation: Organisation) -> bool:
    """Approved members (any role) publish for their own organisation."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) is not None


def can_import_ocds(user: Actor) -> bool:
    """Members who may create items for one of their organisations import OCDS files; each
    release is checked again (can_create_item for its buyer, can_edit_item for a re-import)."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and any(
        membership.is_approved and can_create_item(user, membership.organisation)
        for membership in user.memberships
    )


def can_edit_item(user: Actor, item: Item) -> bool:
    """Editors and admins of an owning organisation, the author while still a member, moderators."""
    if user is SYSTEM or can_moderate(user):
        return True
    if not is_verified_member(user):
        return False
    for owner in item.owners:
        if organisation_role(user, owner) in EDITING_ROLES:
            return True
    return item.author_id == user.id and organisation_role(user, item.organisation) is not None


# The visibility rule. READERS and the two status sets below are its one definition: this module
# reads them for one item (can_view_item, can_find_item), `content.queries.visible_to` turns them
# into SQL for every list, search result, count, feed and suggestion, and
# tests/test_visibility_rule.py proves the two forms equal for every kind of viewer and item.
# - Whoever may edit an item (its owners' editors and admins, its author while a member,
#   moderators) opens it, whatever its status and even when a moderator hid it.
# - Anyone else opens it when READERS[visibility] admits them, its status is in READ_STATUSES
#   (not a draft) and no moderator hid it.
# - Lists show, of the items a viewer may open, those in LISTED_STATUSES that are not hidden:
#   archived items keep their page only; hidden ones are in the moderation queue only.


class Readers(StrEnum):
    """Who reads an item besides those who may edit it."""

    EVERYONE = "everyone"
    MEMBERS = "members"  # is_approved_member: verified, approved in an organisation; moderators
    GROUP = "group"  # verified accounts approved in the item's working group; moderators


READERS: dict[str, Readers] = {
    "public": Readers.EVERYONE,
    "members": Readers.MEMBERS,
    "group": Readers.GROUP,
}
READ_STATUSES = frozenset({"published", "archived"})
LISTED_STATUSES = frozenset({"published"})


def is_reader(user: Actor, item: Item) -> bool:
    """Does item's visibility admit user (status and hiding aside)?"""
    readers = READERS[item.visibility]
    if readers is Readers.EVERYONE:
        return True
    if readers is Readers.MEMBERS:
        return is_approved_member(user)
    if can_moderate(user):
        return True
    return item.group is not None and is_verified_member(user) and is_group_member(user, item.group)


def can_view_item(user: Actor, item: Item) -> bool:
    """May user open item's page (and its attachments, versions, calendar file)?"""
    if can_edit_item(user, item):
        return True
    return item.status in READ_STATUSES and item.hidden_at is None and is_reader(user, item)


def can_find_item(user: Actor, item: Item) -> bool:
    """Is item among user's lists, search results, counts and feeds? `visible_to` in SQL."""
    return item.status in LISTED_STATUSES and item.hidden_at is None and can_view_item(user, item)


def can_list_item(user: Actor, item: Item) -> bool:
    """Show item among others (links, linked examples, banners): can_view_item, but a
    moderator-hidden item only ever on its own page, as `visible_to` leaves it out of lists."""
    return item.hidden_at is None and can_view_item(user, item)


# Snapshot fields only those who may edit the item see in its history (how it was published).
EDITORIAL_FIELDS = frozenset({"status", "visibility"})


def can_view_revisions(user: Actor, item: Item) -> bool:
    """The item's version history (its page links to it): whoever may open the item."""
    return can_view_item(user, item)


def can_view_revision(user: Actor, item: Item, snapshot: dict) -> bool:
    """One version: every one to those who may edit the item; to other readers of the history
    only the versions they could have read when they were saved (not a draft; a visibility that
    admits them), so a draft's text or a narrower audience's never reaches them."""
    if can_edit_item(user, item):
        return True
    if not can_view_revisions(user, item) or snapshot.get("status") not in READ_STATUSES:
        return False
    readers = READERS.get(snapshot.get("visibility", ""))
    if readers is Readers.EVERYONE:
        return True
    if readers is Readers.MEMBERS:
        return is_approved_member(user)
    # A group version: only of the item's own group now (an earlier group is not looked up).
    same_group = item.group is not None and snapshot.get("group") == item.group.slug
    if readers is not Readers.GROUP or not same_group:
        return False
    return can_moderate(user) or (is_verified_member(user) and is_group_member(user, item.group))


def can_view_editorial_fields(user: Actor, item: Item) -> bool:
    """Status and visibility in the version history: those who may edit the item."""
    return can_edit_item(user, item)


def can_link_items(user: Actor, item: Item, other: Item) -> bool:
    """Link item with other from item's page, whichever of the two the link starts from: whoever
    may edit item and may see other (a peer organisation's criterion, lesson or consultation
    included)."""
    return can_edit_item(user, item) and can_view_item(user, other)


def can_mark_item(user: Actor, item: Item) -> bool:
    """Bookmark, mark useful or report: verified members who can see the item (not while hidden)."""
    return (
        user is not SYSTEM
        and is_verified_member(user)
        and item.hidden_at is None
        and can_view_item(user, item)
    )


def can_moderate_item(user: Actor, item: Item) -> bool:
    """Hide an item (it then answers 404 to all but moderators and its editors) or restore it."""
    return user is SYSTEM or can_moderate(user)


def can_accept_co_ownership(user: Actor, invitation: CoOwnerInvitation) -> bool:
    """Editors and admins of the invited organisation accept or decline (consent is theirs)."""
    return may_consent_for(user, invitation.organisation)


def may_consent_for(user: Actor, organisation: Organisation) -> bool:
    """May user make organisation a co-owner without asking it (its own editors and admins)?"""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) in (
        Role.ORG_EDITOR,
        Role.ORG_ADMIN,
    )


def can_delete_saved_search(user: Actor, saved) -> bool:
    return is_signed_in(user) and (user is SYSTEM or saved.user_id == user.id)


# --- Events -------------------------------------------------------------------------------


def can_register_for_event(user: Actor, event: Event) -> bool:
    """Verified members who can see the event sign themselves up (when is the service's call)."""
    return user is not SYSTEM and is_verified_member(user) and can_view_item(user, event)


def can_cancel_event_registration(user: Actor, event: Event) -> bool:
    """Anyone signed in may withdraw their own sign-up (the service checks there is one)."""
    return user is not SYSTEM and is_signed_in(user)


def can_see_event_attendees(user: Actor, event: Event) -> bool:
    """Members of an organising organisation and moderators see who comes; others see counts."""
    if not can_view_item(user, event):
        return False
    if can_moderate(user):
        return True
    return is_verified_member(user) and any(
        organisation_role(user, owner) is not None for owner in event.owners
    )


# --- Questions and answers ----------------------------------------------------------------


def can_ask_question(user: Actor) -> bool:
    """Verified members of an organisation ask; the question stands under that organisation."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and any(m.is_approved for m in user.memberships)


def can_answer_question(user: Actor, question: Question) -> bool:
    """Verified members who can see an open question (not a duplicate, not hidden)."""
    if question.status != "published" or question.duplicate_of_id is not None:
        return False
    if question.hidden_at is not None:
        return False
    return user is SYSTEM or (is_verified_member(user) and can_view_item(user, question))


def can_edit_answer(user: Actor, answer: Answer) -> bool:
    if user is SYSTEM or can_moderate(user):
        return True
    return is_verified_member(user) and answer.author_id == user.id


def can_vote_answer(user: Actor, answer: Answer) -> bool:
    """Verified members who can see the question (own answers are refused with a reason)."""
    return user is not SYSTEM and is_verified_member(user) and can_view_item(user, answer.question)


def can_comment_answer(user: Actor, answer: Answer) -> bool:
    return can_vote_answer(user, answer) and answer.hidden_at is None


def can_accept_answer(user: Actor, answer: Answer) -> bool:
    """Only the asker accepts (moderators may, for an asker who left)."""
    if user is SYSTEM or can_moderate(user):
        return True
    return is_verified_member(user) and answer.question.author_id == user.id


def can_verify_answer(user: Actor, answer: Answer) -> bool:
    """Moderators and designated experts mark an answer as checked."""
    if user is SYSTEM or can_moderate(user):
        return True
    return (
        is_verified_member(user)
        and bool(getattr(user, "is_expert", False))
        and can_view_item(user, answer.question)
    )


def can_mark_duplicate(user: Actor, question: Question) -> bool:
    if user is SYSTEM or can_moderate(user):
        return True
    return is_verified_member(user) and question.author_id == user.id


def can_moderate_answer(user: Actor, answer: Answer) -> bool:
    return user is SYSTEM or can_moderate(user)


def can_flag_answer(user: Actor, answer: Answer) -> bool:
    """Verified members who can see an answer may report it to the moderators."""
    return can_vote_answer(user, answer) and answer.hidden_at is None


def can_resolve_report(user: Actor, report: Any) -> bool:
    return user is SYSTEM or can_moderate(user)


def can_view_profiles(user: Actor) -> bool:
    """Member profiles (names, functions, answers) are for verified members only."""
    return user is SYSTEM or is_verified_member(user)


# --- Monitor records --------------------------------------------------------------------------
# Records are an organisation's own bookkeeping: its members read them, its editors and admins
# write them, and nobody else learns they exist (views answer 404, not 403, to strangers).


def can_view_monitor_records(user: Actor, organisation: Organisation) -> bool:
    """Approved members (any role) of organisation with a verified e-mail address."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) is not None


def can_edit_monitor_records(user: Actor, organisation: Organisation) -> bool:
    """Editors and admins of organisation create, edit, delete, upload and promote its records."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) in EDITING_ROLES


def can_view_monitor_record(user: Actor, record: MonitorRecord) -> bool:
    return can_view_monitor_records(user, record.organisation)


def can_edit_monitor_record(user: Actor, record: MonitorRecord) -> bool:
    return can_edit_monitor_records(user, record.organisation)


def can_view_monitor(user: Actor, organisation: Organisation) -> bool:
    """The organisation's monitor figures: its members, and everyone when it made them public
    (figures only: the records themselves stay its members')."""
    return organisation.monitor_public or can_view_monitor_records(user, organisation)


def can_change_monitor_settings(user: Actor, organisation: Organisation) -> bool:
    """Whether the monitor is public and counts in benchmarks: the organisation's admins."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) == Role.ORG_ADMIN


def can_promote_monitor_record(user: Actor, record: MonitorRecord) -> bool:
    """Its organisation's editors make a draft example tender of a record not yet promoted."""
    return (
        record.tender_id is None
        and can_edit_monitor_record(user, record)
        and can_create_item(user, record.organisation)
    )


# --- Action plans ----------------------------------------------------------------------------


def can_copy_plan(user: Actor, plan: Item, organisation: Organisation) -> bool:
    """A plan the user may open is the start of one for an organisation they publish for."""
    return can_view_item(user, plan) and can_create_item(user, organisation)


# --- The tender calendar (planned tenders) ---------------------------------------------------
# A planned tender is read by the one visibility rule (READERS, as items: public, members, one
# working group) and by every member of its own organisation; only the organisation's editors
# and admins write its calendar. `planning.queries.visible_planned` is the SQL form, and
# tests/test_planning.py proves the two equal.


def can_edit_calendar(user: Actor, organisation: Organisation) -> bool:
    """Editors and admins of organisation add, change, import and delete its planned tenders."""
    if user is SYSTEM:
        return True
    return is_verified_member(user) and organisation_role(user, organisation) in EDITING_ROLES


def can_edit_planned_tender(user: Actor, planned: PlannedTender) -> bool:
    return can_edit_calendar(user, planned.organisation)


def can_view_planned_tender(user: Actor, planned: PlannedTender) -> bool:
    """Its organisation's members, and whoever its visibility admits (READERS)."""
    if user is SYSTEM or can_moderate(user):
        return True
    if is_verified_member(user) and organisation_role(user, planned.organisation) is not None:
        return True
    return is_reader(user, planned)  # type: ignore[arg-type]


def can_express_interest(user: Actor, own: PlannedTender, other: PlannedTender) -> bool:
    """An editor of own's organisation, about another organisation's planned tender they see."""
    return (
        user is not SYSTEM
        and own.organisation_id != other.organisation_id
        and can_edit_planned_tender(user, own)
        and can_view_planned_tender(user, other)
    )


def can_answer_interest(user: Actor, interest: PlannedTenderInterest) -> bool:
    """The editors of the organisation the interest is addressed to accept or decline it."""
    return user is not SYSTEM and can_edit_planned_tender(user, interest.target)


def can_see_interest(user: Actor, interest: PlannedTenderInterest) -> bool:
    """Both sides' editors; the contacts only once accepted (see can_see_interest_contacts)."""
    return can_edit_planned_tender(user, interest.source) or can_edit_planned_tender(
        user, interest.target
    )


def can_see_interest_contacts(user: Actor, interest: PlannedTenderInterest) -> bool:
    return interest.status == "accepted" and can_see_interest(user, interest)


def can_convert_planned_tender(user: Actor, planned: PlannedTender) -> bool:
    """Its editors make a draft example tender of it, once."""
    return (
        planned.tender_id is None
        and can_edit_planned_tender(user, planned)
        and can_create_item(user, planned.organisation)
    )


# --- Follows and notifications -------------------------------------------------------------


def can_follow(user: Actor) -> bool:
    return user is not SYSTEM and is_verified_member(user)


def can_read_notification(user: Actor, notification: Notification) -> bool:
    return is_signed_in(user) and notification.user_id == getattr(user, "id", None)


def can_change_notification_settings(user: Actor, account: User) -> bool:
    return user is SYSTEM or (is_signed_in(user) and account.id == user.id)


# --- Enforcing permissions in services ----------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")
REGISTERED_ACTIONS: dict[str, Callable[..., bool]] = {}


def authorized_by(permission: Callable[..., bool]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Guard a service: call permission(actor, *leading_arguments) first, with as many of the
    service's leading arguments as permission takes after the actor (none, one or two).

    Every public service function is registered here, and a test fails when one is not.
    """
    targets = len(inspect.signature(permission).parameters) - 1

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @wraps(service)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor")
            allowed = permission(actor, *args[:targets])
            if not allowed:
                raise PermissionDenied()
            return service(*args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        REGISTERED_ACTIONS[f"{service.__module__}.{service.__name__}"] = permission
        return guarded

    return decorate


LOOPBACK = frozenset({"127.0.0.1", "::1"})


def can_read_metrics(request: Request, token: str) -> bool:
    """Prometheus metrics: with the bearer token METRICS_TOKEN, or from this machine without a
    proxy in between (a request through nginx carries X-Forwarded-For and needs the token)."""
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and offered and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    return request.remote_addr in LOOPBACK and "X-Forwarded-For" not in request.headers
