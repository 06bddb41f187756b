"""Real GeoTIFFs, not only images the tests make (issue #22): two public sample rasters shipped in
Debian's r-cran-terra package (a 1 km elevation model of Luxembourg in WGS84 with a no-data
collar, and the Meuse floodplain grid in the Dutch national system, EPSG:28992, both Int16) are
uploaded in the console as aerial imagery and read back through /tiles/: each is tiled and placed
within a pixel of where `gdalinfo` says it is, opaque where it has data, see-through where it says
"no data" and beyond its edges. Sources and licences: tests/geo/files/SOURCES.md."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from testigo.core import roles
from testigo.geo.models import Tileset

from .test_promise_aerial_imagery_is_tiled_where_it_belongs_and_bad_images_refused import stored, tile_pixel

FILES = Path(__file__).resolve().parent / "files"
ELEV = FILES / "terra_elev.tif"
MEUSE = FILES / "terra_meuse.tif"


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(roles.ADMIN))
    return client


def _gdal(path) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(path)], capture_output=True, check=True).stdout)
    ring = info["wgs84Extent"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys)), tuple(info["size"])


def _value(path, lon, lat) -> int:
    out = subprocess.run(["gdallocationinfo", "-wgs84", "-valonly", str(path), str(lon), str(lat)],
                         capture_output=True, text=True, check=True).stdout
    return int(float(out.split()[0]))


@pytest.mark.parametrize("path, with_data, no_data, outside", [
    (ELEV, (6.1, 49.8), (5.75, 49.45), (5.6, 49.8)),
    (MEUSE, (5.745, 50.98), None, (5.70, 50.975)),
], ids=["luxembourg_elevation_wgs84", "meuse_dutch_rd_new"])
def test_a_real_geotiff_is_tiled_and_placed_where_gdal_says(admin_client, settings, path, with_data, no_data,
                                                            outside, django_capture_on_commit_callbacks):
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("console:tileset_aerial"), {
            "aerial-name_es": path.stem, "aerial-attribution": "terra", "aerial-opacity": "80", "aerial-file": fh})
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert (tileset.role, tileset.status, tileset.is_active) == ("overlay", "ready", True), tileset.error

    (west, south, east, north), (width, height) = _gdal(path)
    pixel = max((east - west) / width, (north - south) / height)
    for got, want in zip(tileset.bounds, (west, south, east, north), strict=True):
        assert abs(got - want) <= 1.5 * pixel, (tileset.bounds, (west, south, east, north))

    anonymous, z = Client(), tileset.max_zoom
    assert _value(path, *with_data) != -32768
    assert tile_pixel(anonymous, tileset, *with_data, z) is not None  # opaque where the file has data
    if no_data:
        assert _value(path, *no_data) == -32768
        assert tile_pixel(anonymous, tileset, *no_data, z) is None  # "no data" inside the file: see-through
    assert tile_pixel(anonymous, tileset, *outside, z) is None  # beyond its edges: see-through
    assert [p.suffix for p in stored(settings)] == [".mbtiles"]  # the original and scratch files are gone
