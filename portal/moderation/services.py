"""Reports and moderator decisions. Every decision is written to the audit log. Services flush,
never commit."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.common import ServiceError, clean_text, utcnow
from portal.content.models import Report
from portal.extensions import db
from portal.moderation.models import ACTIONS, ModerationLog
from portal.permissions import Actor, authorized_by, can_flag_answer, can_resolve_report
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


@authorized_by(can_resolve_report)
def resolve_report(report: Report, action: str, note: str = "", *, actor: Actor) -> None:
    """Hide what was reported (an answer, or the item by archiving it), restore it, or dismiss the
    report; close every open report on the same thing; log the decision."""
    if action not in ACTIONS:
        raise ServiceError(_("Onbekende moderatiehandeling."), status=400)
    answer = db.session.get(Answer, report.answer_id) if report.answer_id else None
    item = report.item
    if action == "hide":
        if answer is not None:
            answer.hidden_at = utcnow()
            answer.accepted_at = None
        else:
            item.status = "archived"
    elif action == "restore":
        if answer is not None:
            answer.hidden_at = None
        else:
            item.status = "published"
            item.published_at = item.published_at or utcnow()
    same = db.session.scalars(
        db.select(Report).where(
            Report.item_id == report.item_id,
            Report.answer_id.is_(None) if answer is None else Report.answer_id == answer.id,
            Report.status == "open",
        )
    ).all()
    for open_report in {report, *same}:
        open_report.status = "dismissed" if action == "dismiss" else "resolved"
    subject = (answer.body_md[:120] if answer is not None else item.title)[:300]
    db.session.add(
        ModerationLog(
            moderator_id=getattr(actor, "id", None), moderator_name=getattr(actor, "name", "Systeem"),
            action=action, item_id=item.id, answer_id=answer.id if answer else None,
            subject=subject, note=clean_text(note, limit=2000, field="note", label=_("de toelichting")),
        )
    )  # fmt: skip
    db.session.flush()
