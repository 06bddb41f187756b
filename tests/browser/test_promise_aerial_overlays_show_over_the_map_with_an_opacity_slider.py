"""Aerial imagery overlays on the public map (issue #22), in Chromium: the overlay control lists the
tiled GeoTIFF with its date; ticking it draws its tiles, served by Testigo, over the basemap, and
the slider changes its opacity. Its script is fetched only when there is an overlay."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.geo.test_promise_aerial_imagery_is_tiled_where_it_belongs_and_bad_images_refused import geotiff


@pytest.fixture
def overlay(admin_user, tmp_path, settings):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from testigo.geo import services
    from testigo.geo.models import Tileset

    settings.TILE_URL = ""
    path = geotiff(tmp_path)
    tileset = services.start_overlay(actor=admin_user, name_es="Cometa", attribution="Public Lab",
                                     upload=SimpleUploadedFile("kite.tif", path.read_bytes()),
                                     captured_on=datetime.date(2026, 11, 2), opacity=0.6)
    tileset.refresh_from_db()
    assert tileset.status == Tileset.Status.READY, tileset.error
    return tileset


def test_an_overlay_is_drawn_over_the_map_and_its_slider_sets_its_opacity(page, overlay):
    tiles = []
    page.on("response", lambda r: tiles.append(r.status) if f"/tiles/{overlay.pk}/" in r.url else None)
    page.goto("/#map=14/14.65/-90.45")
    control = page.locator(".tg-overlays")
    expect(control).to_contain_text("Cometa (2026-11-02)")
    control.get_by_role("checkbox").check()
    page.wait_for_selector(".leaflet-overlay-pane img.leaflet-tile-loaded")
    assert tiles and set(tiles) <= {200, 204} and 200 in tiles
    layer = page.locator(".leaflet-overlay-pane .leaflet-layer").first
    assert float(layer.evaluate("e => e.style.opacity")) == pytest.approx(0.6)
    control.locator("input[type=range]").fill("25")
    assert float(layer.evaluate("e => e.style.opacity")) == pytest.approx(0.25)
    assert "Public Lab" in page.locator(".leaflet-control-attribution").inner_text()


def test_zoomed_out_past_its_levels_the_overlay_is_still_drawn(page, overlay):
    asked = []
    page.on("response", lambda r: asked.append(r.url) if f"/tiles/{overlay.pk}/" in r.url else None)
    page.goto(f"/#map={overlay.min_zoom - 3}/14.65/-90.45")
    page.locator(".tg-overlays").get_by_role("checkbox").check()
    page.wait_for_selector(".leaflet-overlay-pane img.leaflet-tile-loaded")
    assert asked and all(f"/tiles/{overlay.pk}/{overlay.min_zoom}/" in u for u in asked)  # its own smallest tiles


def test_without_overlays_the_overlay_script_is_not_fetched(page, settings):
    settings.TILE_URL = ""
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto("/#map=7/14.6/-86.9")
    page.wait_for_selector("#map[data-loaded]")
    assert not any("overlays.js" in u for u in asked)
    assert page.locator(".tg-overlays").count() == 0
