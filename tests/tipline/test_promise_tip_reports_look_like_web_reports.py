"""Promise: a report made from a tip cannot be told apart, by the public, from a web report.

Saying "source: tipline" in public would tell whoever hunts a tipster that a tip was sent and
what it said. Publicly such a report is "web" everywhere (API list and detail, `?source=`
filters, CSV and GeoJSON exports, public pages); staff still see and filter the true source.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest

from testigo.reports import services as report_services
from testigo.reports.models import Report
from testigo.tipline import reporting, services
from testigo.tipline.models import Tip

TITLE, DESCRIPTION, PLACE = "Soborno en el mercado", "Un testigo vio un soborno en el mercado.", "Comayagüela"
WHEN = datetime(2026, 3, 14)
VOLATILE = {"reference", "url", "published_at"}  # differ between any two reports


@pytest.fixture
def twins(tip_admin, org_key):
    """A tip turned into a report and a web report with the same content, both published."""
    services.submit_tip(body="Juan vio el soborno", files=[], language="es")
    tip_report = reporting.tip_to_report(actor=tip_admin, org_private=org_key, tip=Tip.objects.get(), title=TITLE,
                                         description=DESCRIPTION, language="es", place_name=PLACE,
                                         occurred_on=WHEN.date())
    # The public form gives the service the date alone when no time was typed, as the tip line does.
    web_report = report_services.create_report(title=TITLE, description=DESCRIPTION, place_name=PLACE, source="web",
                                               occurred_at=WHEN.date(), language="es")
    for report in (tip_report, web_report):
        report_services.verify(report=report, actor=tip_admin)
        report_services.publish(report=report, actor=tip_admin)
    return Report.objects.get(pk=tip_report.pk), Report.objects.get(pk=web_report.pk)


def _stable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in VOLATILE}


def _streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_public_api_shows_a_tip_report_exactly_like_a_web_report(client, twins):
    tip_report, web_report = twins
    items = {r["reference"]: r for r in client.get("/api/v1/reports").json()["items"]}
    assert items[tip_report.reference]["source"] == "web"
    assert _stable(items[tip_report.reference]) == _stable(items[web_report.reference])
    tip_detail = client.get(f"/api/v1/reports/{tip_report.reference}").json()
    web_detail = client.get(f"/api/v1/reports/{web_report.reference}").json()
    assert _stable(tip_detail) == _stable(web_detail)


def test_source_filter_reveals_no_tip_report(client, twins):
    tip_report, web_report = twins
    hidden = client.get("/api/v1/reports?source=tipline")
    unknown = client.get("/api/v1/reports?source=nosuchsource")
    assert hidden.status_code == unknown.status_code == 200
    assert hidden.json() == unknown.json() == {"items": [], "next_cursor": None}
    web = {r["reference"] for r in client.get("/api/v1/reports?source=web").json()["items"]}
    assert web == {tip_report.reference, web_report.reference}
    assert _streamed(client.get("/api/v1/reports.csv?source=tipline")) == \
        _streamed(client.get("/api/v1/reports.csv?source=nosuchsource"))


def test_public_exports_show_a_tip_report_exactly_like_a_web_report(client, twins):
    tip_report, web_report = twins
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(_streamed(client.get("/api/v1/reports.csv"))))}
    assert rows[tip_report.reference]["source"] == "web"
    assert _stable(rows[tip_report.reference]) == _stable(rows[web_report.reference])
    features = json.loads(_streamed(client.get("/api/v1/reports.geojson")))["features"]
    props = {f["properties"]["reference"]: f for f in features}
    tip_feature, web_feature = props[tip_report.reference], props[web_report.reference]
    assert tip_feature["geometry"] == web_feature["geometry"]
    assert _stable(tip_feature["properties"]) == _stable(web_feature["properties"])


def test_public_pages_never_name_the_tip_line_for_a_report(client, twins):
    tip_report, web_report = twins
    for url in ("/", "/reports/", f"/r/{tip_report.reference}/"):
        response = client.get(url)
        assert response.status_code == 200 and b"tipline" not in response.content.lower(), url
    # The map page echoes the filter it was given; apart from that echo, the same as an unknown name.
    hidden = _page(client, "tipline")
    assert hidden == _page(client, "nosuchsource")
    web = client.get("/?source=web").content.decode()
    assert tip_report.reference in web and web_report.reference in web
    assert _html(client, f"/r/{tip_report.reference}/", tip_report.reference) == \
        _html(client, f"/r/{web_report.reference}/", web_report.reference)


def _html(client, url: str, echo: str) -> str:
    """A page without `echo` (what differs by design) and the per-response CSRF mask."""
    html = client.get(url).content.decode().replace(echo, "ECHO")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _page(client, source: str) -> str:
    """The map page filtered by `source`, without the echoed name."""
    return _html(client, f"/?source={source}", source)


def test_staff_still_see_and_filter_the_true_source(client, twins, tip_admin):
    from testigo.api import services as token_services

    tip_report, _web_report = twins
    _token, raw = token_services.create_token(user=tip_admin, name="t", scope="read", actor=tip_admin)
    items = client.get("/api/v1/reports?source=tipline", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["items"]
    assert [(r["reference"], r["source"]) for r in items] == [(tip_report.reference, "tipline")]
