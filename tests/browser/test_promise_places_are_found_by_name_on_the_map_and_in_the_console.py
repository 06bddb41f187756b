"""In Chromium: the public map's "Go to a place" box moves the map to a gazetteer place; on a
report placed by nobody, the key L takes the place its text suggests; the editor's place search
fills latitude and longitude. Selectors use ids and names, not translated text."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def honduras(settings):
    settings.GAZETTEER_COUNTRIES = "HN"


def test_the_public_map_goes_to_a_place_typed_in_its_search_box(page):
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/#map=7/14.6/-86.8")
    page.wait_for_selector("#map[data-loaded]")
    page.fill("#map-place-q", "san pedro s")
    page.locator("#map-place-results button").first.click()
    page.wait_for_function("location.hash.startsWith('#map=13/15.5')")


def test_the_key_l_takes_the_suggested_place_and_the_editor_search_fills_the_location(page, make_user):
    moderator = make_user(roles.MODERATOR)
    report = services.create_report(title="Balacera", description="balacera en la colonia los pinos")
    services.update_report(report=report, actor=roles.SYSTEM, place_suggestions=[{
        "name": "Colonia Los Pinos", "label": "Colonia Los Pinos, Tocoa", "kind": "colonia", "lat": 15.688,
        "lon": -85.995, "parent": "Tocoa", "admin1": "Colón", "country": "HN", "precision_m": 1000,
        "confidence": 0.45, "matched": "colonia los pinos"}])
    page.goto("/console/login/")
    page.fill("input[name=username]", moderator.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")

    page.goto(f"/console/r/{report.reference}/")
    page.fill("#place-search", "tegucig")
    page.locator("#place-results button").first.click()
    assert page.input_value("#id_lat").startswith("14.0")
    page.locator("body").click(position={"x": 5, "y": 5})  # out of the form: keys are the page's again
    page.keyboard.press("l")
    page.wait_for_selector("#located-from-text")
    report = Report.objects.get(pk=report.pk)
    assert (report.lat, report.lon, report.location_from_text) == (15.688, -85.995, True)
