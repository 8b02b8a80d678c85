"""Full-text search: Dutch analysis, engines behind one seam, index on commit. All `import whoosh`
stays inside this package."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from portal.search import views  # noqa: E402, F401
