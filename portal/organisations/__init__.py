from flask import Blueprint

from portal.pagecache import cache_pages

bp = Blueprint("organisations", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py

from portal.organisations import views  # noqa: E402, F401
