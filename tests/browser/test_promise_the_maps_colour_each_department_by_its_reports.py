"""Promise: with department polygons uploaded (the real geoBoundaries HND ADM1 file), the public map's
"Reports per department" view fills each department by its count of published public reports,
with a legend, and the staff map does the same with every report its user may see."""

from __future__ import annotations

from pathlib import Path

from testigo.core import roles
from testigo.geo import gazetteer_services

HND_ADM1 = Path(__file__).parents[1] / "geo" / "boundaries" / "hnd_adm1.geojson"
SHOTS = Path("/tmp/testigo-choropleth")


def _departments(settings):
    settings.GAZETTEER_COUNTRIES = "HN"
    gazetteer_services.import_admin_areas(actor=roles.SYSTEM, filename=HND_ADM1.name, data=HND_ADM1.read_bytes(),
                                          level="admin1")


def test_the_public_map_fills_each_department_by_its_published_reports(page, settings, english, report_factory,
                                                                        admin_user):
    from testigo.reports import services

    _departments(settings)
    for lat, lon in [(15.50, -88.02), (15.51, -88.03), (14.07, -87.19)]:
        report = report_factory(lat=lat, lon=lon)
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)
    report_factory(lat=13.46, lon=-87.28)  # Choluteca, not published: Choluteca stays at zero
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/#map=7/14.8/-86.5")
    page.wait_for_selector("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point")
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Reports per department").check()
    page.wait_for_selector("#map[data-areas-loaded=admin1]")
    assert page.locator("path.tg-area").count() == 18  # every department, zero included
    assert page.locator(".tg-cluster, .tg-point").count() == 0
    legend = page.locator(".map-legend")
    assert "Reports per department" in legend.inner_text() and "0" in legend.inner_text()
    fills = page.eval_on_selector_all("path.tg-area", "ps => ps.map(p => p.getAttribute('fill'))")
    assert fills.count("#f2f2f2") == 16 and len(set(fills)) == 3  # Cortés (2), Francisco Morazán (1), zeros
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "public-admin1.png"))
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Reports per department").uncheck()
    page.wait_for_selector(".tg-cluster, .tg-point")
    assert page.locator(".map-legend").count() == 0


def test_the_staff_map_counts_every_report_its_user_may_see(page, settings, report_factory, admin_user):
    _departments(settings)
    report_factory(lat=13.46, lon=-87.28)  # unpublished: staff see it
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/console/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/map/#map=7/14.8/-86.5")
    page.wait_for_selector("#map[data-loaded]")
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label").nth(1).locator("input").check()  # per department
    page.wait_for_selector("#map[data-areas-loaded=admin1]")
    fills = page.eval_on_selector_all("path.tg-area", "ps => ps.map(p => p.getAttribute('fill'))")
    assert len(fills) == 18 and fills.count("#f2f2f2") == 17
    page.screenshot(path=str(SHOTS / "staff-admin1.png"))
