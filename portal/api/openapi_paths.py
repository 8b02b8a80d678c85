"""The description of the API's own operations (portal/api/views.py), registered like any other
package registers its paths (portal.api.openapi.register_path)."""

from __future__ import annotations

from portal.api.openapi import problem_responses, ref, register_path, register_schema

NULLABLE_STRING = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": {"type": "string"}}

register_schema("OrganisationRef", {
    "type": "object",
    "required": ["slug", "name", "url"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "url": {"type": "string"}},
})  # fmt: skip

ITEM_PROPERTIES = {
    "slug": {"type": "string"},
    "kind": {"type": "string", "description": "tender, criterion, consultation, lesson, plan, event of question"},
    "external_id": {"type": "string"},
    "title": {"type": "string"},
    "summary": {"type": "string"},
    "organisation": ref("OrganisationRef"),
    "co_owners": {"type": "array", "items": ref("OrganisationRef")},
    "themes": STRINGS,
    "product_groups": STRINGS,
    "tags": STRINGS,
    "year": {"type": ["integer", "null"]},
    "status": {"enum": ["draft", "published", "archived"]},
    "visibility": {"enum": ["public", "members", "group"]},
    "published_at": NULLABLE_STRING,
    "updated_at": NULLABLE_STRING,
    "url": {"type": "string"},
    "web_url": {"type": "string"},
}  # fmt: skip
register_schema("ItemSummary", {
    "type": "object", "required": list(ITEM_PROPERTIES), "properties": ITEM_PROPERTIES,
})  # fmt: skip
register_schema("Attachment", {
    "type": "object",
    "required": ["id", "name", "content_type", "size", "url"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "content_type": {"type": "string"},
        "size": {"type": "integer"}, "created_at": NULLABLE_STRING, "url": {"type": "string"},
    },
})  # fmt: skip
register_schema("Answer", {
    "type": "object",
    "required": ["id", "body", "body_html", "created_at", "accepted", "verified"],
    "properties": {
        "id": {"type": "integer"}, "body": {"type": "string"}, "body_html": {"type": "string"},
        "author": NULLABLE_STRING, "organisation": NULLABLE_STRING, "created_at": NULLABLE_STRING,
        "accepted": {"type": "boolean"}, "verified": {"type": "boolean"},
        "useful_count": {"type": "integer"}, "linked_items": STRINGS,
    },
})  # fmt: skip
register_schema("Item", {
    "type": "object",
    "required": [*ITEM_PROPERTIES, "body", "body_html", "fields", "attachments"],
    "properties": {
        **ITEM_PROPERTIES,
        "body": {"type": "string", "description": "Markdown"},
        "body_html": {"type": "string"},
        "group": NULLABLE_STRING,
        "reviewed_at": NULLABLE_STRING,
        "fields": {"type": "object", "description": "De eigen velden van de soort (aanbesteding: cpv_codes, procedure, mvi, bids, results ...)."},
        "attachments": {"type": "array", "items": ref("Attachment")},
        "answers": {"type": "array", "items": ref("Answer")},
    },
})  # fmt: skip
INPUT_PROPERTIES = {
    "title": {"type": "string", "maxLength": 200},
    "summary": {"type": "string"},
    "body": {"type": "string", "description": "Markdown"},
    "themes": STRINGS,
    "product_groups": STRINGS,
    "tags": STRINGS,
    "year": {"type": ["integer", "null"]},
    "status": {"type": "string", "enum": ["draft", "published", "archived"]},
    "visibility": {"type": "string", "enum": ["public", "members", "group"]},
    "group": NULLABLE_STRING,
    "co_owners": STRINGS,
    "reviewed_at": {"type": ["string", "null"], "description": "JJJJ-MM-DD"},
    "fields": {"type": "object", "description": "De eigen velden van de soort, zoals GET ze geeft."},
}  # fmt: skip
register_schema("ItemCreate", {
    "type": "object",
    "required": ["kind", "organisation", "title"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": ["tender", "criterion", "consultation", "lesson", "plan", "event"]},
        "organisation": {"type": "string", "description": "slug van een organisatie waarvoor u publiceert"},
        **INPUT_PROPERTIES,
    },
})  # fmt: skip
register_schema("ItemUpdate", {
    "type": "object", "additionalProperties": False, "properties": INPUT_PROPERTIES,
    "description": "Alleen de meegegeven velden veranderen; een ongewijzigde update maakt geen versie.",
})  # fmt: skip
register_schema("QuestionCreate", {
    "type": "object", "required": ["title", "body"], "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 10, "maxLength": 200},
        "body": {"type": "string", "minLength": 1},
        "themes": STRINGS, "product_groups": STRINGS, "addressed_to": STRINGS,
        "region": {"type": ["string", "null"]}, "group": {"type": ["string", "null"]},
        "visibility": {"type": "string", "enum": ["public", "members", "group"]},
    },
})  # fmt: skip
register_schema("AnswerCreate", {
    "type": "object", "required": ["body"], "additionalProperties": False,
    "properties": {"body": {"type": "string", "minLength": 1}, "linked_items": STRINGS},
})  # fmt: skip
register_schema("Organisation", {
    "type": "object",
    "required": ["slug", "name", "url", "type", "regions", "web_url"],
    "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "url": {"type": "string"},
        "type": {"type": "string"}, "size_class": NULLABLE_STRING, "website": {"type": "string"},
        "description": {"type": "string"}, "regions": STRINGS, "web_url": {"type": "string"},
    },
})  # fmt: skip
register_schema("Term", {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "name_en": NULLABLE_STRING,
        "description": {"type": "string"}, "active": {"type": "boolean"},
    },
})  # fmt: skip
register_schema("Region", {
    "type": "object",
    "required": ["slug", "name", "kind"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"},
                   "kind": {"type": "string"}, "description": {"type": "string"}},
})  # fmt: skip
PAGE_LINKS = {
    "type": "object",
    "required": ["first", "last"],
    "properties": {rel: {"type": "string"} for rel in ("first", "prev", "next", "last")},
}


