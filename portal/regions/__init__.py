from flask import Blueprint

bp = Blueprint("regions", __name__)

from portal.regions import views  # noqa: E402, F401
