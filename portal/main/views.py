"""Home page, language switch and the header's lookup."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from portal import permissions
from portal.accounts.forms import ConfirmForm
from portal.common import is_safe_redirect
from portal.content.models import Item
from portal.content.queries import published_items
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.main.queries import member_home
from portal.organisations.models import Organisation
from portal.regions.models import Region
from portal.taxonomy.models import Theme

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    counts = {
        "organisations": db.session.scalar(select(func.count(Organisation.id))),
        "regions": db.session.scalar(select(func.count(Region.id))),
        "groups": db.session.scalar(select(func.count(WorkingGroup.id))),
    }
    themes = db.session.scalars(
        select(Theme).where(Theme.is_active, Theme.is_core).order_by(Theme.position)
    ).all()
    newest = db.session.scalars(
        select(Organisation).order_by(Organisation.created_at.desc(), Organisation.name).limit(6)
    ).all()
    latest = db.session.scalars(
        published_items(current_user).order_by(Item.published_at.desc(), Item.id.desc()).limit(6)
    ).all()
    mine = None
    if permissions.is_verified_member(current_user):
        mine = member_home(current_user)
    return render_template(
        "main/home.html", counts=counts, themes=themes, newest=newest, latest=latest, mine=mine
    )


@bp.route("/taal", methods=["POST"])
def set_language():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    language = request.form.get("taal", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("main.home"))


@bp.route("/toegankelijkheid")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")
