"""Region pages: all regions, one region with its organisations and working groups."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.extensions import db
from portal.forms import handle_form
from portal.pagecache import cache_pages
from portal.regions import services
from portal.regions.forms import RegionForm
from portal.regions.models import Region
from portal.sections import sections_for

bp = Blueprint("regions", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py


def _load(slug: str) -> Region:
    return db.first_or_404(select(Region).where(Region.slug == slug))


@bp.route("/regios")
def index():
    regions = db.session.scalars(select(Region).order_by(Region.name)).all()
    return render_template(
        "regions/index.html",
        networks=[r for r in regions if r.kind == "netwerk"],
        provinces=[r for r in regions if r.kind == "provincie"],
    )


@bp.route("/regios/<slug>")
def show(slug: str):
    region = _load(slug)
    return render_template(
        "regions/show.html", region=region, sections=sections_for("regions.show", region=region)
    )


@bp.route("/regios/nieuw", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_manage_regions(current_user):
        abort(403)
    form = RegionForm()
    outcome = handle_form(
        form,
        lambda: services.create_region(
            form.name.data, form.kind.data, form.description.data or "", actor=current_user
        ),
    )
    if outcome.done:
        flash(_("De regio is aangemaakt."), "success")
        return redirect(url_for("regions.show", slug=outcome.value.slug))
    return render_template("regions/edit.html", form=form, region=None), outcome.status


@bp.route("/regios/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    region = _load(slug)
    if not permissions.can_manage_regions(current_user):
        abort(403)
    form = RegionForm(obj=None if request.method == "POST" else region)
    outcome = handle_form(
        form,
        lambda: services.update_region(
            region, form.name.data, form.kind.data, form.description.data or "", actor=current_user
        ),
    )
    if outcome.done:
        flash(_("De regio is opgeslagen."), "success")
        return redirect(url_for("regions.show", slug=region.slug))
    return render_template("regions/edit.html", form=form, region=region), outcome.status
