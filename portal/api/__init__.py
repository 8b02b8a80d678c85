"""The REST API v1 (/api/v1): items, organisations and vocabularies as JSON, writes with
personal API tokens, an OpenAPI 3.1 description and its human-readable page."""

from flask import Blueprint

bp = Blueprint("api", __name__)
