"""The OpenAPI document says what every operation answers: a success body with its schema, and each
error that can occur with the one error body ({"code", "message", "detail"}), so a client generated
from it parses errors instead of raising. (tests/api/test_schemathesis.py checks that the answers
really are the declared ones.)"""

from __future__ import annotations

import pytest

from testigo.api.api import api

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1/")
OPERATIONS = [(method.upper(), path, op) for path, methods in SCHEMA["paths"].items() for method, op in methods.items()]
ERROR_REF = "#/components/schemas/Error"


def _expected_errors(method: str, op: dict) -> set[int]:
    """The 4xx an operation can give, from its shape (see api/errors.py and api/auth.py)."""
    params = op.get("parameters", [])
    expected = {401}  # a bad or revoked token, on every operation
    if any(p["in"] == "path" for p in params):
        expected.add(404)
    if any(p["in"] == "path" and p["schema"].get("type") == "integer" for p in params):
        expected.add(422)  # /layers/abc.geojson
    if any(p["in"] == "query" for p in params):
        expected.add(400)  # invalid_bbox, invalid_category, invalid_limit…
    if "requestBody" in op:
        expected |= {400, 403, 422}  # unreadable JSON; csrf_failed (session) or no right; invalid_input
    return expected


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _op in OPERATIONS])
def test_every_operation_declares_its_success_body_and_its_errors(method, path, op):
    responses = {int(status): answer for status, answer in op["responses"].items()}
    successes = {status: answer for status, answer in responses.items() if 200 <= status < 300}
    assert successes, "no 2xx declared"
    for answer in successes.values():
        assert answer.get("content"), "a 2xx without a body schema"
        for media in answer["content"].values():
            assert media["schema"].get("$ref") or media["schema"].get("type") or media["schema"].get("anyOf")

    errors = {status: answer for status, answer in responses.items() if 400 <= status < 500}
    assert _expected_errors(method, op) <= set(errors), f"undeclared errors: {_expected_errors(method, op) - set(errors)}"
    for answer in errors.values():
        assert answer["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}


def test_the_error_schema_is_what_the_api_writes(client):
    error = SCHEMA["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    assert set(error["properties"]) == {"code", "message", "detail"}

    written = client.get("/api/v1/reports", {"bbox": "1,2"}).json()
    assert set(written) == set(error["properties"])
    assert written["code"] == "invalid_bbox" and written["detail"] == {"param": "bbox"}
