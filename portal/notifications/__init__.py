"""Follows, notifications in the site and by e-mail (immediately or as a digest), unsubscribe."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from portal.notifications import views  # noqa: E402, F401
