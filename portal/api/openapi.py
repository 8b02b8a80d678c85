"""The OpenAPI 3.1 description of /api/v1, kept by hand beside the code and built from a
registry: each view module registers its paths (`register_path`), and other packages add theirs
the same way (e.g. an export package its `/api/v1/ocds/...`), so this module names none of them.
tests/test_api_openapi.py checks that every /api/v1 route is described and the whole validates."""

from __future__ import annotations

import copy
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")

_PATHS: dict[str, dict[str, dict[str, Any]]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {}


def register_path(path: str, method: str, operation: dict[str, Any]) -> None:
    """Describe one operation: path as in OpenAPI ("/api/v1/items/{slug}"), method ("get"),
    operation an OpenAPI Operation Object (summary, parameters, responses ...). Registering the
    same path and method again replaces it."""
    method = method.lower()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if not path.startswith("/api/v1/"):
        raise ValueError(f"{path!r} is not under /api/v1/")
    _PATHS.setdefault(path, {})[method] = operation


def register_schema(name: str, schema: dict[str, Any]) -> None:
    """Add a named schema to components.schemas (referred to as #/components/schemas/<name>)."""
    _SCHEMAS[name] = schema


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_responses(*statuses: int) -> dict[str, Any]:
    """Responses for the given error statuses, each a problem-details object."""
    return {str(status): {"$ref": f"#/components/responses/Problem{status}"} for status in statuses}


ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503)

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` in Dutch.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Per field (a JSON key, or `body`), what is wrong with it.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def spec(server_url: str = "/") -> dict[str, Any]:
    """The whole description (a fresh copy)."""
    responses = {
        f"Problem{status}": {
            "description": f"Problem details ({status})",
            "content": {"application/problem+json": {"schema": ref("Problem")}},
        }
        for status in ERROR_STATUSES
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MVI-kennisportaal REST API",
            "version": "1.0.0",
            "description": (
                "Lees en schrijf de kennis van het MVI-kennisportaal: voorbeeldaanbestedingen, "
                "criteria, marktconsultaties, lessen, actieplannen, bijeenkomsten en vragen, "
                "organisaties en vocabulaires. Lezen mag zonder token (u ziet dan wat een "
                "bezoeker ziet); met een persoonlijk API-token (Authorization: Bearer ...) "
                "ziet en doet u precies wat uw account mag."
            ),
        },
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Persoonlijk API-token (mvi_...)",
                }
            },
            "schemas": {"Problem": PROBLEM, **copy.deepcopy(_SCHEMAS)},
            "responses": responses,
        },
        "security": [{}, {"token": []}],
        "paths": {
            path: dict(sorted(ops.items())) for path, ops in sorted(copy.deepcopy(_PATHS).items())
        },
    }


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every registered operation, in path order (the docs page)."""
    return [
        (method.upper(), path, operation)
        for path, ops in sorted(_PATHS.items())
        for method, operation in sorted(ops.items())
    ]
