"""The OpenAPI 3.1 description: valid (openapi-spec-validator), complete (every /api/v1 route
described, nothing described that is not routed), open to other packages (register_path), and
true (schemathesis against a live test server, anonymous and with a token: no server error,
every answer as described)."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from portal.api import openapi
from portal.extensions import db
from tests.api_helpers import bearer, make_token
from tests.factories import make_item
from tests.live import serving


def test_the_description_validates(client, world):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)
    assert response.json["openapi"] == "3.1.0"


def test_every_api_route_is_described_and_nothing_else(app):
    described = {
        (method.upper(), path)
        for path, operations in openapi.spec()["paths"].items()
        for method in operations
    }
    routed = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


def test_another_package_adds_its_path(client, world):
    operation = {"summary": "Proef", "responses": {"200": {"description": "ok"}}}
    openapi.register_path("/api/v1/proef/releases", "get", operation)
    try:
        spec = client.get("/api/v1/openapi.json").json
        assert spec["paths"]["/api/v1/proef/releases"]["get"]["summary"] == "Proef"
        validate(spec)
        assert "/api/v1/proef/releases" in client.get("/api/v1/docs").get_data(as_text=True)
    finally:
        openapi._PATHS.pop("/api/v1/proef/releases")
    with pytest.raises(ValueError):
        openapi.register_path("/elders", "get", operation)


def test_the_docs_page_lists_every_operation(client, world):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for method, path, _operation in openapi.operations():
        assert path in page and method in page
    assert 'id="probleem-422"' in page


@pytest.fixture
def api_server(app):
    """The test app on a free port of 127.0.0.1, in a thread (as tests/e2e's live_server)."""
    with serving(app) as url:
        yield url


# Per operation and user (API_FUZZ_EXAMPLES for a longer run): the fuzz takes about half a minute.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_description(
    app, api_server, world
):
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    make_item("tender", world.utrecht, world.utrecht_editor, title="Asfalt om te testen")
    make_item("lesson", world.heumen, title="Les om te testen", visibility="members")
    token = make_token(world.utrecht_editor)
    db.session.commit()
    app.config.update(API_LIMIT_PER_TOKEN="100000 per minute", API_LIMIT_PER_IP="100000 per minute")
    schema = schemathesis.openapi.from_url(f"{api_server}/api/v1/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]  # fmt: skip
    try:
        for headers in ({}, bearer(token)):
            for result in schema.get_all_operations():
                _fuzz(result.ok(), api_server, headers, checks)
    finally:
        app.config.update(API_LIMIT_PER_TOKEN="600 per minute", API_LIMIT_PER_IP="120 per minute")


def _fuzz(operation, base_url: str, headers: dict, checks: list) -> None:
    """Call one operation with EXAMPLES generated requests, valid and invalid ones (the same
    ones every run)."""
    from hypothesis import strategies
    from schemathesis import GenerationMode

    both = strategies.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))  # fmt: skip

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=both)
    def call(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    call()
