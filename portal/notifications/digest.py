"""`flask notify digest`: one e-mail per member with the notices not yet mailed.

Safe to run twice: the digest mail is recorded in the outbox with its notices' ids, and a notice
counts as mailed (`mailed_at`) only once the mail server accepted that mail; until then a second run
skips the notices that a waiting mail already carries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.common import utcnow
from portal.content.models import Item
from portal.extensions import db
from portal.mail import absolute_url, mail_to
from portal.notifications.fanout import (
    mail_footer,
    notices_in_waiting_mail,
    unsubscribe_token,
)
from portal.notifications.models import Notification
from portal.permissions import can_list_item

MAX_PER_DIGEST = 50


def send_digests(frequency: str, now: datetime | None = None) -> tuple[int, int]:
    """Mail the members who chose this frequency ('daily' or 'weekly'); return (mails, notices)."""

    now = now or utcnow()
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.mailed_at.is_(None),
            Notification.created_at <= now,
            User.notify_email == frequency,
            User.email_verified_at.is_not(None),
        )
        .order_by(Notification.user_id, Notification.created_at)
        .with_for_update(of=Notification, skip_locked=True)
    ).all()
    per_user: dict[int, list[Notification]] = defaultdict(list)
    users: dict[int, User] = {}
    waiting = notices_in_waiting_mail()
    for notice, user in rows:
        if notice.id in waiting:
            continue
        per_user[user.id].append(notice)
        users[user.id] = user
    mails = notices = 0
    for user_id, items in per_user.items():
        user = users[user_id]
        visible = []
        for notice in items:
            target = db.session.get(Item, notice.item_id) if notice.item_id else None
            if notice.item_id is None or (target is not None and can_list_item(user, target)):
                visible.append(notice)
            else:
                notice.mailed_at = now  # the member may no longer see it: never mail it
        if not visible:
            continue

        def text(user: User = user, visible: list = visible) -> tuple[str, str]:
            lines = [f"- {n.message}\n  {n.url}" for n in visible[:MAX_PER_DIGEST]]
            if len(visible) > MAX_PER_DIGEST:
                lines.append(_("… en %(n)d meer op %(url)s", n=len(visible) - MAX_PER_DIGEST,
                               url=absolute_url("notifications.index")))  # fmt: skip
            subject = (
                _("Uw dagelijkse overzicht van het MVI-kennisportaal")
                if frequency == "daily"
                else _("Uw wekelijkse overzicht van het MVI-kennisportaal")
            )
            body = (_("Nieuw voor u sinds het vorige overzicht:") + "\n\n" + "\n".join(lines)
                    + "\n\n-- \n" + mail_footer(user))  # fmt: skip
            return subject, body

        mail_to(
            user,
            text,
            unsubscribe_url=absolute_url(
                "notifications.unsubscribe", token=unsubscribe_token(user)
            ),
            meta={"notice_ids": [n.id for n in visible]},
        )
        mails += 1
        notices += len(visible)
    db.session.flush()
    return mails, notices
