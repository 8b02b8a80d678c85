"""The moderators' queue and audit log, and the report form for answers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import TextAreaField

from portal import permissions
from portal.content.models import Item, Report
from portal.extensions import db
from portal.forms import PortalForm, button_action, handle_form, max_length, required
from portal.moderation import services
from portal.moderation.models import ACTIONS, ModerationLog
from portal.pagination import paginate
from portal.questions.models import Answer
from portal.questions.views import answer_button, answer_url, load_answer

bp = Blueprint("moderation", __name__)


class FlagForm(PortalForm):
    reason = TextAreaField(
        _l("Waarom moet een moderator hiernaar kijken?"), validators=[required(), max_length(2000)]
    )


@bp.route("/antwoorden/<int:answer_id>/melden", methods=["GET", "POST"])
@login_required
def flag(answer_id: int):
    answer = load_answer(answer_id)
    if not permissions.can_flag_answer(current_user, answer):
        abort(403)
    form = FlagForm()
    outcome = handle_form(
        form, lambda: services.flag_answer(answer, form.reason.data or "", actor=current_user)
    )
    if outcome.done:
        flash(_("Dank u. Een moderator kijkt ernaar."), "success")
        return redirect(answer_url(answer))
    return render_template("moderation/flag.html", form=form, answer=answer), outcome.status


@bp.route("/antwoorden/<int:answer_id>/verbergen", methods=["POST"])
@login_required
def hide_answer(answer_id: int):
    """Hide an answer (kept, restorable) or restore it, from the question page."""
    answer = load_answer(answer_id)
    hidden = request.form.get("verbergen", "1") == "1"
    return answer_button(
        answer, permissions.can_moderate_answer(current_user, answer),
        lambda: services.set_answer_hidden(answer, hidden, actor=current_user),
        _("Antwoord verborgen.") if hidden else _("Antwoord hersteld."),
    )  # fmt: skip


@bp.route("/moderatie")
@login_required
def queue():
    """Open reports, or (?toon=verborgen) the hidden items and answers, each with a restore button."""
    if not permissions.can_moderate(current_user):
        abort(403)
    if request.args.get("toon") == "verborgen":
        page = paginate(
            select(Item).where(Item.hidden_at.is_not(None)).order_by(Item.hidden_at.desc()),
            per_page=30,
        )
        hidden_answers = db.session.scalars(
            select(Answer).where(Answer.hidden_at.is_not(None)).order_by(Answer.hidden_at.desc())
            .limit(50)
        ).all()  # fmt: skip
        return render_template("moderation/hidden.html", page=page, hidden_answers=hidden_answers)
    page = paginate(
        select(Report).where(Report.status == "open").order_by(Report.created_at), per_page=30
    )
    answers = {
        a.id: a
        for a in db.session.scalars(
            select(Answer).where(Answer.id.in_([r.answer_id for r in page.items if r.answer_id]))
        )
    }
    return render_template("moderation/queue.html", page=page, answers=answers)


def _item(item_id: int) -> Item:
    return db.session.get(Item, item_id) or abort(404)


@bp.route("/moderatie/items/<int:item_id>/verbergen", methods=["POST"])
@login_required
def hide_item(item_id: int):
    item = _item(item_id)
    return button_action(
        permissions.can_moderate_item(current_user, item),
        lambda: services.hide_item(item, request.form.get("reason", ""), actor=current_user),
        _("Verborgen en vastgelegd in het logboek."),
        url_for("content.show", spec=item.kind, slug=item.slug),
    )


@bp.route("/moderatie/items/<int:item_id>/terugzetten", methods=["POST"])
@login_required
def restore_item(item_id: int):
    item = _item(item_id)
    return button_action(
        permissions.can_moderate_item(current_user, item),
        lambda: services.restore_item(item, request.form.get("note", ""), actor=current_user),
        _("Hersteld en vastgelegd in het logboek."),
        url_for("moderation.queue", toon="verborgen"),
    )


@bp.route("/moderatie/antwoorden/<int:answer_id>/terugzetten", methods=["POST"])
@login_required
def restore_answer(answer_id: int):
    answer = db.session.get(Answer, answer_id) or abort(404)
    return button_action(
        permissions.can_moderate_answer(current_user, answer),
        lambda: services.set_answer_hidden(answer, False, actor=current_user),
        _("Hersteld en vastgelegd in het logboek."),
        url_for("moderation.queue", toon="verborgen"),
    )


@bp.route("/moderatie/meldingen/<int:report_id>/<action>", methods=["POST"])
@login_required
def resolve(report_id: int, action: str):
    report = db.session.get(Report, report_id)
    if report is None or action not in ACTIONS:
        abort(404)
    messages = {
        "hide": _("Verborgen en vastgelegd in het logboek."),
        "restore": _("Hersteld en vastgelegd in het logboek."),
        "dismiss": _("Melding afgewezen en vastgelegd in het logboek."),
    }
    return button_action(
        permissions.can_resolve_report(current_user, report),
        lambda: services.resolve_report(
            report, action, request.form.get("note", ""), actor=current_user
        ),
        messages[action],
        url_for("moderation.queue"),
    )


@bp.route("/moderatie/logboek")
@login_required
def log():
    if not permissions.can_moderate(current_user):
        abort(403)
    page = paginate(
        select(ModerationLog).order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc()),
        per_page=50,
    )
    return render_template("moderation/log.html", page=page)
