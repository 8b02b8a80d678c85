"""The site administrators' overview: lists to edit and membership requests nobody can decide."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.extensions import db
from portal.organisations.models import Membership
from portal.taxonomy.models import VOCABULARIES

bp = Blueprint("admin", __name__)


@bp.route("/beheer")
@login_required
def dashboard():
    if not permissions.can_administer_site(current_user):
        abort(403)
    pending = db.session.scalars(
        select(Membership).where(Membership.status == "pending").order_by(Membership.created_at)
    ).all()
    # Requests for organisations without an approved admin wait for a site administrator.
    orphaned = [
        m for m in pending
        if not any(o.is_approved and o.role == "admin" for o in m.organisation.memberships)
    ]  # fmt: skip
    return render_template(
        "admin/dashboard.html", vocabularies=VOCABULARIES.values(), orphaned=orphaned
    )
