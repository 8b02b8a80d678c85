from flask import Blueprint

bp = Blueprint("taxonomy", __name__)

from portal.taxonomy import views  # noqa: E402, F401
