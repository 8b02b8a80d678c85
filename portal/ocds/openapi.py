"""The OCDS release list as an OpenAPI 3.1 operation, for the API's description (/api/v1)."""

from __future__ import annotations

from portal.api.openapi import problem_responses, register_path

PATH = "/api/v1/ocds/releases"

RELEASE_PACKAGE_SCHEMA = (
    "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
)

OPERATION = {
    "get": {
        "operationId": "listOcdsReleases",
        "summary": "Alle zichtbare aanbestedingen als OCDS 1.1.5 release package",
        "description": (
            "Gepubliceerde en gearchiveerde aanbestedingen die de aanvrager mag openen, oudste "
            "eerst, als OCDS-releases met de extensies voor biedingen, percelen en "
            "gunningscriteria (zie `extensions` in het pakket). Volgende pagina: de `Link`-header "
            "(rel=next) en `links.next` in het pakket."
        ),
        "tags": ["OCDS"],
        "externalDocs": {"url": RELEASE_PACKAGE_SCHEMA},
        "parameters": [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
            },
        ],
        "responses": {
            "200": {
                "description": "Een OCDS release package (een pagina).",
                "headers": {
                    "Link": {
                        "description": "RFC 8288: rel=first, prev, next en last.",
                        "schema": {"type": "string"},
                    }
                },
                "content": {
                    "application/json": {
                        "schema": {
                            "description": (
                                "An OCDS 1.1.5 release package (release-package-schema.json), with "
                                "the pagination extension's links; validated against the OCDS "
                                "schema in tests/test_ocds_export.py (no network needed)."
                            ),
                            "type": "object",
                            "required": [
                                "uri",
                                "version",
                                "publishedDate",
                                "publisher",
                                "releases",
                            ],
                            "properties": {
                                "uri": {"type": "string", "format": "uri"},
                                "version": {"type": "string", "const": "1.1"},
                                "publishedDate": {"type": "string", "format": "date-time"},
                                "publisher": {"type": "object"},
                                "extensions": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "uri"},
                                },
                                "releases": {"type": "array", "items": {"type": "object"}},
                                "links": {
                                    "type": "object",
                                    "properties": {
                                        "next": {"type": "string", "format": "uri"},
                                        "prev": {"type": "string", "format": "uri"},
                                    },
                                },
                            },
                        },
                    }
                },
            },
            "304": {"description": "Ongewijzigd (If-None-Match)"},
            **problem_responses(400, 401, 404, 429, 500),
        },
    }
}

register_path(PATH, "get", OPERATION["get"])
