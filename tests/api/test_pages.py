"""Home page without JS, the staff map, the tokens page and the self-hosted API docs."""

from __future__ import annotations

import re

import pytest

from testigo.api.models import ApiToken
from testigo.api.services import hash_token

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English


@pytest.mark.django_db
def test_home_lists_recent_published_reports_and_filters_without_js(client, world):
    html = client.get("/").content.decode()
    assert world["public"].public_title in html and f"/r/{world['public'].reference}/" in html
    assert world["new"].title not in html
    assert 'name="category"' in html and 'name="date_from"' in html and "/report/" in html
    filtered = client.get("/?q=Otro").content.decode()
    assert world["public2"].reference in filtered and world["public"].reference not in filtered


@pytest.mark.django_db
def test_home_with_bad_filter_shows_message_not_500(client, world):
    response = client.get("/?category=nope&date_from=ayer")
    assert response.status_code == 200 and b'role="alert"' in response.content


@pytest.mark.django_db
def test_staff_map_needs_login(client, moderator):
    assert client.get("/console/map/").status_code == 302
    client.force_login(moderator)
    response = client.get("/console/map/")
    assert response.status_code == 200 and b'id="map"' in response.content


@pytest.mark.django_db
def test_tokens_page_shows_new_token_once(client, moderator):
    client.force_login(moderator)
    response = client.post("/console/tokens/", {"name": "Panel", "scope": "read"})
    token = ApiToken.objects.get(user=moderator)
    raw = response.content.decode().split('id="new-token">')[1].split("<")[0]
    assert hash_token(raw) == token.token_hash
    assert raw not in client.get("/console/tokens/").content.decode()
    client.post(f"/console/tokens/{token.id}/revoke/")
    token.refresh_from_db()
    assert token.revoked is not None


@pytest.mark.django_db
def test_api_docs_are_self_hosted(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"/api/v1/map/clusters" in response.content
    # Nothing loaded from elsewhere: every src/href on the page is this site's own (a hashed static
    # file name may contain the letters "cdn" by chance, so the words of the page are not checked).
    html = response.content.decode()
    assert not re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html) and "<script" not in html
    assert client.get("/api/v1/openapi.json").json()["paths"]


@pytest.mark.django_db
def test_api_docs_say_what_each_endpoint_answers(client):
    import re

    html = client.get("/api/v1/docs").content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "<code>/api/v1/reports/{reference}/notes</code>" in r
               and "<code>POST</code>" in r)
    assert re.findall(r"<code>(\d{3}[^<]*)</code>", row) == ["201 Note", "400 Error", "401 Error", "403 Error",
                                                           "404 Error", "422 Error"]


@pytest.mark.django_db
def test_home_page_weight_budget(client, world):
    """≤ 50 KB of JavaScript and ≤ 150 KB in all, gzipped (tiles aside): the map must open on
    a cheap phone over a slow connection."""
    import gzip
    import re

    from django.contrib.staticfiles import finders

    html = client.get("/").content
    scripts = re.findall(rb'<script src="/static/([^"]+)"', html)
    styles = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    size = lambda name: len(gzip.compress(open(finders.find(name.decode()), "rb").read(), 9))  # noqa: E731
    js = sum(size(s) for s in scripts)
    assert b"leaflet.js" in b"".join(scripts) and js <= 50 * 1024
    assert js + sum(size(s) for s in styles) + len(gzip.compress(html)) <= 150 * 1024