def _page_of(schema: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages", "links"],
        "properties": {
            "items": {"type": "array", "items": ref(schema)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "links": PAGE_LINKS,
        },
    }


register_schema("ItemPage", _page_of("ItemSummary"))
register_schema("OrganisationPage", _page_of("Organisation"))


def _json(schema: str, description: str, **headers) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
    }
    if headers:
        response["headers"] = {name: {"schema": {"type": "string"}, "description": text}
                               for name, text in headers.items()}  # fmt: skip
    return response


def _list(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"],
                "properties": {"items": {"type": "array", "items": ref(schema)}}}}}}  # fmt: skip


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}  # fmt: skip


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
PAGING = [
    _query("page", "Paginanummer (1-10000)", {"type": "integer", "minimum": 1, "maximum": 10000}),
    _query("per_page", "Aantal per pagina (1-100, standaard 25)", {"type": "integer", "minimum": 1, "maximum": 100}),
]  # fmt: skip
READ_PROBLEMS = (400, 401, 404, 429, 500)
WRITE_PROBLEMS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503)
PAGED = "Een pagina; de kop Link wijst naar first, prev, next en last."

register_path("/api/v1/items", "get", {
    "operationId": "listItems",
    "summary": "Items zoeken en bladeren",
    "description": "Alle items die u mag zien (zonder token: wat een bezoeker ziet), met dezelfde filters als de lijsten en de zoekpagina. Met kind erbij ook de eigen filters van die soort (bijv. procedure).",
    "parameters": [
        _query("kind", "Soort: tender, criterion, consultation, lesson, plan, event of question"),
        _query("q", "Zoekwoorden (zoals op de zoekpagina; volgorde: relevantie)"),
        _query("thema", "Slug van een thema"),
        _query("productgroep", "Slug van een productgroep"),
        _query("regio", "Slug van een regio"),
        _query("organisatie", "Slug van een (mede-)eigenaar"),
        _query("organisatietype", "Slug van een soort organisatie"),
        _query("jaar", "Jaar (1-9999)"),
        _query("sorteer", "nieuw, nuttig of bekeken (bij sommige soorten ook datum)"),
        *PAGING,
    ],
    "responses": {"200": _json("ItemPage", PAGED, Link="RFC 8288-links", ETag="Versie van het antwoord"),
                  "304": {"description": "Ongewijzigd (If-None-Match)"},
                  **problem_responses(*READ_PROBLEMS, 503)},
})  # fmt: skip
register_path("/api/v1/items", "post", {
    "operationId": "createItem",
    "summary": "Een item plaatsen",
    "description": "Met een token dat mag schrijven; als concept of gepubliceerd, met dezelfde controles als het formulier op de website. Een vraag stelt u met POST /api/v1/questions.",
    "security": [{"token": []}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ItemCreate")}}},
    "responses": {"201": _json("Item", "Het geplaatste item", Location="Adres van het item"),
                  **problem_responses(*WRITE_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/items/{slug}", "get", {
    "operationId": "getItem",
    "summary": "Eén item met de eigen velden van zijn soort",
    "description": "Aanbestedingen met hun MVI-rijen, inschrijvingen en resultaten; vragen met hun antwoorden; met bijlagen.",
    "parameters": [SLUG],
    "responses": {"200": _json("Item", "Het item", ETag="Versie van het antwoord"),
                  "301": {"description": "Het item heeft een nieuwe slug"},
                  "304": {"description": "Ongewijzigd (If-None-Match)"},
                  **problem_responses(*READ_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/items/{slug}", "patch", {
    "operationId": "updateItem",
    "summary": "Een item bijwerken",
    "description": "Alleen de meegegeven velden; fields wordt per veld samengevoegd. Een update die niets verandert, maakt geen nieuwe versie.",
    "security": [{"token": []}],
    "parameters": [SLUG],
    "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ItemUpdate")}}},
    "responses": {"200": _json("Item", "Het bijgewerkte item"),
                  "308": {"description": "Het item heeft een nieuwe slug"},
                  **problem_responses(*WRITE_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/items/{slug}/attachments", "post", {
    "operationId": "addAttachment",
    "summary": "Een bijlage toevoegen",
    "description": "multipart/form-data met het bestand in het veld file; dezelfde grenzen en controles als op de website (PDF, Word, ODT, Excel ...).",
    "security": [{"token": []}],
    "parameters": [SLUG],
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}}}}}},
    "responses": {"201": _json("Attachment", "De toegevoegde bijlage"),
                  "308": {"description": "Het item heeft een nieuwe slug"},
                  **problem_responses(*WRITE_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/items/{slug}/answers", "post", {
    "operationId": "answerQuestion",
    "summary": "Een vraag beantwoorden",
    "security": [{"token": []}],
    "parameters": [SLUG],
    "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AnswerCreate")}}},
    "responses": {"201": _json("Answer", "Het antwoord"),
                  "308": {"description": "Het item heeft een nieuwe slug"},
                  **problem_responses(*WRITE_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/questions", "post", {
    "operationId": "askQuestion",
    "summary": "Een vraag stellen",
    "description": "Zoals op /vragen/nieuw: onder uw organisatie, direct gepubliceerd; volgers en de organisaties waaraan u de vraag richt (addressed_to: slugs) krijgen een melding.",
    "security": [{"token": []}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": ref("QuestionCreate")}}},
    "responses": {"201": _json("Item", "De gestelde vraag", Location="Adres van de vraag"),
                  **problem_responses(*WRITE_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/organisations", "get", {
    "operationId": "listOrganisations",
    "summary": "Organisaties",
    "parameters": PAGING,
    "responses": {"200": _json("OrganisationPage", PAGED, Link="RFC 8288-links"),
                  "304": {"description": "Ongewijzigd (If-None-Match)"},
                  **problem_responses(*READ_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/organisations/{slug}", "get", {
    "operationId": "getOrganisation",
    "summary": "Eén organisatie",
    "parameters": [SLUG],
    "responses": {"200": _json("Organisation", "De organisatie"),
                  "304": {"description": "Ongewijzigd (If-None-Match)"},
                  **problem_responses(*READ_PROBLEMS)},
})  # fmt: skip
for path, operation_id, summary, schema in (
    ("/api/v1/themes", "listThemes", "Thema's", "Term"),
    ("/api/v1/product-groups", "listProductGroups", "Productgroepen", "Term"),
    ("/api/v1/regions", "listRegions", "Regio's", "Region"),
):
    register_path(path, "get", {
        "operationId": operation_id, "summary": summary,
        "responses": {"200": _list(schema, summary), "304": {"description": "Ongewijzigd (If-None-Match)"},
                      **problem_responses(*READ_PROBLEMS)},
    })  # fmt: skip
register_path("/api/v1/openapi.json", "get", {
    "operationId": "getOpenApi",
    "summary": "Deze beschrijving (OpenAPI 3.1)",
    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "304": {"description": "Ongewijzigd (If-None-Match)"},
                  **problem_responses(*READ_PROBLEMS)},
})  # fmt: skip
register_path("/api/v1/docs", "get", {
    "operationId": "getDocs",
    "summary": "Deze beschrijving als webpagina",
    "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
                  **problem_responses(404, 500)},
})  # fmt: skip
