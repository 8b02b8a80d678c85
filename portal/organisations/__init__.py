from flask import Blueprint

bp = Blueprint("organisations", __name__)

from portal.organisations import views  # noqa: E402, F401
