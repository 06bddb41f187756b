"""CSRF: Django's own middleware, unmodified. Under `Referrer-Policy: same-origin` browsers send our
own forms' Origin (and, over HTTPS, Referer), so the origin checks and the token check both apply;
no page address reaches another site."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/i18n/setlang/"


def token_for(client: Client) -> str:
    client.get("/")
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("secure", [False, True])
def test_post_from_our_own_page_is_accepted(secure):
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    origin = ("https" if secure else "http") + "://testserver"
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, HTTP_ORIGIN=origin,
                           HTTP_REFERER=origin + "/", secure=secure)
    assert response.status_code == 302


def test_no_page_address_reaches_another_site():
    assert Client().get("/")["Referrer-Policy"] == "same-origin"


def test_the_csrf_middleware_is_djangos_own():
    from django.conf import settings

    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    assert not [name for name in settings.MIDDLEWARE if "csrf" in name.lower() and not name.startswith("django.")]


def test_post_without_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    token_for(client)
    assert client.post(URL, {"language": "en"}, HTTP_ORIGIN="http://testserver").status_code == 403


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_post_from_another_or_an_opaque_origin_is_refused_even_with_a_token(origin):
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, HTTP_ORIGIN=origin)
    assert response.status_code == 403


def test_https_post_with_a_foreign_referer_is_refused():
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, secure=True,
                           HTTP_REFERER="https://evil.example/page")
    assert response.status_code == 403
