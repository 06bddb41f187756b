"""Promise: the optional public dashboard (TESTIGO_PUBLIC_DASHBOARD) charts published, public reports
only — through the public selector — shows a tip as "web", says nothing of how long staff took, and
does not exist at all unless the deployment turns it on (issue #24)."""

from __future__ import annotations

import re

import pytest

from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def _table(html: str, key: str) -> dict[str, str]:
    section = re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1)
    return {row[0]: row[1] for row in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
                                       for r in re.findall(r"<tr>(.*?)</tr>", body, re.S))}


@pytest.fixture
def world(report_factory, admin_user):
    def published(**kwargs):
        report = report_factory(**kwargs)
        services.verify(report=report, actor=admin_user)
        return services.publish(report=report, actor=admin_user)

    published(source="sms", admin1="Cortés")
    published(source="tipline", admin1="Cortés")
    hidden = published(source="whatsapp", admin1="Secreto")
    Report.objects.filter(pk=hidden.pk).update(visibility=Report.Visibility.RESTRICTED)
    report_factory(source="odk", admin1="Nuevo")  # new, never published


def test_off_by_default(client, world):
    assert client.get("/dashboard/").status_code == 404


def test_it_counts_only_what_the_public_selector_lets_out(client, world, settings):
    settings.PUBLIC_DASHBOARD = True
    client.cookies["django_language"] = "en"
    html = client.get("/dashboard/").content.decode()
    assert "2 reports published from" in html
    assert _table(html, "source") == {"SMS": "1", "Web form": "1"}  # the tip reads as the web form
    assert _table(html, "area") == {"Cortés": "2"}
    assert _table(html, "category") == {"Robbery": "2"}
    for secret in ("Secreto", "Nuevo", "WhatsApp", "ODK", "Tip line", "verification", "publication", ".csv"):
        assert secret not in html
    assert html.count('role="img"') == 4


def test_an_empty_deployment_says_so(client, settings):
    settings.PUBLIC_DASHBOARD = True
    client.cookies["django_language"] = "en"
    response = client.get("/dashboard/")
    assert response.status_code == 200 and b"No reports were published in this period." in response.content
    assert b"<svg" not in response.content


def test_it_speaks_spanish(client, world, settings):
    """Fails until the lead merges /work/i18n/dashboard.json into the catalogues."""
    settings.PUBLIC_DASHBOARD = True
    html = client.get("/dashboard/").content.decode()
    assert "<h1>Panel</h1>" in html and "2 reportes publicados del" in html
