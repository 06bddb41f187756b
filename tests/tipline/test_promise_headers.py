"""Promise 5: strict headers on every tip-line response."""

from __future__ import annotations

import re

import pytest

TIP_URLS = ["/tip/", "/tip/login/", "/tip/logout/", "/tip/does-not-exist/"]


def _assert_strict(response):
    csp = response["Content-Security-Policy"]
    assert "script-src 'none'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp and "unsafe-inline" not in csp  # no origin but our own, no inline
    assert re.search(r"img-src 'self'(;|$)", csp)
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


@pytest.mark.parametrize("url", TIP_URLS)
def test_strict_headers_on_every_tip_line_response(client, tip_admin, url):
    _assert_strict(client.get(url))


def test_strict_headers_on_posts_and_refusals(client, tip_admin):
    _assert_strict(client.post("/tip/", {"token": "stale", "body": "x"}))
    _assert_strict(client.put("/tip/login/"))
    _assert_strict(client.get("/tip/conversation/"))  # redirect


def test_tip_cookie_is_httponly_samesite_strict_session_only_and_alone(client, tip_admin):
    response = client.get("/tip/")
    assert list(response.cookies) == ["tipsession"]
    cookie = response.cookies["tipsession"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["expires"] and not cookie["max-age"]  # gone when the browser closes
    assert not cookie["secure"]  # plain HTTP (e.g. an onion service): Secure would drop it


def test_tip_cookie_is_secure_over_https(client, tip_admin):
    response = client.get("/tip/", secure=True)
    assert response.cookies["tipsession"]["secure"]


def test_staff_tip_pages_are_not_cached_and_load_no_tiles(client, tip_admin, settings, tl):
    tl.staff_client(client, tip_admin)
    response = client.get("/console/tips/")
    assert response.status_code == 200
    # same-origin: the browser must send our Origin for Django's CSRF check on the staff forms
    # (no-referrer made it send "null" and refused them); other sites still get nothing.
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"
    assert "tile.openstreetmap.org" not in response["Content-Security-Policy"]
    login = client.cookies["tipkey"]
    assert login["httponly"] and login["samesite"] == "Strict"


def test_tip_pages_contain_no_script_or_third_party_resource(client, tip_admin):
    for url in ("/tip/", "/tip/login/"):
        html = client.get(url).content.decode()
        assert "<script" not in html and not re.search(r"<[^>]+\son[a-z]+=", html)
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert "leaflet" not in html.lower()


def test_cross_site_post_without_the_tip_cookie_is_refused(client, tip_admin):
    from testigo.tipline.models import Tip

    response = client.post("/tip/", {"token": "forged", "body": "planted"})
    assert response.status_code == 400 and not Tip.objects.exists()
