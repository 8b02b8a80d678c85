"""Form pieces every domain uses: the base form, Dutch messages and a helper to show service
errors."""

from __future__ import annotations

import re
from uuid import uuid4

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _FlaskFormCSRF
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from portal.common import ServiceError
from portal.extensions import db


def required() -> DataRequired:
    return DataRequired(message=_l("Dit veld is verplicht."))


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Dit veld mag hoogstens %(max)d tekens bevatten."))


class _TokenWhenShown:
    """A form's CSRF token, made when the form is shown (str()), not when the form is made."""

    def __init__(self, make) -> None:
        self._make, self._token = make, None

    def __str__(self) -> str:
        if self._token is None:
            self._token = self._make()
        return self._token


class _CSRFWhenShown(_FlaskFormCSRF):
    """Flask-WTF's CSRF, except that a form that is made but never shown (a member's buttons on
    a page an anonymous visitor reads) writes no token to the visitor's session: such pages stay
    the same for every visitor, so the page cache can keep them (portal/pagecache.py)."""

    def generate_csrf_token(self, csrf_token_field):
        return _TokenWhenShown(
            lambda: super(_CSRFWhenShown, self).generate_csrf_token(csrf_token_field)
        )


class PortalForm(FlaskForm):
    """Every form of the portal: Flask-WTF's, with its CSRF token made only when shown."""

    class Meta:
        csrf_class = _CSRFWhenShown


FORM_TOKEN_RE = re.compile(r"[0-9a-f]{32}")


def new_form_token() -> str:
    return uuid4().hex


class FormTokenField(HiddenField):
    """A random token made when a create form is first shown and kept while it is shown again
    after an error, so a second submit of the same form (a double click) is recognised.

    A missing or malformed token (a page from before the field) is replaced by a fresh one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, default=new_form_token, **kwargs)

    def process_formdata(self, valuelist) -> None:
        value = valuelist[0] if valuelist else ""
        self.data = value if FORM_TOKEN_RE.fullmatch(value) else new_form_token()


def _row_field(form: FlaskForm, name: str):
    """The field called name inside a form's repeating rows ('mvi-1-note'), with its row list."""
    from wtforms import FormField

    for rows in form:
        for entry in getattr(rows, "entries", None) or ():
            for sub in entry if isinstance(entry, FormField) else (entry,):
                if sub.name == name:
                    return rows, sub
    return None, None


def attach_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's refusal next to the field it concerns (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    rows = None
    if field is None and error.field:
        rows, field = _row_field(form, error.field)
    if field is not None:
        field.errors = [*field.errors, error.message]
        if rows is not None:  # the row list carries its rows' errors, as after validation
            rows.errors = [entry.errors for entry in rows.entries]
    else:
        form.form_errors.append(error.message)


def form_has_errors(form: object) -> bool:
    """Whether form would show an error summary: a form-level error or a field error other than
    the CSRF token's (a stale token is answered before the form is shown)."""

    if not isinstance(form, FlaskForm):
        return False
    return bool(form.form_errors) or any(
        name not in ("csrf_token", None) and messages for name, messages in form.errors.items()
    )


class Outcome:
    """What happened to a submitted form: done (committed) or not, and the status to answer."""

    def __init__(self, done: bool, status: int, value=None) -> None:
        self.done = done
        self.status = status
        self.value = value


def handle_form(form: FlaskForm, action) -> Outcome:
    """Validate form, run the service call, commit once; on refusal roll back and show why."""

    if not form.is_submitted():
        return Outcome(False, 200)
    if not form.validate():
        return Outcome(False, 400)
    try:
        value = action()
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        attach_error(form, error)
        return Outcome(False, error.status)
    return Outcome(True, 200, value)


def run_action(action) -> Outcome:
    """Run a service call behind a button-only form; commit once or roll back."""

    try:
        value = action()
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return Outcome(False, error.status, error.message)
    return Outcome(True, 200, value)


def choices(pairs) -> list:
    """Turn (value, label) pairs into WTForms SelectChoice objects."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(PortalForm):
    """A form with only a CSRF token and a button (verify, log out, request, leave)."""


def button_action(allowed: bool, action, success, target: str, *, failed=None):
    """Handle a button-only POST: 403 unless allowed, 400 without CSRF, run, flash, redirect.

    success: the message, or a function of the action's result giving (message, category).
    failed: a function of the outcome that answers a refusal itself (default: flash, redirect)."""
    from flask import abort, flash, redirect

    if not allowed:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = run_action(action)
    if not outcome.done:
        if failed is not None:
            return failed(outcome)
        flash(outcome.value, "error")
        return redirect(target)
    message, category = success(outcome.value) if callable(success) else (success, "success")
    flash(message, category)
    return redirect(target)


def handle_upload(form: FlaskForm, action) -> tuple[Outcome, list[str]]:
    """Handle a spreadsheet upload form: action(filename, content) reads and writes every row in
    one transaction (commit once), or nothing. Returns the outcome (its value: the action's
    result) and the file's problems, one Dutch line each, to show above the form."""
    from flask import current_app
    from flask_babel import gettext as _

    from portal.spreadsheets import UploadError

    if not form.is_submitted():
        return Outcome(False, 200), []
    if not form.validate():
        return Outcome(False, 400), []
    chosen = form.file.data
    if not getattr(chosen, "filename", None):
        form.file.errors = [_("Kies een bestand.")]
        return Outcome(False, 400), []
    content = chosen.read(current_app.config["MAX_CONTENT_LENGTH"])
    try:
        value = action(chosen.filename, content)
        db.session.commit()
    except UploadError as error:
        db.session.rollback()
        problems, status = error.problems, 400
    except ServiceError as error:
        db.session.rollback()
        problems, status = [error.message], error.status
    else:
        return Outcome(True, 200, value), []
    form.file.errors = [_("Er is niets opgeslagen: los de problemen hieronder op.")]
    return Outcome(False, status), problems
