"""Maps without the internet (issue #22), in Chromium with every request beyond this machine
blocked: the public map draws the built-in outline map and the clusters; a self-hosted MBTiles
basemap is asked from Testigo only; the chosen basemap is kept in the address (?layer=) next to
the filters; the report form's location picker uses the same basemaps."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.geo.tile_files import make_mbtiles


def offline(page) -> list[str]:
    """Abort every request that leaves 127.0.0.1; return the list of every URL the page asked for."""
    asked: list[str] = []

    def route(route):
        asked.append(route.request.url)
        host = urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    return asked


@pytest.fixture
def published(report_factory, admin_user):
    from testigo.reports import services

    for i in range(5):
        report = report_factory(title=f"Incidente {i}", lat=14.07 + i * 0.01, lon=-87.19)
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)


def test_with_the_tile_server_unreachable_the_map_draws_the_outline_map_and_clusters(page, published):
    asked = offline(page)
    page.goto("/#map=7/14.6/-86.9")
    page.wait_for_selector("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point")
    # The configured server (OSM by default) was tried, failed, and the outline map took over.
    expect(page.locator("#map")).to_have_attribute("data-basemap", "outline", timeout=15000)
    expect(page.locator("#map")).to_have_attribute("data-outline", "drawn")
    assert any("tile.openstreetmap.org" in u for u in asked)
    assert "layer=" not in page.url  # a fallback, not the visitor's choice: a shared link stays as it was
    canvas = page.locator("#map canvas.leaflet-zoom-animated").first
    assert canvas.bounding_box()["width"] > 100
    # Land is painted: a pixel on Honduras is not the sea colour (the canvas is read in the page).
    colour = page.evaluate("""() => {
        const map = document.getElementById('map'), c = map.querySelector('canvas');
        const r = c.getBoundingClientRect(), box = map.getBoundingClientRect();
        return Array.from(c.getContext('2d').getImageData(box.left + box.width / 2 - r.left,
                                                           box.top + box.height / 2 - r.top, 1, 1).data);
    }""")
    assert colour[3] == 255 and colour[:3] != [0xcf, 0xe0, 0xea], colour
    total = sum(int(t) for t in page.locator(".tg-cluster span").all_inner_texts()) + page.locator(".tg-point").count()
    assert total == 5


def test_with_tile_url_none_and_an_mbtiles_basemap_every_request_goes_to_testigo(page, published, settings,
                                                                                 admin_user, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from testigo.geo import services

    settings.TILE_URL = ""
    path = make_mbtiles(tmp_path / "dron.mbtiles", zooms=range(0, 8))
    tileset = services.install_tileset(actor=admin_user, name_es="Dron", attribution="Comunidad",
                                       upload=SimpleUploadedFile("dron.mbtiles", path.read_bytes()), is_default=True)
    asked = offline(page)
    tiles = []
    page.on("response", lambda r: tiles.append(r.status) if f"/tiles/{tileset.pk}/" in r.url else None)
    page.goto("/?category=&q=Incidente#map=6/14.6/-86.9")
    page.wait_for_selector("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point")
    page.wait_for_selector("#map img.leaflet-tile-loaded")
    expect(page.locator("#map")).to_have_attribute("data-basemap", f"t{tileset.pk}")
    assert tiles and set(tiles) == {200}
    outside = [u for u in asked if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}]
    assert outside == []
    assert page.locator(".leaflet-control-attribution").inner_text().count("Comunidad") == 1

    # The switcher: choosing the outline map keeps the filters and says layer=outline in the address.
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Mapa de contornos (funciona sin conexión)").or_(
        page.get_by_label("Outline map (works offline)")).check()
    expect(page.locator("#map")).to_have_attribute("data-basemap", "outline")
    assert "layer=outline" in page.url and "q=Incidente" in page.url
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    expect(page.locator("#map")).to_have_attribute("data-outline", "drawn", timeout=15000)
    assert page.get_attribute("#map", "data-basemap") == "outline"


def test_the_report_form_picker_uses_the_same_basemaps(page, settings):
    settings.TILE_URL = ""
    asked = offline(page)
    page.goto("/report/")
    page.locator("#pick-map").wait_for(state="visible")
    page.wait_for_selector("[data-outline=drawn]", timeout=15000)
    assert page.locator("[data-basemap=outline]").count() == 1
    assert [u for u in asked if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}] == []


def test_a_vector_tile_set_is_drawn_with_the_renderer_fetched_only_for_it(page, settings, admin_user, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from testigo.geo import services
    from tests.geo.tile_files import make_vector_mbtiles

    settings.TILE_URL = ""
    path = make_vector_mbtiles(tmp_path / "vector.mbtiles", zooms=range(0, 9))
    tileset = services.install_tileset(actor=admin_user, name_es="Vectorial", attribution="Comunidad",
                                       upload=SimpleUploadedFile("v.mbtiles", path.read_bytes()))
    asked = offline(page)
    page.goto("/#map=7/14.6/-86.9")
    page.wait_for_selector("#map[data-outline=drawn]")
    assert not [u for u in asked if "protomaps-leaflet" in u]  # the outline map is the default here
    page.goto(f"/?layer=t{tileset.pk}#map=7/14.6/-86.9")
    expect(page.locator("#map")).to_have_attribute("data-vector", "ready", timeout=15000)
    # The tiles' land ("earth") is painted in the light style's earth colour (#e2dfda in the
    # vendored protomaps-leaflet 5.1.0), not only the style's background.
    page.wait_for_function("""() => [...document.querySelectorAll('#map canvas.leaflet-tile')].some(c => {
        const d = c.getContext('2d').getImageData(c.width / 2, c.height / 2, 1, 1).data;
        return d[0] === 0xe2 && d[1] === 0xdf && d[2] === 0xda; })""", timeout=15000)
    assert [u for u in asked if f"/tiles/{tileset.pk}/" in u and u.endswith(".pbf")]
    assert any("protomaps-leaflet" in u for u in asked)
    assert [u for u in asked if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}] == []
