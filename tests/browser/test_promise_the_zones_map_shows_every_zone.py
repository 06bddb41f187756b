"""The console's alert-zones page draws every zone that exists on its map, each with its name, so a
coordinator drawing a new zone sees the ones already there (issue #14: the map was empty)."""

from __future__ import annotations

import json

from playwright.sync_api import expect

SQUARE = {"type": "Polygon", "coordinates": [[[-87.25, 14.05], [-87.15, 14.05], [-87.15, 14.12],
                                             [-87.25, 14.12], [-87.25, 14.05]]]}


def test_every_zone_is_drawn_with_its_name(page, admin_user):
    from testigo.alerts import zones

    zones.create_zone(actor=admin_user, name_es="Colonia Kennedy", geojson=json.dumps(SQUARE))
    zones.create_zone(actor=admin_user, name_es="Centro <b>histórico</b>", lat=14.105, lon=-87.205, radius_m=800)
    zones.create_zone(actor=admin_user, name_es="Comayagüela", lat=14.08, lon=-87.21, radius_m=1500)

    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/console/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/alerts/zones/")

    expect(page.locator("#zone-map .leaflet-overlay-pane path")).to_have_count(3)
    labels = page.locator("#zone-map .leaflet-tooltip")
    expect(labels).to_have_count(3)
    assert sorted(labels.all_inner_texts()) == ["Centro <b>histórico</b>", "Colonia Kennedy", "Comayagüela"]

    page.locator("#zone-map").click(position={"x": 20, "y": 200})  # drawing still works over them
    expect(page.locator("#zone-map .leaflet-overlay-pane path")).to_have_count(4)
