"""The criteria basket: collect criteria while reading, then download them as Word or Markdown."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.accounts.forms import ConfirmForm
from portal.content.views import load_visible, wanted_on
from portal.criteria.basket import BASKET_SIZE, basket_ids
from portal.criteria.export import basket_docx, basket_markdown
from portal.criteria.kind import SPEC
from portal.criteria.models import Criterion
from portal.extensions import db
from portal.sections import add_section

bp = Blueprint("criteria", __name__)


@bp.route("/criteria/<slug>/mandje", methods=["POST"])
@login_required
def basket_toggle(slug: str):
    item = load_visible(SPEC, slug)
    if not permissions.can_mark_item(current_user, item) or not ConfirmForm().validate_on_submit():
        abort(403)
    basket = basket_ids()
    wanted = wanted_on()
    if wanted is None:  # a button from before it said which (it toggles)
        wanted = item.id not in basket
    if not wanted:
        if item.id in basket:
            basket.remove(item.id)
        flash(_("Uit het mandje gehaald."), "success")
    elif item.id in basket:
        flash(_("In het mandje gelegd."), "success")  # a second click: it is there once
    elif len(basket) >= BASKET_SIZE:
        flash(_("Het mandje is vol (100 criteria)."), "error")
    else:
        basket.append(item.id)
        flash(_("In het mandje gelegd."), "success")
    session["basket"] = basket
    return redirect(
        request.form.get("next")
        if request.form.get("next", "").startswith("/mandje")
        else url_for("content.show", spec=SPEC, slug=slug)
    )


def _basket_items() -> list[Criterion]:
    ids = basket_ids()
    rows = db.session.scalars(select(Criterion).where(Criterion.id.in_(ids))).all() if ids else []
    return [
        c
        for c in sorted(rows, key=lambda c: ids.index(c.id))
        if permissions.can_view_item(current_user, c)
    ]


@bp.route("/mandje")
@login_required
def basket():
    return render_template(
        "criteria/basket.html", items=_basket_items(), confirm_form=ConfirmForm()
    )


@bp.route("/mandje.<fmt>")
@login_required
def basket_download(fmt: str):
    items = _basket_items()
    if not items:
        abort(404)
    if fmt == "md":
        return current_app.response_class(
            basket_markdown(items), mimetype="text/markdown; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=mvi-criteria.md"},
        )  # fmt: skip
    if fmt == "docx":
        return send_file(basket_docx(items), as_attachment=True, download_name="mvi-criteria.docx",
                         mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")  # fmt: skip
    abort(404)


@add_section("accounts.account", "criteria/_account_section.html", order=35)
def _account_basket(user) -> dict:
    return {"count": len(basket_ids())}


@add_section("content.overview", "criteria/_overview_basket.html", order=10)
def _overview_basket(user) -> dict | None:
    """The basket beside the knowledge overview, for members who can use it."""
    if not permissions.is_signed_in(user):
        return None
    return {"count": len(basket_ids())}


@add_section("header", "criteria/_header_basket.html")
def _header_basket(user) -> dict | None:
    """A link to the basket in every page's header while it holds criteria."""
    if not permissions.is_signed_in(user):
        return None
    count = len(basket_ids())
    return {"count": count} if count else None
