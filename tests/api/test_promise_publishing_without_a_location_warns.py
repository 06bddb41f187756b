"""Through the API too, publishing a report with no location succeeds but the answer carries a
warning that it will not appear on the map (code "no_location", message in the request's language)."""

from __future__ import annotations

import pytest

from testigo.reports import services

pytestmark = pytest.mark.django_db


def _publish(client, report, headers, language="es"):
    return client.post(f"/api/v1/reports/{report.reference}/status", data={"status": "published"},
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **headers)


def test_promise_api_publish_without_location_answers_with_a_warning(client, report_factory, admin_user,
                                                                     moderator, token_for):
    report = services.verify(report=report_factory(lat=None, lon=None), actor=admin_user)
    response = _publish(client, report, token_for(moderator, "write"))
    assert response.status_code == 200 and response.json()["status"] == "published"
    [warning] = response.json()["warnings"]
    assert warning["code"] == "no_location"
    assert warning["message"].startswith("Publicado, pero no tiene ubicación: no aparecerá en el mapa.")


def test_api_publish_with_a_location_has_no_warning(client, report_factory, admin_user, moderator, token_for):
    report = services.verify(report=report_factory(), actor=admin_user)
    response = _publish(client, report, token_for(moderator, "write"), language="en")
    assert response.status_code == 200 and response.json()["warnings"] == []
