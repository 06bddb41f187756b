"""Promise: a NUL character (%00, \\u0000) in a path, query, form, cookie or JSON body, or a JSON body
nested absurdly deep, gets a clear 400 — never a 500. PostgreSQL refuses NULs in text, so without
the middleware every search with `?q=a%00b` failed there; SQLite stored them silently."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from testigo.core import untrusted
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

REPORT = {"title": "Balacera", "description": "Se escucharon disparos.", "occurred_date": "2024-05-01",
          "lat": 14.1, "lon": -87.2}


@pytest.mark.parametrize("url", ["/?q=a%00b", "/reports/?q=a%00b", "/api/v1/reports?q=a%00b",
                                 "/api/v1/map/clusters?q=a%00b&zoom=7&bbox=-90,13,-83,16", "/reports/?a%00=1",
                                 "/r/AB%00CD/"])
def test_promise_public_search_with_a_nul_is_400_not_500(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_promise_console_inbox_search_with_a_nul_is_400_not_500(client, moderator):
    client.force_login(moderator)
    assert client.get("/console/?q=a%00b").status_code == 400
    assert client.get("/console/?q=ab").status_code == 200  # the same search without the NUL works


def test_promise_a_cookie_with_a_nul_is_400_not_500():
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get("/").status_code == 400


def test_promise_public_report_form_with_a_nul_is_400_and_nothing_is_stored(client):
    response = client.post("/report/", {"title": "a\x00b", "description": "x"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_promise_api_json_with_a_nul_in_a_string_is_400_not_500(client):
    body = json.dumps({**REPORT, "description": "Se escucharon\u0000 disparos."})
    assert "\\u0000" in body
    response = client.post("/api/v1/reports", body, content_type="application/json")
    assert response.status_code == 400
    assert not Report.objects.exists()
    response = client.post("/api/v1/reports", json.dumps(REPORT), content_type="application/json")
    assert response.status_code == 201  # the same report without the NUL is accepted


def test_promise_api_json_nested_too_deep_is_400_not_500(client):
    depth = 5000  # deeper than Python's recursion limit: json.loads raised RecursionError
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/v1/reports", body, content_type="application/json")
    assert response.status_code == 400
    assert str(untrusted.MAX_JSON_DEPTH) in response.content.decode()
    shallow_but_over = '{"title": ' + "[" * (untrusted.MAX_JSON_DEPTH + 1) + "]" * (untrusted.MAX_JSON_DEPTH + 1) + "}"
    assert client.post("/api/v1/reports", shallow_but_over, content_type="application/json").status_code == 400


def test_the_nul_refusal_leaves_webhooks_to_the_channels_which_keep_the_sms():
    from testigo.channels.wsgi import WEBHOOK_PREFIX
    from testigo.core.middleware import NUL_EXEMPT_PREFIXES

    assert NUL_EXEMPT_PREFIXES == (WEBHOOK_PREFIX,)


def test_untrusted_helpers_replace_nul_everywhere_and_measure_depth_without_recursion():
    assert untrusted.clean({"a\x00": ["b\x00", {"c": "d\x00"}], "n": 1}) == \
        {"a\ufffd": ["b\ufffd", {"c": "d\ufffd"}], "n": 1}
    assert untrusted.depth("x") == 0 and untrusted.depth({"a": [1]}) == 2
    with pytest.raises(untrusted.UnreadableJSON):
        untrusted.loads("[" * 100000 + "]" * 100000)


def test_promise_an_api_cursor_nested_too_deep_is_400_not_500(client):
    import base64

    cursor = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode().rstrip("=")
    assert client.get(f"/api/v1/reports?cursor={cursor}").status_code == 400
