"""Token scopes: read tokens read, write tokens write, revoked tokens and strangers are refused."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from testigo.api import services as token_services
from testigo.api.models import ApiToken
from testigo.api.services import hash_token


@pytest.mark.django_db
def test_read_token_can_get_but_not_patch(client, world, moderator, token_for):
    headers = token_for(moderator, "read")
    url = f"/api/v1/reports/{world['new'].reference}"
    assert client.get(url, **headers).status_code == 200
    response = client.patch(url, data={"title": "Cambiado"}, content_type="application/json", **headers)
    assert response.status_code == 403 and response.json()["code"] == "read_only_token"
    world["new"].refresh_from_db()
    assert world["new"].title == "Nuevo sin revisar"


@pytest.mark.django_db
def test_write_token_can_patch_change_status_and_add_notes(client, world, moderator, token_for):
    headers = token_for(moderator, "write")
    url = f"/api/v1/reports/{world['new'].reference}"
    response = client.patch(url, data={"title": "Título corregido"}, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Título corregido"
    response = client.post(url + "/status", data={"status": "verified"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["status"] == "verified"
    response = client.post(url + "/status", data={"status": "new"}, content_type="application/json", **headers)
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    response = client.post(url + "/notes", data={"text": "Llamamos a la fuente"}, content_type="application/json",
                           **headers)
    assert response.status_code == 201
    notes = client.get(url + "/notes", **token_for(moderator, "read")).json()["items"]
    assert [n["text"] for n in notes] == ["Llamamos a la fuente"]


@pytest.mark.django_db
def test_revoked_token_gets_401(client, world, moderator):
    token, raw = token_services.create_token(user=moderator, name="old", scope="write", actor=moderator)
    token_services.revoke_token(token=token, actor=moderator)
    response = client.get("/api/v1/reports", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


@pytest.mark.django_db
def test_anonymous_cannot_patch_or_read_notes(client, world):
    url = f"/api/v1/reports/{world['public'].reference}"
    response = client.patch(url, data={"title": "Hackeado"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get(url + "/notes").status_code == 401
    assert client.get("/api/v1/reports", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


@pytest.mark.django_db
def test_session_write_needs_csrf(world, moderator):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    url = f"/api/v1/reports/{world['new'].reference}"
    response = strict.patch(url, data={"title": "Sin CSRF"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert strict.get(url).json()["status"] == "new"  # reads need no CSRF token


@pytest.mark.django_db
def test_token_command_prints_a_token_stored_only_as_hash(moderator):
    out = io.StringIO()
    call_command("token", "add", "--user", moderator.username, "--scope", "write", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(user=moderator)
    assert token.scope == "write" and token.token_hash == hash_token(raw)
    assert raw not in token.token_hash
