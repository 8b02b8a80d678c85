"""Home page, language switch and the header's lookup."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal import permissions
from portal.common import is_safe_redirect, same_site_request
from portal.content.kinds import kinds
from portal.content.queries import newest, published_items
from portal.events.queries import upcoming_events
from portal.extensions import csrf, db
from portal.mail import absolute_url
from portal.main import sitemap
from portal.main.navigation import main_menu
from portal.main.queries import home_figures, member_home
from portal.pagecache import cache_pages
from portal.taxonomy.models import Theme

bp = Blueprint("main", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py

HOME_KINDS = ("tender", "criterion")  # what buyers ask for first: examples, and criteria to reuse
HOME_NEWEST = 4


@bp.app_context_processor
def navigation() -> dict:
    return {"main_menu": main_menu}


@bp.route("/")
def home():
    """Lead with what buyers come for: the newest example tenders and criteria, the numbers
    that show what the portal holds, upcoming events apart; a member's own news after that."""
    return render_template(
        "main/home.html",
        figures=home_figures(current_user),
        newest={key: newest(published_items(current_user, kinds()[key].model), HOME_NEWEST)
                for key in HOME_KINDS},
        events=upcoming_events(current_user, limit=3),
        themes=db.session.scalars(
            select(Theme).where(Theme.is_active, Theme.is_core).order_by(Theme.position)
        ).all(),
        mine=member_home(current_user) if permissions.is_verified_member(current_user) else None,
    )  # fmt: skip


@bp.route("/taal", methods=["POST"])
@csrf.exempt
def set_language():
    """Switch the interface language. No CSRF token in the form, so that the pages of anonymous
    visitors are the same for all of them (portal/pagecache.py); instead a post another site made
    is refused, by what browsers say of its origin: its session cookie does not come along
    (SameSite=Lax), so answering it would replace a member's session with a new one (signed out,
    basket gone)."""
    if not same_site_request():
        abort(403)
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


XML = "application/xml; charset=utf-8"


@bp.route("/robots.txt")
def robots():
    """Everything public may be crawled; account, admin and form pages are nobody's result."""
    body = render_template("main/robots.txt", sitemap=absolute_url("main.sitemap_index"))
    return Response(body, mimetype="text/plain")


@bp.route("/sitemap.xml")
def sitemap_index():
    """The index of the sitemaps: the pages, then the public items in files of a fixed size."""
    files = [absolute_url("main.sitemap_pages")] + [
        absolute_url("main.sitemap_items", number=n) for n in range(1, sitemap.item_sitemaps() + 1)
    ]
    return Response(render_template("main/sitemap_index.xml", files=files), content_type=XML)


@bp.route("/sitemap-paginas.xml")
def sitemap_pages():
    body = render_template("main/sitemap.xml", entries=sitemap.page_entries())
    return Response(body, content_type=XML)


@bp.route("/sitemap-items-<int:number>.xml")
def sitemap_items(number: int):
    entries = sitemap.item_entries(number) if number >= 1 else []
    if not entries:
        abort(404)
    return Response(render_template("main/sitemap.xml", entries=entries), content_type=XML)
