"""Who is told what. Called by the services that change things (inside their transaction), so a
notice exists only when the change is committed; e-mail leaves only after the commit.

Every notice is checked against the same `can_view_item` as the detail page, here and again when
it is shown or mailed: group-only content never reaches outsiders.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.common import utcnow
from portal.content import signals
from portal.content.kinds import kind_of
from portal.content.models import Item, ItemLink
from portal.extensions import db
from portal.mail import absolute_url, mail_delivered, mail_to
from portal.notifications.models import Follow, Notification
from portal.organisations.models import Membership, Organisation
from portal.outbox.models import OutboxMessage
from portal.permissions import can_list_item

UNSUBSCRIBE_SALT = "notification-unsubscribe"


def _serializer() -> URLSafeSerializer:
    from flask import current_app

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """Signed (user id, address): valid for this account and this address only."""
    return _serializer().dumps([user.id, user.email])


def user_for_unsubscribe(token: str) -> User | None:
    """The account a token was made for, or None if forged, garbled or for another address."""
    try:
        user_id, email = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.email == email else None


def item_url(item: Item) -> str:
    return absolute_url("content.show", spec=item.kind, slug=item.slug)


def mail_footer(user: User) -> str:
    return _(
        "U krijgt dit bericht omdat u dit volgt op het MVI-kennisportaal.\n"
        "Instellingen: %(settings)s\nAfmelden voor alle e-mail (één klik): %(unsubscribe)s",
        settings=absolute_url("notifications.settings"),
        unsubscribe=absolute_url("notifications.unsubscribe", token=unsubscribe_token(user)),
    )


def notify(
    users: Iterable[User],
    *,
    key: str,
    message: str | LazyString,
    item: Item | None,
    url: str,
    actor=None,
    exclude: Iterable[User] = (),
) -> int:
    """Store one notice per member (never for the actor, never twice for the same key, only for
    those who may see the item); members who chose "immediate" get it by e-mail after commit.

    The message is stored once for every recipient, so it is made in the portal's language
    (Dutch), not in the language of whoever caused it; a mail is made in each recipient's own
    language: pass a lazy string (`lazy_gettext`)."""
    lazy_message = message
    with force_locale("nl"):
        message = str(message)
    stored = 0
    # Who already has this notice: one query, not one per member.
    seen: set[int] = {u.id for u in exclude}
    seen.update(db.session.scalars(select(Notification.user_id).where(Notification.key == key)))
    actor_id = getattr(actor, "id", None)
    for user in users:
        if user.id in seen or user.id == actor_id or not user.is_verified:
            continue
        seen.add(user.id)
        if item is not None and not can_list_item(user, item):
            continue
        notice = Notification(user_id=user.id, key=key, message=message[:300], url=url[:300])
        notice.item_id = item.id if item is not None else None
        db.session.add(notice)
        stored += 1
        if user.notify_email == "immediate":
            db.session.flush()  # the notice's id, so the mail marks it mailed once accepted

            def text(user: User = user) -> tuple[str, str]:
                said = str(lazy_message)  # a lazy message is made again, in their language
                return said[:150], f"{said}\n{url}\n\n-- \n{mail_footer(user)}"

            mail_to(
                user,
                text,
                unsubscribe_url=absolute_url(
                    "notifications.unsubscribe", token=unsubscribe_token(user)
                ),
                meta={"notice_ids": [notice.id]},
            )
    db.session.flush()
    return stored


def notices_in_waiting_mail() -> set[int]:
    """Ids of notices carried by a mail that the mail server has not accepted yet."""
    waiting: set[int] = set()
    for payload in db.session.scalars(
        select(OutboxMessage.payload).where(
            OutboxMessage.topic == "mail", OutboxMessage.delivered_at.is_(None)
        )
    ):
        waiting.update((payload.get("meta") or {}).get("notice_ids") or [])
    return waiting


@mail_delivered.connect
def _mark_mailed(sender, meta: dict, session: Session, **extra) -> None:
    """A notice counts as mailed once the server accepted the mail that carried it."""
    ids = meta.get("notice_ids") or []
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.mailed_at.is_(None))
            .values(mailed_at=utcnow())
        )


def followers(item: Item, *, include_item: bool = True) -> list[User]:
    """Members following the item, or any of its themes, product groups, organisation, region
    (the question's, else the organisation's) or working group."""
    targets: list[tuple[str, int]] = [("organisation", item.organisation_id)]
    targets += [("theme", t.id) for t in item.themes]
    targets += [("product_group", g.id) for g in item.product_groups]
    region = getattr(item, "region", None)
    regions = [region] if region is not None else list(item.organisation.regions)
    targets += [("region", r.id) for r in regions]
    if item.group_id is not None:
        targets.append(("group", item.group_id))
    if include_item and item.id is not None:
        targets.append(("item", item.id))
    conditions = [(Follow.target_type == kind) & (Follow.target_id == tid) for kind, tid in targets]
    user_ids = select(Follow.user_id).where(or_(*conditions))
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(user_ids))
            .order_by(User.id)
            .options(selectinload(User.memberships))  # notify() checks each one's access
        )
    )


def vraagbaak_members(organisations: Iterable[Organisation]) -> list[User]:
    """Approved members who opted in as "vraagbaak" for these organisations."""
    ids = [o.id for o in organisations]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id.in_(ids),
                Membership.status == "approved",
                Membership.is_vraagbaak.is_(True),
            )
            .order_by(User.id)
            .options(selectinload(User.memberships))
        )
    )


def item_published(item: Item, actor=None) -> int:
    """Tell followers about a newly published item (idempotent: one notice per item)."""
    spec = kind_of(item)
    if item.status != "published" or not spec.announce:
        return 0  # e.g. questions: their service tells the people they are addressed to
    with force_locale("nl"):
        label = str(spec.label)
    return notify(
        followers(item, include_item=False),
        key=f"published:{item.id}",
        message=_l("Nieuw: %(kind)s '%(title)s' van %(org)s", kind=label.lower(), title=item.title,
                   org=item.organisation.name),
        item=item,
        url=item_url(item),
        actor=actor,
    )  # fmt: skip


def follow_item(user: User, item: Item) -> None:
    """Follow an item quietly (askers and answerers follow their question)."""
    if getattr(user, "id", None) is None:
        return
    exists = db.session.scalar(
        select(Follow.id).where(
            Follow.user_id == user.id, Follow.target_type == "item", Follow.target_id == item.id
        )
    )
    if not exists:
        db.session.add(Follow(user_id=user.id, target_type="item", target_id=item.id))


def item_followers(item: Item) -> list[User]:
    """Members following this one item (not its themes, organisation ...)."""
    user_ids = select(Follow.user_id).where(
        Follow.target_type == "item", Follow.target_id == item.id
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(user_ids))
            .order_by(User.id)
            .options(selectinload(User.memberships))
        )
    )


@signals.item_revised.connect
def _on_item_revised(item: Item, number: int, actor=None) -> None:
    """Tell the item's followers that a new version was saved."""
    notify(
        item_followers(item),
        key=f"revised:{item.id}:{number}",
        message=_l("Nieuwe versie van '%(title)s'", title=item.title),
        item=item,
        url=absolute_url("content.revisions", spec=item.kind, slug=item.slug),
        actor=actor,
    )


