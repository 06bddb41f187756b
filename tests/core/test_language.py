"""Pages open in the deployment's language whatever the browser asks; the switch changes it."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_open_in_spanish_even_for_an_english_browser():
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/report/")
    assert response["Content-Language"] == "es"
    assert 'lang="es"' in response.content.decode()


def test_the_language_switch_changes_the_pages_language():
    client = Client()
    client.get("/report/")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})
    assert response.status_code == 302
    assert client.get("/report/")["Content-Language"] == "en"


def test_the_deployment_language_is_configurable(settings):
    settings.LANGUAGE_CODE = "en"
    assert Client().get("/report/")["Content-Language"] == "en"


def test_the_api_honours_accept_language():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/map/clusters?bbox=1,2,3&zoom=3")
    assert response.status_code in (400, 422)
    assert response["Content-Language"] == "en"
