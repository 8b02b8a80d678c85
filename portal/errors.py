"""Styled, Dutch error pages (and JSON for /api/)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.common import ServiceError
from portal.extensions import db


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Ongeldig verzoek"), _("Het verzoek kon niet worden verwerkt.")),
        403: (_("Geen toegang"), _("U heeft geen toestemming om deze pagina te bekijken of deze handeling uit te voeren.")),
        404: (_("Pagina niet gevonden"), _("Deze pagina bestaat niet (meer). Controleer het adres of zoek verder via de zoekbalk.")),
        405: (_("Niet toegestaan"), _("Deze handeling is op deze pagina niet mogelijk.")),
        410: (_("Link verlopen"), _("Deze link werkt niet meer.")),
        413: (_("Bestand te groot"), _("Het verzonden bestand of formulier is te groot.")),
        429: (_("Te veel verzoeken"), _("U heeft te veel verzoeken achter elkaar gedaan. Wacht even en probeer het dan opnieuw.")),
        500: (_("Er ging iets mis"), _("Er ging aan onze kant iets mis. Probeer het later opnieuw; de beheerders zijn op de hoogte.")),
    }  # fmt: skip


def render_error(status: int, detail: str | None = None):
    title, message = _messages().get(status, _messages()[500 if status >= 500 else 400])
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
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def server_error(error: Exception):
        # A failed flush leaves the session unusable, and the page itself reads from the
        # database (the header's unread count): roll back first, or the error page fails too.
        db.session.rollback()
        return render_error(500)
