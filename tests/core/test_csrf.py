"""CSRF: forms keep working under `Referrer-Policy: no-referrer` (Origin: null, no Referer), while
requests without the token or from another origin are refused."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/i18n/setlang/"


def token_for(client: Client) -> str:
    client.get("/")
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("secure", [False, True])
def test_post_with_token_and_withheld_origin_is_accepted(secure):
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="null",
                           secure=secure)
    assert response.status_code == 302


def test_every_response_says_no_referrer():
    assert Client().get("/")["Referrer-Policy"] == "no-referrer"


def test_post_without_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    token_for(client)
    assert client.post(URL, {"language": "en"}, HTTP_ORIGIN="null").status_code == 403


def test_post_from_another_origin_is_refused_even_with_a_token():
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_https_post_with_a_foreign_referer_is_refused():
    client = Client(enforce_csrf_checks=True)
    token = token_for(client)
    response = client.post(URL, {"language": "en", "csrfmiddlewaretoken": token}, secure=True,
                           HTTP_REFERER="https://evil.example/page")
    assert response.status_code == 403
