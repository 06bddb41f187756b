"""Security defaults on every page: strict headers, and cookies marked Secure when served over HTTPS."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _login(client, secure):
    client.get("/console/login/", secure=secure)
    return client.post("/console/login/", {"username": "admin-user", "password": "correct horse battery"},
                       secure=secure)


@pytest.mark.parametrize("secure", [True, False])
def test_session_and_csrf_cookies_are_secure_exactly_when_served_over_https(admin_user, secure):
    client = Client()
    response = _login(client, secure)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert bool(session["secure"]) is secure
    assert session["httponly"]
    assert bool(client.cookies["csrftoken"]["secure"]) is secure


def test_pages_send_strict_security_headers():
    response = Client().get("/report/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
