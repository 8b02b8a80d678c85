"""Account pages: register, verify, log in/out, reset, account settings, delete."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from portal.accounts.models import User
from portal.common import is_safe_redirect, normalize_email, whole_number
from portal.extensions import db, limiter
from portal.forms import choices, handle_form, run_action
from portal.lookups import by_slug, by_slugs
from portal.sections import sections_for
from portal.taxonomy.models import JobRole, Theme

bp = Blueprint("accounts", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the id carries the session token, so changed passwords log out."""
    raw_id, _sep, token = user_id.partition(":")
    number = whole_number(raw_id)
    if number is None:
        return None
    user = db.session.get(User, number)
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _mail_limit() -> str:
    return current_app.config["MAIL_LIMIT_PER_IP"]


def _next_url(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_redirect(target) else default


@bp.route("/registreren", methods=["GET", "POST"])
@limiter.limit(_mail_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    outcome = handle_form(
        form,
        lambda: services.register_user(
            form.email.data, form.password.data, form.name.data, actor=current_user
        ),
    )
    if outcome.done:
        # The same answer whether the address was free or not (then its owner got a notice), and
        # no sign-in: a session cookie would tell the two apart.
        flash(
            _(
                "We hebben een e-mail gestuurd naar %(email)s. Volg de link daarin om verder te "
                "gaan; daarna kunt u hier inloggen.",
                email=normalize_email(form.email.data),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form), outcome.status


@bp.route("/bevestigen/<token>", methods=["GET", "POST"])
def verify(token: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = run_action(lambda: services.verify_email(token, actor=current_user))
        if not outcome.done:
            return render_template(
                "accounts/token_error.html", message=outcome.value
            ), outcome.status
        user = outcome.value
        flash(_("Uw e-mailadres is bevestigd."), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("accounts.account"))
        return redirect(url_for("accounts.login"))
    # A button, not a GET side effect: mail scanners that open links do not use up the token.
    return render_template("accounts/verify.html", form=form)


@bp.route("/account/bevestiging-opnieuw", methods=["POST"])
@login_required
@limiter.limit(_mail_limit)
def resend_verification():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = run_action(lambda: services.resend_verification(current_user, actor=current_user))
    if outcome.done:
        flash(_("We hebben een nieuwe bevestigingslink gestuurd."), "success")
    else:
        flash(outcome.value, "error")
    return redirect(url_for("accounts.account"))


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url(url_for("main.home")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    outcome = handle_form(
        form,
        lambda: services.authenticate(
            form.email.data, form.password.data, request.remote_addr or "", actor=current_user
        ),
    )
    if outcome.done:
        login_user(outcome.value, remember=form.remember.data)
        flash(_("U bent ingelogd."), "success")
        return redirect(_next_url(url_for("main.home")))
    return render_template("accounts/login.html", form=form), outcome.status


@bp.route("/uitloggen", methods=["POST"])
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        # A new session token: this session cookie and the remember-me cookie stop working even
        # if someone kept a copy (the account's other devices are signed out as well).
        run_action(lambda: services.end_sessions(current_user, actor=current_user))
    logout_user()
    flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("main.home"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(_mail_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, actor=current_user)
        db.session.commit()
        flash(
            _(
                "Als er een account bij dit adres hoort, hebben we een link gestuurd om een nieuw wachtwoord te kiezen."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/forgot_password.html", form=form
    ), 400 if form.is_submitted() else 200


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    outcome = handle_form(
        form, lambda: services.reset_password(token, form.password.data, actor=current_user)
    )
    if outcome.done:
        logout_user()
        flash(_("Uw wachtwoord is gewijzigd. Log in met uw nieuwe wachtwoord."), "success")
        return redirect(url_for("accounts.login"))
    if form.form_errors:  # the token itself was refused: forged, used or expired
        return render_template(
            "accounts/token_error.html", message=form.form_errors[0]
        ), outcome.status
    return render_template("accounts/reset_password.html", form=form), outcome.status


def _profile_form(user: User) -> ProfileForm:
    form = ProfileForm(obj=None if request.method == "POST" else user)
    roles = db.session.scalars(
        select(JobRole).where(JobRole.is_active).order_by(JobRole.position)
    ).all()
    themes = db.session.scalars(select(Theme).where(Theme.is_active).order_by(Theme.position)).all()
    form.job_role.choices = choices(
        [("", _("— geen keuze —"))] + [(r.slug, r.label) for r in roles]
    )
    form.expertise.choices = choices([(t.slug, t.label) for t in themes])
    if request.method == "GET":
        form.job_role.data = user.job_role.slug if user.job_role else ""
        form.expertise.data = [t.slug for t in user.expertise]
    return form


@bp.route("/account")
@login_required
def account():
    return render_template(
        "accounts/account.html",
        confirm_form=ConfirmForm(),
        sections=sections_for("accounts.account", user=current_user),
    )


@bp.route("/account/profiel", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = _profile_form(current_user)

    def save() -> None:
        role = by_slug(JobRole, form.job_role.data)
        themes = by_slugs(Theme, form.expertise.data)
        services.update_profile(
            current_user,
            name=form.name.data,
            job_role=role,
            bio=form.bio.data or "",
            expertise=list(themes),
            language=form.language.data or None,
            actor=current_user,
        )

    outcome = handle_form(form, save)
    if outcome.done:
        session.pop("lang", None)  # the header's earlier switch gives way to the chosen language
        flash(_("Uw profiel is opgeslagen."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/profile.html", form=form), outcome.status


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    outcome = handle_form(
        form,
        lambda: services.change_password(
            current_user, form.current_password.data, form.password.data, actor=current_user
        ),
    )
    if outcome.done:
        login_user(
            current_user._get_current_object()
        )  # new session token: keep this session signed in
        flash(_("Uw wachtwoord is gewijzigd. Andere apparaten zijn uitgelogd."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form), outcome.status


@bp.route("/account/e-mailadres", methods=["GET", "POST"])
@login_required
@limiter.limit(_mail_limit, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    outcome = handle_form(
        form,
        lambda: services.request_email_change(
            current_user, form.email.data, form.password.data, actor=current_user
        ),
    )
    if outcome.done:
        flash(
            _(
                "We hebben een bevestigingslink naar het nieuwe adres gestuurd. Uw adres verandert zodra u die volgt."
            ),
            "success",
        )
        return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form), outcome.status


@bp.route("/account/e-mailadres/bevestigen/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = run_action(lambda: services.confirm_email_change(token, actor=current_user))
        if not outcome.done:
            return render_template(
                "accounts/token_error.html", message=outcome.value
            ), outcome.status
        user = outcome.value
        logout_user()
        flash(
            _("Uw e-mailadres is gewijzigd in %(email)s. Log opnieuw in.", email=user.email),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_email.html", form=form)


@bp.route("/account/verwijderen", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    outcome = handle_form(
        form, lambda: services.delete_account(current_user, form.password.data, actor=current_user)
    )
    if outcome.done:
        logout_user()
        flash(
            _(
                "Uw account is verwijderd. Wat u heeft gedeeld blijft staan onder de naam van uw organisatie."
            ),
            "success",
        )
        return redirect(url_for("main.home"))
    return render_template("accounts/delete.html", form=form), outcome.status
