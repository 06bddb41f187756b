"""Promise: a situation report (issue #24) is one printable page for a period and an area — headline
numbers, charts, a server-drawn map of the period's published reports, the notable published reports
and the published stories — in Spanish or English, for whoever may see the inbox. Its map and lists
hold PUBLIC data only (the public projection): a confidential report never appears, even to an admin
who may see it. "Download PDF" gives the same page as a PDF printed by headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Report
from testigo.stories import services as story_services
from testigo.stories.models import Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def period_reports(report_factory, admin_user):
    now = timezone.now()

    def published(**kwargs):
        report = report_factory(**kwargs)
        services.verify(report=report, actor=admin_user)
        return services.publish(report=report, actor=admin_user)

    public = published(title="Bloqueo en la carretera CA-5", admin1="Comayagua", lat=14.45, lon=-87.64)
    secret = published(title="Denuncia confidencial de Rosa Martínez", admin1="Comayagua", lat=14.46, lon=-87.63,
                       reporter_name="Rosa Martínez")
    Report.objects.filter(pk=secret.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    other_area = published(title="Inundación en San Pedro Sula", admin1="Cortés", lat=15.5, lon=-88.02)
    report_factory(title="Recibido sin publicar", admin1="Comayagua", received_at=now - timedelta(days=1))
    story = _story(admin_user, "bloqueos-ca5", title_es="Bloqueos en la CA-5", title_en="Roadblocks on the CA-5",
                   references=[public.reference, secret.reference])
    _story(admin_user, "borrador", title_es="Borrador interno", status=Story.Status.DRAFT)
    return {"public": public, "secret": secret, "other_area": other_area, "story": story}


def _story(actor, slug, *, title_es, title_en="", references=(), status=Story.Status.PUBLISHED):
    data = story_services.StoryInput(slug=slug, texts={"title_es": title_es, "title_en": title_en,
                                                       "body_es": "Texto.", "body_en": "", "summary_es": "",
                                                       "summary_en": ""},
                                     tags=[], references=list(references), redactions=[])
    story = story_services.save_story(actor=actor, data=data)
    if status != Story.Status.DRAFT:
        story = story_services.set_status(actor=actor, story=story, status=status)
    return story


def _section(html: str, key: str) -> str:
    return re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)


def test_the_page_has_headline_numbers_charts_map_notable_reports_and_stories(client_as, period_reports):
    html = client_as(roles.ANALYST).get("/console/situation-report/?lang=en").content.decode()
    assert "Situation report" in html
    headline = dict((label, int(n)) for n, label in
                    re.findall(r"<li><strong>(\d+)</strong>([^<]+)</li>", _section(html, "headline")))
    # An analyst may not see the confidential report: 3 received, 2 published publicly in the period.
    assert headline["Reports received"] == 3 and headline["Reports published in the period"] == 2
    assert len(re.findall(r'<svg [^>]*class="chart"', _section(html, "charts"))) >= 2
    map_svg = re.search(r'<svg class="story-map".*?</svg>', _section(html, "map"), re.S).group(0)
    assert map_svg.count("<circle") == 2
    notable = _section(html, "notable")
    assert "Bloqueo en la carretera CA-5" in notable and "Inundación en San Pedro Sula" in notable
    assert "Recibido sin publicar" not in html
    stories = _section(html, "stories")
    assert "Roadblocks on the CA-5" in stories and "Borrador interno" not in html
    assert "Download PDF" in html or "PDF is unavailable" in html
    # No console menu; the print rules come from a stylesheet file, since the CSP refuses inline style.
    assert "<nav" not in html and "<style" not in html and "testigo/sitrep.css" in html


def test_the_area_narrows_the_numbers_the_map_and_the_list(client_as, period_reports):
    html = client_as(roles.MODERATOR).get("/console/situation-report/?lang=en&area=Cort%C3%A9s").content.decode()
    assert "Inundación en San Pedro Sula" in _section(html, "notable")
    assert "Bloqueo en la carretera CA-5" not in html
    assert re.search(r'<svg class="story-map".*?</svg>', html, re.S).group(0).count("<circle") == 1


def test_a_confidential_report_never_appears_in_the_map_or_the_lists_even_for_an_admin(
        client_as, period_reports):
    secret = period_reports["secret"]
    for role in (roles.ADMIN, roles.MODERATOR):
        html = client_as(role).get("/console/situation-report/?lang=en").content.decode()
        for needle in ("Rosa Martínez", "Denuncia confidencial", secret.reference, str(secret.lat), str(secret.lon)):
            assert needle not in html, (role, needle)
        # Only the public, fuzzed points are drawn: never a report's exact place.
        public = Report.objects.get(pk=period_reports["public"].pk)
        assert str(public.lat) not in _section(html, "map") or public.lat == public.public_lat


def test_the_page_reads_in_spanish(client_as, period_reports):
    html = client_as(roles.MODERATOR).get("/console/situation-report/?lang=es").content.decode()
    assert '<html lang="es">' in html
    assert "Bloqueos en la CA-5" in _section(html, "stories")  # the story in its Spanish text
    assert "Informe de situación" in html and "Reportes recibidos" in html


def test_only_staff_who_may_see_the_inbox_open_it(period_reports):
    response = Client().get("/console/situation-report/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_bad_date_is_a_clear_error_and_the_page_still_shows(client_as, period_reports):
    response = client_as(roles.MODERATOR).get("/console/situation-report/?lang=en&from=not-a-date")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_download_pdf_gives_a_pdf_printed_by_chromium(client_as, period_reports, monkeypatch):
    from testigo.console import sitrep_views

    printed, real = [], sitrep_views.html_to_pdf
    monkeypatch.setattr(sitrep_views, "html_to_pdf", lambda html: printed.append(html) or real(html))
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        if os.environ.get("TESTIGO_REQUIRE_BROWSER") == "1":
            pytest.fail("TESTIGO_REQUIRE_BROWSER=1 but Chromium was not found: the situation report PDF is untested")
        pytest.skip("Chromium not found (apt-get install chromium): the situation report PDF is not tested")
    response = client_as(roles.MODERATOR).get("/console/situation-report/pdf/?lang=en")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000
    # Chromium prints a local file that loads nothing: the A4 print rules travel inside it.
    assert "@page { size: A4" in printed[0] and "<link" not in printed[0]


def test_without_chromium_the_pdf_link_says_it_is_unavailable(client_as, period_reports, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    client = client_as(roles.MODERATOR)
    html = client.get("/console/situation-report/?lang=en").content.decode()
    assert "PDF is unavailable on this server" in html and "Download PDF" not in html
    response = client.get("/console/situation-report/pdf/?lang=en")
    assert response.status_code == 503 and "Chromium is not installed" in response.content.decode()


def test_the_map_draws_the_country_outline_under_the_points_without_a_tile_server(client_as, period_reports):
    html = client_as(roles.MODERATOR).get("/console/situation-report/?lang=en").content.decode()
    map_svg = re.search(r'<svg class="story-map".*?</svg>', _section(html, "map"), re.S).group(0)
    outline = re.search(r'<path class="outline" d="([^"]+)"', map_svg)
    assert outline and outline.group(1).count("M") >= 1  # Honduras' border, from the vendored world-atlas
    assert map_svg.index('class="outline"') < map_svg.index("<circle")  # under the points
    assert "http" not in map_svg.replace('xmlns="http://www.w3.org/2000/svg"', "").split('href="/')[0]
    assert len(html) < 300_000


def test_the_map_draws_the_public_default_layers_zones_and_never_a_private_layer(client_as, period_reports):
    from testigo.geo.models import Layer

    square = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[-87.8, 14.3], [-87.5, 14.3], [-87.5, 14.6], [-87.8, 14.6], [-87.8, 14.3]]]}}]}
    Layer.objects.create(name_es="Zonas", name_en="Zones", geojson=square, feature_count=1, colour="#aa3377",
                         visible_by_default=True, is_public=True)
    Layer.objects.create(name_es="Privada", name_en="Private", geojson=square, feature_count=1, colour="#117733",
                         visible_by_default=True, is_public=False)
    html = client_as(roles.MODERATOR).get("/console/situation-report/?lang=en").content.decode()
    map_svg = re.search(r'<svg class="story-map".*?</svg>', _section(html, "map"), re.S).group(0)
    assert 'class="overlay"' in map_svg and 'stroke="#aa3377"' in map_svg
    assert "#117733" not in map_svg
    assert map_svg.index('class="overlay"') < map_svg.index("<circle")
