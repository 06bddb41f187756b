"""Schemathesis walks the OpenAPI schema against the WSGI app (no network server): no request,
however odd its parameters, may produce a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

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


@schema.parametrize()
@settings(max_examples=examples(12), deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_never_answers_5xx(case, published_report, _keep_test_connection):
    from testigo.wsgi import application

    response = case.call(app=application)
    assert response.status_code < 500, (case.method, case.path, case.query, response.text[:300])
