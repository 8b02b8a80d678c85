"""Pagination of list pages (?pagina=N), shared by every list."""

from __future__ import annotations

from flask import abort, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from portal.extensions import db


def paginate(query: Select, per_page: int = 25) -> Pagination:
    raw = request.args.get("pagina", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        abort(404)
    return db.paginate(query, page=int(raw), per_page=per_page, error_out=True, count=True)
