"""Promise: the console dashboard shows what came in over a period — by status, category, channel
and area, and how fast reports were verified and published — as SVG charts drawn on the server,
each with its numbers as a table and a CSV, filtered like the inbox, for whoever may see the inbox,
and never counting a report the viewer may not see (issue #24)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Category, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(report_factory, admin_user, category):
    now = timezone.now()
    made = [
        report_factory(source="sms", admin1="Francisco Morazán", received_at=now - timedelta(days=2)),
        report_factory(source="sms", admin1="Francisco Morazán", received_at=now - timedelta(days=1)),
        report_factory(source="web", admin1="Cortés", received_at=now - timedelta(hours=3), categories=[]),
        report_factory(source="whatsapp", admin1="", received_at=now - timedelta(days=90)),  # outside 30 days
    ]
    services.verify(report=made[0], actor=admin_user)
    services.publish(report=made[0], actor=admin_user)
    return made


def _table(html: str, key: str) -> list[list[str]]:
    section = re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_default_period_counts_the_last_30_days_by_status_channel_area_and_category(client_as, reports):
    html = client_as(roles.MODERATOR).get("/console/dashboard/").content.decode()
    assert "3 reports received from" in html
    assert dict(_table(html, "status")) == {"New": "2", "Published": "1"}
    assert dict(_table(html, "source")) == {"SMS": "2", "Web form": "1"}
    assert dict(_table(html, "area")) == {"Francisco Morazán": "2", "Cortés": "1"}
    assert dict(_table(html, "category")) == {"Crime › Robbery": "2"}
    over_time = _table(html, "over_time")
    assert len(over_time) == 30 and sum(int(row[-1]) for row in over_time) == 3


def test_every_chart_is_an_accessible_svg_with_its_table_and_csv_link(client_as, reports):
    html = client_as(roles.MODERATOR).get("/console/dashboard/").content.decode()
    for key in ("over_time", "status", "category", "source", "area", "timing"):
        section = re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)
        svg = re.search(r'<svg [^>]*role="img"[^>]*aria-labelledby="([^"]+)"[^>]*>(.*?)</svg>', section, re.S)
        assert svg, key
        assert f'<title id="{key}-t">' in svg.group(2) and f'<desc id="{key}-d">' in svg.group(2)
        assert "<table>" in section and f"/console/dashboard/{key}.csv" in section
    assert "<script" not in html.split("<main", 1)[-1].split("</main>")[0]


def test_times_to_verification_and_publication_are_measured(client_as, reports):
    html = client_as(roles.MODERATOR).get("/console/dashboard/").content.decode()
    rows = {row[0]: row[1:] for row in _table(html, "timing")}
    assert rows["Receipt to verification"][0] == "1" and rows["Receipt to publication"][0] == "1"
    # received two days before it was verified and published: 48 hours
    assert abs(float(rows["Receipt to publication"][1]) - 48) < 0.5
    assert abs(float(rows["Receipt to verification"][1]) - 48) < 0.5


def test_filters_narrow_every_figure(client_as, reports):
    html = client_as(roles.MODERATOR).get("/console/dashboard/?source=sms").content.decode()
    assert "2 reports received" in html and dict(_table(html, "source")) == {"SMS": "2"}
    html = client_as(roles.MODERATOR).get("/console/dashboard/?area=Cort%C3%A9s").content.decode()
    assert "1 report received" in html
    start = (timezone.localdate() - timedelta(days=120)).isoformat()
    html = client_as(roles.MODERATOR).get(f"/console/dashboard/?date_from={start}").content.decode()
    assert "4 reports received" in html and "Week starting" in html
    category = Category.objects.get(slug="delitos")  # a parent takes its children, as in the inbox
    html = client_as(roles.MODERATOR).get(f"/console/dashboard/?category={category.pk}").content.decode()
    assert "2 reports received" in html


def test_the_csv_holds_the_tables_numbers_and_defuses_formulas(client_as, reports):
    Report.objects.filter(pk=reports[2].pk).update(admin1="=HYPERLINK(\"x\")")
    client = client_as(roles.ANALYST)
    response = client.get("/console/dashboard/area.csv?source=web")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Department / state", "Reports"], ["'=HYPERLINK(\"x\")", "1"]]
    assert client.get("/console/dashboard/nothing.csv").status_code == 404


def test_confidential_reports_count_only_for_roles_that_may_see_them(client_as, reports):
    Report.objects.filter(pk=reports[1].pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    assert "3 reports received" in client_as(roles.MODERATOR).get("/console/dashboard/").content.decode()
    html = client_as(roles.ANALYST).get("/console/dashboard/").content.decode()
    assert "2 reports received" in html and dict(_table(html, "source")) == {"SMS": "1", "Web form": "1"}


def test_who_may_see_the_inbox_may_see_the_dashboard_and_no_one_else(client_as, client):
    for role in roles.ROLES:
        page = client_as(role).get("/console/dashboard/")
        assert page.status_code == 200 and b'href="/console/dashboard/"' in page.content
    assert client.get("/console/dashboard/").status_code == 302
    assert client.get("/console/dashboard/status.csv").status_code == 302
    nobody = Client()
    nobody.force_login(get_user_model().objects.create_user(username="citizen", password="x"))
    assert nobody.get("/console/dashboard/").status_code == 403
    assert nobody.get("/console/dashboard/status.csv").status_code == 403


def test_an_empty_deployment_gets_clear_empty_states_not_errors(client_as):
    response = client_as(roles.ADMIN).get("/console/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "0 reports received" in html and "No reports were received in this period" in html
    assert "<svg" not in html and "No alerts were sent in this period." in html
    assert client_as(roles.ADMIN).get("/console/dashboard/status.csv").content.decode().strip() == "Status,Reports"


def test_bad_filters_are_named_and_the_rest_still_apply(client_as, reports):
    response = client_as(roles.MODERATOR).get("/console/dashboard/?date_from=yesterday&source=sms&category=abc")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date." in html and "2 reports received" in html


def test_a_page_stays_under_150_kb_gzipped_with_its_stylesheets(client_as, report_factory):
    import gzip

    from django.contrib.staticfiles import finders

    now = timezone.now()
    for i in range(40):
        report_factory(source=["sms", "web", "whatsapp"][i % 3], admin1=f"Área {i % 12}",
                       received_at=now - timedelta(days=i * 9))
    start = (timezone.localdate() - timedelta(days=365)).isoformat()
    html = client_as(roles.ADMIN).get(f"/console/dashboard/?date_from={start}&interval=day").content
    assert html.count(b"<svg") >= 5
    styles = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    scripts = re.findall(rb'<script src="/static/([^"]+)"', html)
    size = lambda name: len(gzip.compress(open(finders.find(name.decode()), "rb").read(), 9))  # noqa: E731
    assert len(gzip.compress(html)) + sum(size(s) for s in styles + scripts) <= 150 * 1024
