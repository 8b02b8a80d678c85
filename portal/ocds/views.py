"""OCDS pages: one tender as a release, every readable tender as a release package (/api/v1),
and the upload that imports releases as draft tenders."""

from __future__ import annotations

from flask import abort, json, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal import permissions
from portal.api.problems import problem
from portal.common import whole_number
from portal.content.linked_data import Alternate, register_alternate
from portal.content.views import load_visible
from portal.extensions import db
from portal.forms import handle_upload
from portal.ocds import bp, openapi, queries, services  # noqa: F401 - openapi registers
from portal.ocds.forms import OcdsUploadForm
from portal.tenders.kind import SPEC as TENDERS
from portal.tenders.models import mvi_term_names

PER_PAGE = 50
MAX_PER_PAGE = 100

# A tender's page links its release (rel="alternate"); content does not know this package.
register_alternate(
    Alternate(TENDERS.key, "application/json", _l("OCDS-release"),
              lambda tender: url_for("ocds.release", slug=tender.slug))
)  # fmt: skip


def _json(data: dict, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=None) + "\n", status=status, mimetype=mimetype
    )


@bp.route(f"/{TENDERS.url}/<slug>.ocds.json")
def release(slug: str):
    tender = load_visible(TENDERS, slug)
    response = _json(queries.release(tender))
    response.headers["Content-Disposition"] = f'inline; filename="{tender.slug}.ocds.json"'
    return response


def _page_argument(name: str, default: int, high: int) -> int | None:
    raw = request.args.get(name)
    return default if raw in (None, "") else whole_number(raw, 1, high)


@bp.route("/api/v1/ocds/releases")
def releases():
    page = _page_argument("page", 1, 10_000)
    per_page = _page_argument("per_page", PER_PAGE, MAX_PER_PAGE)
    if page is None or per_page is None:
        return problem(
            400,
            _(
                "'page' moet een geheel getal van 1 tot 10000 zijn en 'per_page' een geheel "
                "getal van 1 tot %(n)d.",
                n=MAX_PER_PAGE,
            ),
        )
    pages = db.paginate(
        queries.readable_tenders(current_user), page=page, per_page=per_page, error_out=False
    )
    if page > 1 and page > (pages.pages or 1):
        return problem(
            404,
            _("Deze pagina bestaat niet (er zijn %(n)d pagina's).", n=pages.pages or 1),
        )

    def address(number: int) -> str:
        return url_for("ocds.releases", page=number, per_page=per_page, _external=True)

    links = {}
    if pages.has_next:
        links["next"] = address(page + 1)
    if pages.has_prev:
        links["prev"] = address(page - 1)
    names = mvi_term_names()
    package = queries.release_package(
        [queries.release(tender, names) for tender in pages.items], address(page), links
    )
    response = _json(package)
    header = [f'<{address(1)}>; rel="first"', f'<{address(pages.pages or 1)}>; rel="last"']
    header += [f'<{url}>; rel="{rel}"' for rel, url in links.items()]
    response.headers["Link"] = ", ".join(header)
    return response


@bp.route(f"/{TENDERS.url}/importeren-ocds", methods=["GET", "POST"])
@login_required
def upload():
    if not permissions.can_import_ocds(current_user):
        abort(403)
    form = OcdsUploadForm()
    outcome, problems = handle_upload(
        form,
        lambda name, content: services.import_ocds(content, actor=current_user, filename=name),
    )
    summary = outcome.value
    status = summary.status if outcome.done else outcome.status
    return render_template(
        "ocds/upload.html", form=form, summary=summary, problems=problems
    ), status
