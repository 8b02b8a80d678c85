"""Reports and moderator decisions. Every decision is written to the audit log. Services flush,
never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from portal.common import ServiceError, clean_text, utcnow
from portal.content.models import Item, Report
from portal.extensions import db
from portal.moderation.models import ACTIONS, ModerationLog
from portal.notifications.models import Notification
from portal.permissions import (
    Actor,
    authorized_by,
    can_flag_answer,
    can_moderate_answer,
    can_moderate_item,
    can_resolve_report,
)
from portal.questions.models import Answer


@authorized_by(can_flag_answer)
def flag_answer(answer: Answer, reason: str, *, actor: Actor) -> Report:
    """Report an answer to the moderators, with a reason."""
    text = clean_text(reason, limit=2000, field="reason", label=_("de reden"), required=True)
    report = Report(
        item_id=answer.question_id, answer_id=answer.id, reporter_id=actor.id, reason=text
    )
    db.session.add(report)
    db.session.flush()
    return report


def _hide_answer(answer: Answer, hidden: bool) -> None:
    answer.hidden_at = utcnow() if hidden else None
    if hidden:
        answer.accepted_at = None
        # Its notices ("… beantwoordde …", accepted, verified) go too; a restore does not resend.
        keys = [f"{kind}:{answer.id}" for kind in ("answer", "accepted", "verified")]
        db.session.execute(delete(Notification).where(Notification.key.in_(keys)))


def _close_reports(item_id: int, answer_id: int | None, status: str) -> None:
    """Close every open report on this item (answer_id None) or on this answer."""
    for report in db.session.scalars(
        select(Report).where(
            Report.item_id == item_id,
            Report.answer_id.is_(None) if answer_id is None else Report.answer_id == answer_id,
            Report.status == "open",
        )
    ):
        report.status = status


def _log(actor: Actor, action: str, item_id: int, answer_id: int | None, subject: str,
         note: str = "") -> None:  # fmt: skip
    db.session.add(
        ModerationLog(
            moderator_id=getattr(actor, "id", None), moderator_name=getattr(actor, "name", "Systeem"),
            action=action, item_id=item_id, answer_id=answer_id, subject=subject[:300],
            note=clean_text(note, limit=2000, field="note", label=_("de toelichting")),
        )
    )  # fmt: skip


@authorized_by(can_moderate_answer)
def set_answer_hidden(answer: Answer, hidden: bool, *, actor: Actor) -> None:
    """Hide an answer (kept, restorable) or restore it, from the question page; hiding also
    settles its open reports. Logged like every decision."""
    _hide_answer(answer, hidden)
    if hidden:
        _close_reports(answer.question_id, answer.id, "resolved")
    _log(
        actor, "hide" if hidden else "restore", answer.question_id, answer.id, answer.body_md[:120]
    )
    db.session.flush()


def _hide_item(item: Item, hidden: bool, reason: str = "") -> None:
    """Set or clear the moderator's mark; the item's own status stays what its editors made it."""
    item.hidden_at = utcnow() if hidden else None
    item.hidden_reason = reason if hidden else ""


@authorized_by(can_moderate_item)
def hide_item(item: Item, reason: str = "", *, actor: Actor) -> None:
    """Hide an item: 404 to all but moderators and its editors, out of every list, search and feed;
    its open reports are settled. Its editors cannot undo it; only restore_item does."""
    if item.hidden_at is not None:
        raise ServiceError(_("Dit item is al verborgen."), status=409)
    text = clean_text(reason, limit=2000, field="reason", label=_("de reden"))
    _hide_item(item, True, text)
    _close_reports(item.id, None, "resolved")
    _log(actor, "hide", item.id, None, item.title, text)
    db.session.flush()


@authorized_by(can_moderate_item)
def restore_item(item: Item, note: str = "", *, actor: Actor) -> None:
    """Make a hidden item visible again (as far as its status and visibility allow); logged."""
    if item.hidden_at is None:
        raise ServiceError(_("Dit item is niet verborgen."), status=409)
    _hide_item(item, False)
    _log(actor, "restore", item.id, None, item.title, note)
    db.session.flush()


@authorized_by(can_resolve_report)
def resolve_report(report: Report, action: str, note: str = "", *, actor: Actor) -> None:
    """Hide what was reported (an answer, or the item: hidden_at, not its status), restore it, or
    dismiss the report; close every open report on the same thing; log the decision."""
    if action not in ACTIONS:
        raise ServiceError(_("Onbekende moderatiehandeling."), status=400)
    if report.status != "open":
        raise ServiceError(_("Deze melding is al afgehandeld."), status=409)
    answer = db.session.get(Answer, report.answer_id) if report.answer_id else None
    item = report.item
    if answer is not None and action in ("hide", "restore"):
        _hide_answer(answer, action == "hide")
    elif action == "hide":
        # Without a note the editors read the report's reason (never the reporter's name).
        reason = clean_text(note, limit=2000, field="note", label=_("de toelichting"))
        _hide_item(item, True, reason or report.reason)
    elif action == "restore":
        _hide_item(item, False)
    report.status = "dismissed" if action == "dismiss" else "resolved"
    _close_reports(item.id, report.answer_id, report.status)
    subject = answer.body_md[:120] if answer is not None else item.title
    _log(actor, action, item.id, report.answer_id, subject, note)
    db.session.flush()
