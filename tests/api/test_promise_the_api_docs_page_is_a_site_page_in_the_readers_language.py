"""The API docs page people read is a page of the site (its header and language switch) and says
what each endpoint does through the translations, for every endpoint the API has; the OpenAPI
JSON keeps the operations' own English summaries."""

from __future__ import annotations

import html as html_lib

import pytest

from testigo.api.api import api
from testigo.api.views import DESCRIPTIONS

pytestmark = pytest.mark.django_db


def _operations() -> list[tuple[str, str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return [(method.upper(), path, op.get("summary", "")) for path, methods in schema["paths"].items()
            for method, op in methods.items()]


def test_the_docs_page_has_the_site_header_and_language_switch(client):
    page = client.get("/api/v1/docs").content.decode()  # the deployment's Spanish
    assert "<h1>Documentación de la API</h1>" in page
    assert '<header class="site-header">' in page and 'class="lang-switch"' in page
    assert '<table class="api-endpoints">' in page


def test_every_endpoint_is_described_in_words_that_go_through_the_translations(client, english):
    page = html_lib.unescape(client.get("/api/v1/docs").content.decode())
    for method, path, _summary in _operations():
        assert (method, path) in DESCRIPTIONS, f"{method} {path} has no description for the docs page"
        assert f"<td>{DESCRIPTIONS[method, path]}</td>" in page
