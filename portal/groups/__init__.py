from flask import Blueprint

bp = Blueprint("groups", __name__)

from portal.groups import views  # noqa: E402, F401
