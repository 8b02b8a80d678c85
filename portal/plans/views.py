"""Action plan pages beyond the shared item pages: copy a plan as the start of one's own, and the
yearly report for the board (a printable page and a DOCX)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.common import ServiceError, utcnow, whole_number
from portal.content.kinds import kinds
from portal.content.views import load_visible
from portal.extensions import db
from portal.forms import button_action
from portal.organisations.models import Organisation
from portal.plans import queries, services
from portal.plans.models import Plan
from portal.plans.report import report_docx

bp = Blueprint("plans", __name__)


def _load(slug: str) -> Plan:
    return load_visible(kinds()["plan"], slug)


@bp.route("/actieplannen/<slug>/overnemen", methods=["POST"])
@login_required
def copy(slug: str):
    """Start a draft plan of one's organisation from this plan, and open it to adapt."""
    plan = _load(slug)
    wanted = request.form.get("organisatie", "")
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == wanted))
    if organisation is None:
        raise ServiceError(_("Kies de organisatie waarvoor u het plan overneemt."), status=400)
    made: dict[str, str] = {}

    def copy_and_remember() -> Plan:
        copied = services.copy_plan(plan, organisation, actor=current_user)
        made["slug"] = copied.slug
        return copied

    response = button_action(
        permissions.can_copy_plan(current_user, plan, organisation),
        copy_and_remember,
        _("Het plan is overgenomen als concept van %(org)s. Pas het aan en publiceer het.", org=organisation.name),
        url_for("content.show", spec="plan", slug=plan.slug),
    )  # fmt: skip
    if "slug" in made:
        return redirect(url_for("content.edit", spec="plan", slug=made["slug"]))
    return response


def _report_year() -> int:
    raw = request.args.get("jaar", "").strip()
    year = whole_number(raw, 2000, 2100) if raw else utcnow().year
    if year is None:
        raise ServiceError(_("Onbekend jaar ‘%(value)s’.", value=raw[:20]), status=400)
    return year


@bp.route("/actieplannen/<slug>/rapportage")
def report(slug: str):
    """The plan's yearly report for the board: goals with progress, actions by status."""
    plan = _load(slug)
    year = _report_year()
    context = queries.report_context(plan, current_user, year)
    return render_template("plans/report.html", plan=plan, year=year, **context)


@bp.route("/actieplannen/<slug>/rapportage.docx")
def report_download(slug: str):
    """The same report as a Word document (DOCX) to send to the board."""
    plan = _load(slug)
    year = _report_year()
    context = queries.report_context(plan, current_user, year)
    buffer = io.BytesIO()
    report_docx(plan, year, context).save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f'attachment; filename="rapportage-{plan.slug}-{year}.docx"'
        },
    )
