from flask import Blueprint

bp = Blueprint("content", __name__)

from portal.content import views  # noqa: E402, F401
