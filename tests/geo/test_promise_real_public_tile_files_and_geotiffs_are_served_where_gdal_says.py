"""Real files, not only files the tests make (issue #22): a raster MBTiles written by TileMill (its
`tiles` is a view over `map` and `images`, with tiles missing), a PMTiles v3 written by tippecanoe
(gzip-compressed vector tile), and two GeoTIFFs (GDAL's classic 20 x 20 byte.tif in NAD27 / UTM
11N, and a Landsat RGB extract over the Bahamas in UTM 18N with a no-data collar) are uploaded in the
console, and their tiles are read back: the MBTiles and PMTiles tiles are the file's own bytes at
the flipped row, the GeoTIFFs are tiled and placed where GDAL says they are. Sources and licences:
tests/geo/files/SOURCES.md."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from testigo.core import roles
from testigo.geo.models import Tileset

from .test_promise_aerial_imagery_is_tiled_where_it_belongs_and_bad_images_refused import tile_pixel

FILES = Path(__file__).resolve().parent / "files"
MBTILES = FILES / "node_mbtiles_some_empty_tiles.mbtiles"
PMTILES = FILES / "pmtiles_test_fixture_1.pmtiles"
BYTE_TIF = FILES / "gdal_byte.tif"
LANDSAT_TIF = FILES / "rasterio_rgb_byte_tenth.tif"


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(roles.ADMIN))
    return client


def _install(client, path):
    with open(path, "rb") as fh:
        response = client.post(reverse("console:tilesets"), {"name_es": path.stem, "attribution": "Sample", "file": fh})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Tileset.objects.get()


def test_a_tilemill_mbtiles_serves_its_own_tiles_at_the_flipped_row_and_nothing_where_it_has_none(admin_client):
    tileset = _install(admin_client, MBTILES)
    assert (tileset.kind, tileset.tile_format, tileset.min_zoom, tileset.max_zoom) == ("mbtiles", "png", 1, 2)
    db = sqlite3.connect(f"file:{MBTILES}?mode=ro", uri=True)
    rows = {(z, x, y): bytes(data) for z, x, y, data in
            db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    db.close()
    anonymous, served = Client(), 0
    for z in (1, 2):
        for x in range(1 << z):
            for y in range(1 << z):
                response = anonymous.get(f"/tiles/{tileset.pk}/{z}/{x}/{y}.png")
                own = rows.get((z, x, (1 << z) - 1 - y))  # XYZ y is the TMS row flipped
                if own is None:
                    assert response.status_code == 204, (z, x, y)
                else:
                    assert response.status_code == 200 and response.content == own, (z, x, y)
                    served += 1
    assert served == len(rows) == 11


def test_a_tippecanoe_pmtiles_v3_serves_its_vector_tile_unwrapped(admin_client):
    tileset = _install(admin_client, PMTILES)
    assert (tileset.kind, tileset.tile_format, tileset.min_zoom, tileset.max_zoom) == ("pmtiles", "pbf", 0, 0)
    response = Client().get(f"/tiles/{tileset.pk}/0/0/0.pbf")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-protobuf"
    assert response.content[:1] == b"\x1a"  # a Mapbox Vector Tile layer (field 3), not gzip's 1f 8b
    assert b"test_fixture_1pmtiles" in response.content  # the layer tippecanoe named
    assert Client().get(f"/tiles/{tileset.pk}/1/0/0.pbf").status_code == 204


def _gdal_extent(path) -> tuple[float, float, float, float]:
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(path)], capture_output=True, check=True).stdout)
    ring = info["wgs84Extent"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _gdal_value(path, lon, lat) -> list[int]:
    out = subprocess.run(["gdallocationinfo", "-wgs84", "-valonly", str(path), str(lon), str(lat)],
                         capture_output=True, text=True, check=True).stdout
    return [int(float(v)) for v in out.split()]


def _upload_geotiff(client, path, django_capture_on_commit_callbacks):
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:tileset_aerial"), {
            "aerial-name_es": path.stem, "aerial-attribution": "Sample", "aerial-opacity": "80", "aerial-file": fh})
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert (tileset.role, tileset.status, tileset.is_active) == ("overlay", "ready", True)
    return tileset


@pytest.mark.parametrize("path, inside, outside", [
    (BYTE_TIF, (-117.6355, 33.897), (-117.66, 33.897)),
    (LANDSAT_TIF, (-77.7, 24.5), (-79.5, 24.5)),
], ids=["gdal_byte_nad27_utm11", "landsat_rgb_utm18"])
def test_a_real_geotiff_is_tiled_and_placed_where_gdal_says(admin_client, path, inside, outside,
                                                            django_capture_on_commit_callbacks):
    tileset = _upload_geotiff(admin_client, path, django_capture_on_commit_callbacks)
    west, south, east, north = _gdal_extent(path)
    pixel_degrees = max(east - west, north - south) / 20  # the coarser file has 79 x 71 pixels, byte.tif 20 x 20
    for got, want in zip(tileset.bounds, (west, south, east, north), strict=True):
        assert abs(got - want) < pixel_degrees, (tileset.bounds, (west, south, east, north))
    assert 0 < tileset.min_zoom <= tileset.max_zoom
    anonymous = Client()
    colour = tile_pixel(anonymous, tileset, *inside, tileset.max_zoom)
    assert colour is not None  # opaque where the image is
    values = _gdal_value(path, *inside)
    expected = tuple(values * 3) if len(values) == 1 else tuple(values[:3])
    assert all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True)), (colour, expected)
    assert tile_pixel(anonymous, tileset, *outside, tileset.max_zoom) is None  # see-through beyond it
