"""Schemathesis walks the OpenAPI schema against the WSGI app (no network server): no request,
however odd its parameters, may produce a 5xx, and every answer is one the document declares —
its status, its content type and a body matching its schema (what a generated client relies on).

NUL characters are left out of the generated input: the middleware refuses them with a plain-text
400 before the API is reached (tests/core/test_promise_a_nul_or_deep_json_is_a_400_never_a_500.py)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from testigo.api.api import api
from tests.conftest import examples


@pytest.fixture
def _keep_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handler would close the
    test transaction's connection; Django's test Client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.config.generation.update(allow_x00=False)


CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _call_and_check(case, headers: dict) -> None:
    from testigo.wsgi import application

    # Uncompressed: the WSGI transport does not undo GZipMiddleware.
    response = case.call(app=application, headers={"Accept-Encoding": "identity", **headers})
    assert response.status_code < 500, (case.method, case.path, case.query, response.text[:300])
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=examples(12), deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_never_answers_5xx_and_answers_as_documented(case, published_report, _keep_test_connection):
    _call_and_check(case, {})


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_staff_answers_are_as_documented(case, published_report, admin_user, _keep_test_connection):
    """The staff shapes (every status, contacts, notes, redactions) against the same document."""
    from testigo.api import services as token_services

    _token, raw = token_services.create_token(user=admin_user, name="schemathesis", scope="write", actor=admin_user)
    _call_and_check(case, {"Authorization": f"Bearer {raw}"})
