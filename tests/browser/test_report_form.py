"""A citizen with JavaScript disabled (Tor Browser "Safest") can send a report."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone


def test_report_form_works_without_javascript(nojs_page, transactional_db, category):
    from testigo.reports.models import Report

    page = nojs_page
    page.goto("/report/")
    assert page.locator("#pick-map").is_hidden()  # the map needs JavaScript; the fields do not
    page.fill("[name=title]", "Balacera cerca del mercado")
    page.fill("form [name=description]", "Se escucharon disparos a las 8 de la noche.")
    page.select_option("[name=category]", str(category.pk))
    page.fill("[name=occurred_date]", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.fill("[name=place_name]", "Mercado Zonal Belén, Comayagüela")
    page.locator("details.coords summary").click()
    page.fill("[name=lat]", "14.0931")
    page.fill("[name=lon]", "-87.2119")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/report/thanks/")
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"T-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    report = Report.objects.get(reference=reference)
    assert report.status == Report.Status.NEW
    assert report.title == "Balacera cerca del mercado"
    assert (report.lat, report.lon) == (14.0931, -87.2119)
    assert list(report.categories.all()) == [category]


def test_map_pin_fills_the_coordinates_when_javascript_is_on(page, transactional_db):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Script errors and CSP refusals fail the test; the blocked tiles' load errors do not.
    page.on("console", lambda msg: "Refused" in msg.text and errors.append(msg.text))
    page.route("**/*.png", lambda route: route.abort() if "tile" in route.request.url else route.continue_())
    page.goto("/report/")
    map_box = page.locator("#pick-map")
    map_box.wait_for(state="visible")
    map_box.click(position={"x": 60, "y": 60})  # tiles are blocked: the pin must still work
    assert page.locator("[name=lat]").input_value() != ""
    assert page.locator("[name=lon]").input_value() != ""
    assert page.locator(".leaflet-marker-icon").count() == 1
    assert page.locator("#locate-me").is_visible()
    assert not errors, errors


def test_report_page_shows_an_approximate_circle_not_a_pin(page, transactional_db, published_report):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: "Refused" in msg.text and errors.append(msg.text))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(f"/r/{published_report.reference}/")
    page.locator("#report-map").wait_for(state="visible")
    assert page.locator("#report-map path.leaflet-interactive").count() == 1  # the circle
    assert page.locator("#report-map .leaflet-marker-icon").count() == 0
    assert not errors, errors
