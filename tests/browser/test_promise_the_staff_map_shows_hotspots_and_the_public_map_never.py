"""The staff map draws the active hotspots as a layer (a square per cell, in the layer switcher);
the public map has no such layer and never asks for it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def test_hotspots_are_a_layer_of_the_staff_map_only(page, admin_user, report_factory):
    from testigo.reports import hotspots

    now = timezone.now()
    for i in range(5):
        report_factory(lat=14.0723 + 0.0003 * i, lon=-87.1921, received_at=now - timedelta(hours=1))
    assert hotspots.detect()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/")
    page.wait_for_selector("#map[data-loaded]")
    assert page.locator("path.hotspot").count() == 0
    assert not [url for url in asked if "hotspots" in url]

    page.goto("/console/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/map/#map=14/14.0723/-87.1921")
    page.wait_for_selector("path.hotspot", state="attached")
    assert page.locator("path.hotspot").count() == 2  # Robbery and Crime above it, one square each
    name = page.locator("#map").get_attribute("data-hotspots-name")  # "Focos" in Spanish
    assert page.locator(".leaflet-control-layers-overlays label", has_text=name).count() == 1
