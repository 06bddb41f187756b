"""The source's session: expires, survives nothing, and never breaks on stale state."""

from __future__ import annotations

import re
import time

from testigo.tipline import services, sourcesession
from testigo.tipline.models import Source


def _login(client, codename):
    page = client.get("/tip/login/")
    token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
    return client.post("/tip/login/", {"token": token, "codename": codename})


def test_source_session_expires_after_idle_minutes(client, tip_admin, settings, monkeypatch):
    _access, codename = services.submit_tip(body="hola", files=[], language="en")
    assert _login(client, codename).status_code == 302
    assert client.get("/tip/conversation/").status_code == 200
    later = time.time() + settings.TIP_SOURCE_SESSION_MINUTES * 60 + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/tip/conversation/")["Location"] == "/tip/login/"


def test_purged_conversation_with_live_cookie_goes_back_to_login(client, tip_admin):
    _access, codename = services.submit_tip(body="hola", files=[], language="en")
    _login(client, codename)
    services.purge_source(source=Source.objects.get())
    response = client.get("/tip/conversation/")
    assert response.status_code == 302 and response["Location"] == "/tip/login/"


def test_tampered_tip_cookie_is_ignored(client, tip_admin):
    client.cookies[sourcesession.COOKIE] = "eyJzb3VyY2VfaWQiOjF9:forged:signature"
    assert client.get("/tip/conversation/")["Location"] == "/tip/login/"


def test_logout_forgets_the_source(client, tip_admin):
    _access, codename = services.submit_tip(body="hola", files=[], language="en")
    _login(client, codename)
    page = client.get("/tip/conversation/")
    token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
    assert client.post("/tip/logout/", {"token": token}).status_code == 200
    assert client.get("/tip/conversation/")["Location"] == "/tip/login/"


def test_staff_tipkey_cookie_is_secure_over_https(client, tip_admin):
    response = client.post("/console/login/", {"username": tip_admin.username, "password": "correct horse battery"},
                           secure=True)
    cookie = response.cookies["tipkey"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
