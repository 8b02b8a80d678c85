"""Styled, Dutch error pages (and JSON for /api/)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal.common import ServiceError
from portal.extensions import db, login_manager

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Ongeldig verzoek"), _("Het verzoek kon niet worden verwerkt.")),
        403: (_("Geen toegang"), _("U heeft geen toestemming om deze pagina te bekijken of deze handeling uit te voeren.")),
        404: (_("Pagina niet gevonden"), _("Deze pagina bestaat niet (meer). Controleer het adres of zoek verder via de zoekbalk.")),
        405: (_("Niet toegestaan"), _("Deze handeling is op deze pagina niet mogelijk.")),
        401: (_("Niet aangemeld"), _("Voor dit verzoek is een geldig API-token nodig.")),
        409: (_("Conflict"), _("Het verzoek botst met de huidige toestand van de gegevens.")),
        410: (_("Link verlopen"), _("Deze link werkt niet meer.")),
        413: (_("Bestand te groot"), _("Het verzonden bestand of formulier is te groot.")),
        415: (_("Verkeerd soort inhoud"), _("Het verzoek heeft een soort inhoud (Content-Type) die hier niet wordt aangenomen.")),
        422: (_("Ongeldige gegevens"), _("De gegevens in het verzoek zijn niet geldig.")),
        429: (_("Te veel verzoeken"), _("U heeft te veel verzoeken achter elkaar gedaan. Wacht even en probeer het dan opnieuw.")),
        503: (_("Even niet beschikbaar"), _("Het portaal kan de database nu niet bereiken of is erg druk. Probeer het over een minuut opnieuw; er is niets van u verloren gegaan.")),
        500: (_("Er ging iets mis"), _("Er ging aan onze kant iets mis. Probeer het later opnieuw; de beheerders zijn op de hoogte.")),
    }  # fmt: skip


def status_title(status: int) -> str:
    """The Dutch (or English) title of an HTTP error status, as the error pages head it."""
    return _messages().get(status, _messages()[500 if status >= 500 else 400])[0]


# Path prefix -> renderer(status, title, detail, field) for the errors under it, registered by
# the package that serves those paths (the REST API answers problem details).
ERROR_RENDERERS: dict[str, Callable[[int, str, str, str | None], Any]] = {}


def register_error_renderer(
    prefix: str, renderer: Callable[[int, str, str, str | None], Any]
) -> None:
    """Answer every error under the path prefix with renderer instead of the HTML page."""
    ERROR_RENDERERS[prefix] = renderer


def render_error(status: int, detail: str | None = None, *, field: str | None = None):
    title, message = _messages().get(status, _messages()[500 if status >= 500 else 400])
    for prefix in sorted(ERROR_RENDERERS, key=len, reverse=True):
        if request.path.startswith(prefix):
            return ERROR_RENDERERS[prefix](status, title, detail or message, field)
    if request.path.startswith("/api/"):
        return jsonify(error=title, detail=detail or message), status
    return render_template(
        "errors/error.html", status=status, title=title, message=detail or message
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _(
                "Het formulier is verlopen of ongeldig (beveiligingscode ontbreekt of klopt niet). Laad de pagina opnieuw en probeer het nog eens."
            ),
        )

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        return render_error(error.status, error.message, field=error.field)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # raised with its own answer (e.g. API problem details)
            return error.response
        response = make_response(render_error(error.code or 500))
        for name, value in error.get_headers():  # Allow (405), WWW-Authenticate (401) ...
            if name.lower() in ("allow", "www-authenticate", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        # Locked (SQLite busy past its timeout), unreachable or restarting: temporary, so 503.
        # SQLite reports schema faults ("no such column") as OperationalError too: those are bugs.
        if not _temporary(error):
            log.exception("Databasefout", exc_info=error)
            return _render_without_database(500)
        log.warning("Database niet beschikbaar: %s", error)
        response = _render_without_database(503)
        response[0].headers["Retry-After"] = "60"
        return response

    @app.errorhandler(500)
    def server_error(error: Exception):
        return _render_without_database(500)


def _temporary(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(word in text for word in ("locked", "busy", "unable to open", "disk i/o"))
    return True  # psycopg: connection refused, lost, server shutting down


def _render_without_database(status: int):
    """The error page, also when the database cannot be read: a failed flush leaves the session
    unusable and the page itself reads from the database (the signed-in member, the header's
    unread count), so roll back first, and if the page still fails, show it as to a visitor
    (in the visitor's language, which lives in the session cookie)."""
    try:
        db.session.rollback()
        page, code = render_error(status)
    except Exception:
        log.exception("Foutpagina zonder database")
        with contextlib.suppress(Exception):
            db.session.rollback()
        g._login_user = login_manager.anonymous_user()
        page, code = render_error(status)
    return make_response(page), code
