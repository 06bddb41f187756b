"""Promise: through the API too, only a role with the publish permission changes what the public
sees (issue #13: a volunteer's write token PATCHed a published report from restricted to public).

The API only translates the services' refusal: a 403 with code "forbidden" and a message saying
why, and nothing changes.
"""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer_token(make_user, token_for):
    return token_for(make_user(roles.VOLUNTEER, "vol"), "write")


def _patch(client, report, headers, **body):
    return client.patch(f"/api/v1/reports/{report.reference}", data=body, content_type="application/json",
                        HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_promise_volunteer_token_cannot_patch_visibility_to_public(client, world, volunteer_token):
    restricted = world["restricted"]
    response = _patch(client, restricted, volunteer_token, visibility="public")
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "forbidden" and "publish permission" in body["message"]
    restricted.refresh_from_db()
    assert restricted.visibility == Report.Visibility.RESTRICTED
    assert client.get(f"/api/v1/reports/{restricted.reference}").status_code == 404  # still not public


def test_promise_volunteer_token_cannot_patch_public_text(client, world, volunteer_token):
    response = _patch(client, world["public"], volunteer_token, title="Reescrito por un voluntario")
    assert response.status_code == 403
    assert client.get(f"/api/v1/reports/{world['public'].reference}").json()["title"] == "Robo publicado"


def test_promise_volunteer_token_cannot_archive_a_published_report(client, world, volunteer_token):
    url = f"/api/v1/reports/{world['public'].reference}/status"
    response = client.post(url, data={"status": "archived"}, content_type="application/json", **volunteer_token)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Report.objects.get(pk=world["public"].pk).status == Report.Status.PUBLISHED


def test_promise_publisher_token_can_patch_visibility_to_public(client, world, moderator, token_for):
    restricted = world["restricted"]
    response = _patch(client, restricted, token_for(moderator, "write"), visibility="public")
    assert response.status_code == 200 and response.json()["visibility"] == "public"
    assert client.get(f"/api/v1/reports/{restricted.reference}").status_code == 200  # now public


def test_volunteer_token_still_edits_an_unpublished_report(client, world, volunteer_token):
    response = _patch(client, world["new"], volunteer_token, title="Título corregido", visibility="restricted")
    assert response.status_code == 200 and response.json()["visibility"] == "restricted"
