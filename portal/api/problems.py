"""RFC 9457 problem details: every error under /api/v1 as application/problem+json with a Dutch
`detail` (and `errors` per field where a field is to blame)."""

from __future__ import annotations

from http import HTTPStatus

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

PROBLEM_TYPE = "application/problem+json"


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict:
    if title is None:
        from portal.errors import status_title

        title = status_title(status) if status >= 400 else HTTPStatus(status).phrase
    body = {
        # A stable identifier per kind of problem: the docs page explains each status.
        "type": f"{request.host_url.rstrip('/')}/api/v1/docs#probleem-{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(problem_body(status, detail, title=title, errors=errors))
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class Problem(HTTPException):
    """Abort a request under /api/v1 with a problem-details response."""

    def __init__(self, status: int, detail: str, *, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(description=detail)
        self.code = status
        self.response = problem(status, detail, errors=errors, headers=headers)


def render(status: int, title: str, detail: str, field: str | None):
    """The app's error renderer for /api/v1 (portal.errors.register_error_renderer)."""
    errors = {field: [detail]} if field else None
    if status == 401 and not detail:
        detail = _("Voor dit verzoek is een geldig API-token nodig.")
    return problem(status, detail, title=title, errors=errors), status
