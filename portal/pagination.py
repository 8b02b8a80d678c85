"""Pagination of list pages (?pagina=N), shared by every list."""

from __future__ import annotations

from flask import abort, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from portal.common import whole_number
from portal.extensions import db


def paginate(query: Select, per_page: int = 25) -> Pagination:
    page = whole_number(request.args.get("pagina", "1"), 1, 10_000)
    if page is None:
        abort(404)
    return db.paginate(query, page=page, per_page=per_page, error_out=True, count=True)
