"""Promise: the map widget (/embed/map/) may be framed by other sites — any (TESTIGO_EMBED_ORIGINS=*, the
default) or only those listed — while every other page still refuses to be framed (X-Frame-Options
DENY, frame-ancestors 'none'). The widget sets no cookie, carries no CSRF token or session, shows
published public reports only (through the public map API, with the filters in its address), speaks
the language its address asks for, and a bad filter is a clear message, never a 500 (issue #24)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
            for part in response["Content-Security-Policy"].split(";") if part.strip()}


@pytest.fixture
def world(report_factory, admin_user, category):
    def published(**kwargs):
        report = report_factory(**kwargs)
        services.verify(report=report, actor=admin_user)
        return services.publish(report=report, actor=admin_user)

    shown = published(title="Bache frente a la escuela", admin1="Cortés", reporter_name="Rosa Secreta")
    hidden = published(title="Denuncia confidencial de Ana", admin1="Cortés")
    Report.objects.filter(pk=hidden.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    report_factory(title="Sin publicar todavía", admin1="Cortés")
    return {"shown": shown, "hidden": hidden, "category": category}


def test_only_the_widget_may_be_framed_by_any_site_by_default(client, world):
    widget = client.get("/embed/map/")
    assert widget.status_code == 200
    assert "X-Frame-Options" not in widget and csp(widget)["frame-ancestors"] == "*"
    # The rest of the site — public pages, the snippet page, the console, the API docs — stays unframeable.
    for path in ("/", "/embed/", "/reports/", f"/r/{world['shown'].reference}/", "/report/", "/console/login/",
                 "/api/v1/docs", "/tip/"):
        response = Client().get(path)
        assert response.get("X-Frame-Options") == "DENY", path
        assert csp(response).get("frame-ancestors") == "'none'", path


def test_a_listed_origin_may_frame_it_and_no_other(client, settings, world):
    settings.EMBED_ORIGINS = "https://diario.example.org, https://ong.example.net:8443/"
    widget = client.get("/embed/map/")
    assert "X-Frame-Options" not in widget
    assert csp(widget)["frame-ancestors"] == "'self' https://diario.example.org https://ong.example.net:8443"
    assert client.get("/").get("X-Frame-Options") == "DENY"


def test_a_wrong_origin_is_refused_loudly_and_none_turns_the_widget_off(client, settings, world):
    settings.EMBED_ORIGINS = "diario.example.org"
    with pytest.raises(ImproperlyConfigured, match="TESTIGO_EMBED_ORIGINS"):
        client.get("/embed/map/")
    settings.EMBED_ORIGINS = "none"
    assert client.get("/embed/map/").status_code == 404 and client.get("/embed/").status_code == 404


def test_a_wrong_origin_stops_start_up(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "TESTIGO_EMBED_ORIGINS": "https://ok.example.org diario.example.org",
           "TESTIGO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "testigo.settings",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True,
                          text=True)
    assert done.returncode != 0 and "TESTIGO_EMBED_ORIGINS: not an origin" in done.stderr
    assert "diario.example.org" in done.stderr


def test_the_widget_sets_no_cookie_and_carries_no_token_or_session(client, admin_user, world):
    client.force_login(admin_user)  # even a logged-in staff member's browser gets nothing staff-only
    client.cookies["django_language"] = "en"
    response = client.get("/embed/map/?lang=es")
    assert response.cookies == {} and "Set-Cookie" not in response
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and "<form" not in html and "/console/" not in html
    assert '"staff": false' in html and "sessionid" not in html


def test_the_widget_names_no_reporter_and_its_data_are_the_public_map_api(client, world):
    html = client.get("/embed/map/").content.decode()
    for secret in ("Rosa Secreta", "+504", "Denuncia confidencial", "Sin publicar"):
        assert secret not in html
    assert 'data-clusters="/api/v1/map/clusters"' in html and 'data-reports="/api/v1/reports"' in html
    # What map.js then asks for: the public API, which lets out the published public report only.
    listed = client.get("/api/v1/reports?limit=20").json()["items"]
    assert [r["reference"] for r in listed] == [world["shown"].reference]
    clusters = client.get("/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=7").json()
    assert clusters["total"] == 1
    assert "Rosa" not in str(listed) + str(clusters) and "+504" not in str(listed) + str(clusters)


def test_the_filters_in_the_address_narrow_the_api_requests(client, world):
    cat = world["category"]
    html = client.get(f"/embed/map/?category={cat.slug}&area=Cortés&days=30").content.decode()
    query = parse_qs(re.search(r'data-filters="([^"]*)"', html).group(1).replace("&amp;", "&"))
    assert query["category"] == [str(cat.pk)] and query["admin1"] == ["Cortés"] and "date_from" in query
    assert "date_to" not in query  # a rolling period: "the last 30 days" moves with the days
    fixed = client.get("/embed/map/?date_from=2026-01-01&date_to=2026-02-01").content.decode()
    assert 'data-filters="date_from=2026-01-01&amp;date_to=2026-02-01"' in fixed


@pytest.mark.parametrize(("query", "message"), [
    ("category=no-such-thing&lang=es", "Categoría desconocida: no-such-thing"),
    ("category=no-such-thing&lang=en", "Unknown category: no-such-thing"),
    ("days=0&lang=en", "The period must be a number of days from 1 to 3660."),
    ("days=abc&lang=en", "The period must be a number of days from 1 to 3660."),
    ("date_from=ayer&lang=en", "Dates are written YYYY-MM-DD."),
])
def test_a_bad_filter_is_a_clear_message_in_the_widget_language(client, world, query, message):
    response = client.get(f"/embed/map/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and 'id="map"' not in html and "X-Frame-Options" not in response
    assert message in html, html


def test_the_widget_speaks_the_language_of_its_address_not_the_visitor_cookie(client, world):
    client.cookies["django_language"] = "es"
    en = client.get("/embed/map/?lang=en")
    assert en["Content-Language"] == "en" and '<html lang="en">' in en.content.decode()
    assert "Map of published reports" in en.content.decode()
    client.cookies["django_language"] = "en"
    es = client.get("/embed/map/?lang=es")
    assert es["Content-Language"] == "es" and "Mapa de reportes publicados" in es.content.decode()
    assert client.get("/embed/map/")["Content-Language"] == "es"  # the deployment's language by default


def test_the_snippet_page_writes_the_iframe_code_with_the_chosen_filters(client, world, settings):
    settings.SITE_URL = "https://testigo.example.org"
    cat = world["category"]
    html = client.get(f"/embed/?category={cat.pk}&days=7&lang=en&height=600").content.decode()
    code = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert code.startswith("&lt;iframe src=&quot;https://testigo.example.org/embed/map/?") or \
        code.startswith('&lt;iframe src="https://testigo.example.org/embed/map/?')
    assert f"category={cat.pk}" in code and "days=7" in code and "lang=en" in code and 'height="600"' in code
    assert 'src="/embed/map/?' in html  # the preview frames the widget itself


def test_the_home_page_links_to_the_snippet_page_with_its_filters(client, world):
    html = client.get("/?admin1=Cortés").content.decode()
    assert 'href="/embed/?admin1=Cort%C3%A9s"' in html


def test_the_widget_stays_within_the_page_budget(client, world):
    """≤ 50 KB of JavaScript and ≤ 150 KB in all, gzipped (tiles aside), like the public map."""
    import gzip

    from django.contrib.staticfiles import finders

    html = client.get("/embed/map/").content
    scripts = re.findall(rb'<script src="/static/([^"]+)"', html)
    styles = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    size = lambda name: len(gzip.compress(open(finders.find(name.decode()), "rb").read(), 9))  # noqa: E731
    js = sum(size(s) for s in scripts)
    assert b"map.js" in b"".join(scripts) and js <= 50 * 1024
    assert js + sum(size(s) for s in styles) + len(gzip.compress(html)) <= 150 * 1024
