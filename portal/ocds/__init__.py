"""OCDS (Open Contracting Data Standard) export and import of tenders."""

from flask import Blueprint

bp = Blueprint("ocds", __name__)

from portal.ocds import views  # noqa: E402, F401 - registers the routes
