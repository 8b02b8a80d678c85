from flask import Blueprint

from portal.pagecache import cache_pages

bp = Blueprint("groups", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py

from portal.groups import views  # noqa: E402, F401
