"""Notifications page, follow buttons, e-mail settings and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import exists, func, select
from wtforms import RadioField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from portal import permissions
from portal.common import is_safe_redirect, whole_number
from portal.content.models import Item
from portal.extensions import csrf, db
from portal.forms import ConfirmForm, PortalForm, button_action, choices, handle_form, run_action
from portal.notifications import services
from portal.notifications.fanout import user_for_unsubscribe
from portal.notifications.models import FOLLOW_TARGETS, Follow, Notification, follow_models
from portal.pagination import paginate

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_count() -> dict:
    """The unread count in the header (one count query, only for signed-in members)."""

    def count() -> int:
        if not permissions.is_signed_in(current_user):
            return 0
        # Notices on moderator-hidden items are neither counted nor listed (see _visible).
        # Asked per notice (a primary-key look-up), not as a list of all hidden items: that list
        # read the whole items table on every page a member opened.
        hidden = exists().where(Item.id == Notification.item_id, Item.hidden_at.is_not(None))
        return db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == current_user.id,
                Notification.read_at.is_(None),
                ~hidden,
            )
        )

    def following(target_type: str, target_id: int) -> bool:
        if not permissions.is_signed_in(current_user):
            return False
        return (
            db.session.scalar(
                select(Follow.id).where(
                    Follow.user_id == current_user.id,
                    Follow.target_type == target_type,
                    Follow.target_id == target_id,
                )
            )
            is not None
        )

    return {"unread_notifications": count, "following": following}


def _visible(notices: list[Notification]) -> list[Notification]:
    """Access is checked again when shown: an item that became hidden leaves no trace (a
    moderator-hidden one not even for its editors, as in the unread count)."""
    shown = []
    for notice in notices:
        item = db.session.get(Item, notice.item_id) if notice.item_id else None
        if notice.item_id is None or (
            item and item.hidden_at is None and permissions.can_view_item(current_user, item)
        ):
            shown.append(notice)
    return shown


@bp.route("/meldingen")
@login_required
def index():
    page = paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30,
    )
    return render_template(
        "notifications/index.html", page=page, notices=_visible(page.items), form=ConfirmForm()
    )


@bp.route("/meldingen/gelezen", methods=["POST"])
@login_required
def read_all():
    return button_action(
        permissions.can_follow(current_user),
        lambda: services.mark_all_read(actor=current_user),
        _("Alle meldingen zijn gelezen."),
        url_for("notifications.index"),
    )


@bp.route("/meldingen/<int:notice_id>/gelezen", methods=["POST"])
@login_required
def read(notice_id: int):
    notice = db.session.get(Notification, notice_id)
    if notice is None:
        abort(404)
    return button_action(
        permissions.can_read_notification(current_user, notice),
        lambda: services.mark_read(notice, actor=current_user),
        _("Gemarkeerd als gelezen."),
        url_for("notifications.index"),
    )


@bp.route("/volgen", methods=["POST"])
@login_required
def toggle_follow():
    """Follow or unfollow (type + id from the button's hidden fields)."""
    target_type = request.form.get("type", "")
    target_id = whole_number(request.form.get("id", ""), 1)
    if target_type not in FOLLOW_TARGETS or target_id is None:
        abort(400)
    target = request.form.get("next", "")
    target = target if is_safe_redirect(target) else url_for("notifications.settings")
    if request.form.get("stop") == "1":
        return button_action(
            permissions.can_follow(current_user),
            lambda: services.unfollow(target_type, target_id, actor=current_user),
            _("U volgt dit niet meer."),
            target,
        )
    return button_action(
        permissions.can_follow(current_user),
        lambda: services.follow(target_type, target_id, actor=current_user),
        _("U volgt dit nu. Nieuws verschijnt bij uw meldingen."),
        target,
    )


class SettingsForm(PortalForm):
    frequency = RadioField(_l("Hoe wilt u meldingen per e-mail ontvangen?"), choices=[])
    vraagbaak = SelectMultipleField(
        _l("Vraagbaak voor"), coerce=int, widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )  # fmt: skip


def _follows() -> list[tuple[Follow, str, str]]:
    """The member's follows with a name and a link each."""
    models = follow_models()
    rows = []
    for follow in db.session.scalars(
        select(Follow).where(Follow.user_id == current_user.id).order_by(Follow.target_type)
    ):
        model, endpoint = models[follow.target_type]
        target = db.session.get(model, follow.target_id)
        if target is None:
            continue
        if follow.target_type == "item":
            if not permissions.can_view_item(current_user, target):
                continue
            link = url_for("content.show", spec=target.kind, slug=target.slug)
            rows.append((follow, target.title, link))
        else:
            rows.append(
                (follow, getattr(target, "label", target.name), url_for(endpoint, slug=target.slug))
            )
    return rows


@bp.route("/account/meldingen", methods=["GET", "POST"])
@login_required
def settings():
    if not permissions.can_change_notification_settings(current_user, current_user):
        abort(403)
    form = SettingsForm()
    form.frequency.choices = [
        ("immediate", _("Direct, per melding")), ("daily", _("Eén overzicht per dag")),
        ("weekly", _("Eén overzicht per week")), ("never", _("Geen e-mail (alleen in de site)")),
    ]  # fmt: skip
    memberships = [m for m in current_user.memberships if m.is_approved]
    form.vraagbaak.choices = choices(
        [(m.organisation_id, m.organisation.name) for m in memberships]
    )
    if request.method == "GET":
        form.frequency.data = current_user.notify_email
        form.vraagbaak.data = [m.organisation_id for m in memberships if m.is_vraagbaak]
    outcome = handle_form(
        form,
        lambda: services.update_settings(
            current_user, form.frequency.data or "", set(form.vraagbaak.data or []),
            actor=current_user,
        ),
    )  # fmt: skip
    if outcome.done:
        flash(_("Uw instellingen zijn bewaard."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", form=form, follows=_follows(), confirm_form=ConfirmForm()
    ), outcome.status


@bp.route("/afmelden/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail programs post here in one click (RFC 8058)
def unsubscribe(token: str):
    account = user_for_unsubscribe(token)
    if account is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 400
    if request.method == "POST":
        outcome = run_action(lambda: services.unsubscribe(account, actor=account))
        if not outcome.done:
            abort(outcome.status)
        return render_template("notifications/unsubscribe.html", done=True)
    return render_template("notifications/unsubscribe.html", token=token)
