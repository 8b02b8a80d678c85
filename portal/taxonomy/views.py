"""Theme and product-group pages, and the administrators' vocabulary editor."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.extensions import db
from portal.forms import choices, handle_form
from portal.lookups import by_slug
from portal.pagecache import cache_pages
from portal.sections import sections_for
from portal.taxonomy import services
from portal.taxonomy.forms import form_class_for
from portal.taxonomy.models import VOCABULARIES, ProductCluster, ProductGroup, Theme, Vocabulary

bp = Blueprint("taxonomy", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py


@bp.route("/themas")
def themes():
    items = db.session.scalars(select(Theme).where(Theme.is_active).order_by(Theme.position)).all()
    return render_template(
        "taxonomy/themes.html",
        core=[t for t in items if t.is_core],
        related=[t for t in items if not t.is_core],
    )


@bp.route("/themas/<slug>")
def theme(slug: str):
    item = db.first_or_404(select(Theme).where(Theme.slug == slug))
    return render_template(
        "taxonomy/theme.html",
        theme=item,
        sections=sections_for("taxonomy.theme", theme=item, user=current_user),
    )


@bp.route("/productgroepen")
def product_groups():
    clusters = db.session.scalars(
        select(ProductCluster).where(ProductCluster.is_active).order_by(ProductCluster.position)
    ).all()
    return render_template("taxonomy/product_groups.html", clusters=clusters)


@bp.route("/productgroepen/<slug>")
def product_group(slug: str):
    item = db.first_or_404(select(ProductGroup).where(ProductGroup.slug == slug))
    return render_template(
        "taxonomy/product_group.html",
        group=item,
        sections=sections_for("taxonomy.product_group", group=item, user=current_user),
    )


# --- Administrators -----------------------------------------------------------------------


def _vocabulary(key: str) -> Vocabulary:
    if not permissions.can_edit_taxonomy(current_user):
        abort(403)
    vocabulary = VOCABULARIES.get(key)
    if vocabulary is None:
        abort(404)
    return vocabulary


def _values(form) -> dict:
    values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    if values.get("position") is None:
        values["position"] = 0
    if "cluster" in values:
        values["cluster"] = by_slug(ProductCluster, values["cluster"])
    return values


def _prepare(form) -> None:
    if hasattr(form, "cluster"):
        clusters = db.session.scalars(
            select(ProductCluster).order_by(ProductCluster.position)
        ).all()
        form.cluster.choices = choices([(c.slug, c.label) for c in clusters])


@bp.route("/beheer/lijsten")
@login_required
def vocabularies():
    if not permissions.can_edit_taxonomy(current_user):
        abort(403)
    return render_template("taxonomy/vocabularies.html", vocabularies=VOCABULARIES.values())


@bp.route("/beheer/lijsten/<key>")
@login_required
def vocabulary(key: str):
    vocabulary = _vocabulary(key)
    terms = db.session.scalars(
        select(vocabulary.model).order_by(vocabulary.model.position, vocabulary.model.name)
    ).all()
    return render_template("taxonomy/vocabulary.html", vocabulary=vocabulary, terms=terms)


@bp.route("/beheer/lijsten/<key>/nieuw", methods=["GET", "POST"])
@login_required
def create_term(key: str):
    vocabulary = _vocabulary(key)
    form = form_class_for(vocabulary)()
    _prepare(form)
    outcome = handle_form(
        form, lambda: services.create_term(vocabulary, _values(form), actor=current_user)
    )
    if outcome.done:
        flash(_("'%(name)s' is toegevoegd.", name=outcome.value.name), "success")
        return redirect(url_for("taxonomy.vocabulary", key=key))
    return render_template(
        "taxonomy/term_edit.html", vocabulary=vocabulary, form=form, term=None
    ), outcome.status


@bp.route("/beheer/lijsten/<key>/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit_term(key: str, slug: str):
    vocabulary = _vocabulary(key)
    term = db.first_or_404(select(vocabulary.model).where(vocabulary.model.slug == slug))
    form = form_class_for(vocabulary)(obj=None if request.method == "POST" else term)
    _prepare(form)
    if request.method == "GET" and hasattr(form, "cluster"):
        form.cluster.data = term.cluster.slug
    outcome = handle_form(
        form, lambda: services.update_term(vocabulary, term, _values(form), actor=current_user)
    )
    if outcome.done:
        flash(
            _(
                "'%(name)s' is opgeslagen. Het adres (%(slug)s) blijft hetzelfde.",
                name=term.name,
                slug=term.slug,
            ),
            "success",
        )
        return redirect(url_for("taxonomy.vocabulary", key=key))
    return render_template(
        "taxonomy/term_edit.html", vocabulary=vocabulary, form=form, term=term
    ), outcome.status
