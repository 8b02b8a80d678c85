"""Tender calendar: the tenders organisations plan, who else plans the same, and joint buying.

Planned tenders are not knowledge items: no revisions, no search, no slug."""

from flask import Blueprint

bp = Blueprint("planning", __name__)

from portal.planning import views  # noqa: E402, F401