@signals.item_linked.connect
def _on_item_linked(link: ItemLink, actor=None) -> None:
    """Tell the followers of each linked item that knowledge was linked to it (without naming
    the other item, which a follower may not be allowed to see)."""
    for item in (link.source, link.target):
        if item.hidden_at is not None:
            continue
        notify(
            item_followers(item),
            key=f"linked:{link.source_id}:{link.target_id}:{item.id}",
            message=_l("Er is kennis gekoppeld aan '%(title)s'", title=item.title),
            item=item,
            url=item_url(item) + "#koppelingen",
            actor=actor,
        )


@signals.item_published.connect
def _on_item_published(item: Item, actor=None) -> None:
    item_published(item, actor=actor)


@signals.co_owner_invited.connect
def _on_co_owner_invited(item: Item, organisation: Organisation, actor=None) -> None:
    """Tell the invited organisation's editors and admins (the item's title is shown on their
    organisation's page, not in the notice, so a later hidden or restricted item leaves no trace
    in notices)."""
    editors = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.status == "approved",
            Membership.role.in_(("editor", "admin")),
        )
    ).all()
    notify(
        editors,
        key=f"co-owner:{item.id}:{organisation.id}",
        message=_l(
            "%(inviter)s vraagt %(organisation)s om mede-eigenaar van een kennisitem te worden",
            inviter=item.organisation.name,
            organisation=organisation.name,
        ),
        item=None,
        url=absolute_url("organisations.show", slug=organisation.slug) + "#uitnodigingen",
        actor=actor,
    )
