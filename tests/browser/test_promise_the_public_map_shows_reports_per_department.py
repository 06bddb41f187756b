"""The public map's alternative view: published reports counted per department (the area of their
public point), drawn at each department's centre in place of the clusters, from the layer switcher."""

from __future__ import annotations

from testigo.geo.models import GazetteerPlace


def test_the_per_department_view_replaces_the_clusters_and_counts_published_reports(
        page, live_server, settings, english, report_factory, admin_user):
    from testigo.reports import services

    settings.GAZETTEER_COUNTRIES = "HN"
    GazetteerPlace.objects.create(name="San Pedro Sula", kind="municipality", lat=15.5042, lon=-88.025,
                                  admin1="Cortes", country="HN", source="test")
    for lat, lon in [(15.50, -88.02), (15.51, -88.03), (14.07, -87.19)]:
        report = report_factory(lat=lat, lon=lon)
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)
    report_factory(lat=14.5, lon=-87.5)  # not published
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/#map=7/14.8/-87.5")
    page.wait_for_selector("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point")
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Reports per department").check()
    page.wait_for_selector("path.tg-area")
    assert page.locator("path.tg-area").count() == 2  # Cortes and Francisco Morazan
    assert page.locator(".tg-cluster, .tg-point").count() == 0
    page.locator("path.tg-area").first.hover()
    assert "Cortes: 2" in page.locator(".leaflet-tooltip").inner_text()
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Reports per department").uncheck()
    page.wait_for_selector(".tg-cluster, .tg-point")
