"""The public map in Chromium: server clusters appear (even with tiles blocked), their counts
add up to the API's for the viewport, and a single report opens a popup linking to its page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.fixture
def map_reports(report_factory, admin_user):
    from testigo.reports import services

    made = []
    points = [(14.07 + i * 0.001, -87.19 + i * 0.001) for i in range(6)] + [(15.77, -86.79)]
    for i, (lat, lon) in enumerate(points):
        report = report_factory(title=f"Incidente {i}", lat=lat, lon=lon)
        services.verify(report=report, actor=admin_user)
        made.append(services.publish(report=report, actor=admin_user))
    report_factory(title="Sin publicar", lat=14.5, lon=-87.5)
    return made


def test_map_clusters_match_api_and_single_report_opens_popup(page, live_server, map_reports):
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())  # offline tiles
    page.goto("/#map=8/14.6/-86.9")
    page.wait_for_selector("#map[data-loaded]")
    page.wait_for_selector(".tg-cluster, .tg-point")
    counts = [int(t) for t in page.locator(".tg-cluster span").all_inner_texts()]
    singles = page.locator(".tg-point").count()
    box, zoom = page.get_attribute("#map", "data-bbox"), page.get_attribute("#map", "data-zoom")
    api = page.request.get(f"{live_server.url}/api/v1/map/clusters?bbox={box}&zoom={zoom}").json()
    # Clusters whose icons would overlap are merged on screen (test_promise_cluster_counts_never_overlap),
    # so the markers may be fewer than the API's cells, but never count differently.
    assert sum(counts) + singles == api["total"] == 7

    lone = next(p for p in api["points"] if p["title"] == "Incidente 6")  # far from the others
    page.locator(".tg-point[title='Incidente 6']").click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.get_attribute("href") == f"/r/{lone['reference']}/"
    assert lone["title"] in page.locator(".leaflet-popup-content").inner_text()


@pytest.fixture
def no_fuzz(settings):
    settings.FUZZ_RADIUS_M = 0  # deterministic positions: the six nearby reports stay clustered


def test_clicking_a_cluster_zooms_in(page, no_fuzz, map_reports):
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/#map=10/14.07/-87.19")
    page.wait_for_selector("#map[data-loaded] .tg-cluster")
    # Only clusters here (no single dots that a click could hit instead); if two circles overlap,
    # whichever is on top gets the click, and any cluster must zoom in.
    assert page.locator(".tg-point").count() == 0
    box = page.locator(".tg-cluster").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#map")).not_to_have_attribute("data-zoom", "10")
    assert int(page.get_attribute("#map", "data-zoom")) > 10
    assert "#map=" in page.url and "#map=10/" not in page.url


def test_home_without_javascript_lists_reports_filters_and_report_link(nojs_page, map_reports):
    nojs_page.goto("/")
    items = nojs_page.locator("#map-list li a")
    assert items.count() == 7
    assert nojs_page.locator("form#map-filters input[name=q]").count() == 1
    assert nojs_page.locator("a[href='/report/']").count() >= 1
    nojs_page.locator("details.map-filter-box summary").click()
    nojs_page.fill("input[name=q]", "Incidente 6")
    nojs_page.locator("form#map-filters button[type=submit]").click()
    nojs_page.wait_for_url("**q=Incidente*")
    assert nojs_page.locator("#map-list li a").all_inner_texts() == ["Incidente 6"]
