"""MVI monitor: every tender an organisation ran, as a light record (members only, never searched)."""

from flask import Blueprint

bp = Blueprint("monitor", __name__)

from portal.monitor import views  # noqa: E402, F401
