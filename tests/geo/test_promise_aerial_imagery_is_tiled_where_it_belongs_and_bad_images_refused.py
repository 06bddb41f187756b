"""Aerial imagery overlays (issue #22, Grassroots Mapping): a georeferenced GeoTIFF, or a JPEG/PNG
with its corners, uploaded in the console is tiled with GDAL in the worker into an overlay served at
/tiles/<id>/...; its tiles line up with the map (a red corner at a known lon/lat is red in the tile
covering that lon/lat); the overlay joins the maps with its opacity and date. An image without
georeferencing, or in a coordinate system that cannot become web map coordinates, is refused with
a clear message and nothing is kept."""

from __future__ import annotations

import io
import math
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from testigo.core import roles
from testigo.geo.models import Tileset

# The raster: 1000 x 1000 pixels over lon -90.5..-90.4, lat 14.6..14.7 (1e-4 degree pixels, ~11 m);
# its north-west 100 x 100 pixels red, the rest green.
WEST, SOUTH, EAST, NORTH = -90.5, 14.6, -90.4, 14.7
RED, GREEN = (255, 0, 0), (0, 128, 0)


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(roles.ADMIN))
    return client


def _png(path):
    image = Image.new("RGB", (1000, 1000), GREEN)
    image.paste(RED, (0, 0, 100, 100))
    image.save(path)
    return path


def geotiff(tmp_path, srs="EPSG:4326", name="kite.tif"):
    """Built with GDAL: the PNG placed at the corners above in `srs` (None: no georeferencing)."""
    out = tmp_path / name
    args = ["gdal_translate", "-q", "-of", "GTiff"]
    if srs:
        args += ["-a_srs", srs, "-a_ullr", str(WEST), str(NORTH), str(EAST), str(SOUTH)]
    subprocess.run([*args, str(_png(tmp_path / "src.png")), str(out)], check=True)
    return out


def upload(client, path, **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("console:tileset_aerial"), {
            "aerial-name_es": "Cometa 2026", "aerial-attribution": "Public Lab", "aerial-captured_on": "2026-11-02",
            "aerial-opacity": "70", "aerial-file": fh, **{f"aerial-{k}": v for k, v in extra.items()}})


def tile_pixel(client, tileset, lon, lat, z):
    """The colour of the overlay at lon/lat, read from the XYZ tile covering it at zoom z."""
    n = 1 << z
    fx = (lon + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    response = client.get(f"/tiles/{tileset.pk}/{z}/{int(fx)}/{int(fy)}.png")
    if response.status_code == 204:
        return None
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    r, g, b, a = image.getpixel((int((fx % 1) * image.width), int((fy % 1) * image.height)))
    return (r, g, b) if a > 200 else None


def stored(settings):
    folders = [settings.MEDIA_ROOT / "tilesets", settings.DATA_DIR / "aerial"]
    return sorted(p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file())


def _check_lines_up(tileset, z):
    anonymous = Client()
    assert tile_pixel(anonymous, tileset, -90.495, 14.695, z) == RED  # inside the red corner
    assert tile_pixel(anonymous, tileset, -90.485, 14.695, z) == GREEN  # 0.005 degree east of it
    assert tile_pixel(anonymous, tileset, -90.495, 14.685, z) == GREEN  # 0.005 degree south of it
    assert tile_pixel(anonymous, tileset, -90.45, 14.65, z) == GREEN  # the middle
    assert tile_pixel(anonymous, tileset, -90.55, 14.65, z) is None  # west of the image: see-through


def test_a_geotiff_is_tiled_in_the_worker_and_its_tiles_line_up_with_the_map(
        admin_client, tmp_path, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, geotiff(tmp_path))
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert (tileset.role, tileset.status, tileset.progress, tileset.is_active) == ("overlay", "ready", 100, True)
    assert tileset.max_zoom >= 13 and tileset.min_zoom < tileset.max_zoom  # gdaladdo made lower levels
    west, south, east, north = tileset.bounds
    assert abs(west - WEST) < 0.01 and abs(north - NORTH) < 0.01 and abs(east - EAST) < 0.01
    _check_lines_up(tileset, tileset.max_zoom)
    _check_lines_up(tileset, tileset.max_zoom - 1)  # an overview level too

    # On the public map as an overlay (not a basemap), with its opacity and date.
    page = Client().get("/").content.decode()
    assert f'"url": "/tiles/{tileset.pk}/{{z}}/{{x}}/{{y}}.png"' in page
    assert '"opacity": 0.7' in page and '"date": "2026-11-02"' in page
    assert f'"defaultKey": "t{tileset.pk}"' not in page
    staff = admin_client.get(reverse("console:map")).content.decode()
    assert '"opacity": 0.7' in staff and f"/tiles/{tileset.pk}/" in staff
    # Nothing left behind but the stored MBTiles file.
    assert [p.suffix for p in stored(settings)] == [".mbtiles"]


def test_a_png_with_its_corners_is_placed_at_those_corners(admin_client, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, _png(tmp_path / "photo.png"), west=WEST, south=SOUTH, east=EAST, north=NORTH)
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert tileset.status == "ready"
    _check_lines_up(tileset, tileset.max_zoom)


@pytest.mark.parametrize("srs, message", [
    (None, "This image has no georeferencing"),
    ('LOCAL_CS["site grid"]', "cannot be converted to web map coordinates"),
], ids=["no_georeferencing", "untransformable_crs"])
def test_an_image_that_cannot_be_placed_is_refused_and_nothing_kept(admin_client, tmp_path, settings, srs, message,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, geotiff(tmp_path, srs=srs))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Tileset.objects.exists()
    assert stored(settings) == []


def test_half_the_corners_and_a_non_image_are_refused(admin_client, tmp_path, settings):
    response = upload(admin_client, _png(tmp_path / "photo.png"), west=WEST, south=SOUTH)
    assert response.status_code == 400 and "Give all four corners" in response.content.decode()
    junk = tmp_path / "notes.tif"
    junk.write_bytes(b"not an image at all" * 10)
    response = upload(admin_client, junk)
    assert response.status_code == 400 and "not an image GDAL can read" in response.content.decode()
    assert not Tileset.objects.exists() and stored(settings) == []


def test_tiling_reports_progress_and_a_failure_in_the_worker_is_shown_not_installed(admin_client, tmp_path, settings):
    from testigo.geo import services

    source = geotiff(tmp_path)
    tileset = Tileset.objects.create(name_es="x", name_en="x", kind="mbtiles", tile_format="png", role="overlay",
                                     status="tiling", progress=0, is_active=False)
    page = admin_client.get(reverse("console:tilesets")).content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page
    admin_client.post(reverse("console:tileset_toggle", args=[tileset.pk]), {"field": "is_active"})
    tileset.refresh_from_db()
    assert not tileset.is_active  # not shown before its tiles exist
    source.write_bytes(b"damaged since the upload")
    assert services.tile_overlay(tileset_id=tileset.pk, source=str(source), language="en") is False
    tileset.refresh_from_db()
    assert (tileset.status, tileset.is_active, bool(tileset.file)) == ("failed", False, False)
    assert "not an image GDAL can read" in tileset.error
    assert not source.exists() and stored(settings) == []
    assert "Tiling failed:" in admin_client.get(reverse("console:tilesets")).content.decode()


def test_an_overlay_deleted_while_it_is_tiled_is_not_brought_back(admin_client, tmp_path, settings, monkeypatch):
    from testigo.geo import aerial, services

    tileset = Tileset.objects.create(name_es="x", name_en="x", kind="mbtiles", tile_format="png", role="overlay",
                                     status="tiling", progress=0, is_active=False)
    real_tile = aerial.tile

    def tile_then_delete(*args, **kwargs):
        result = real_tile(*args, **kwargs)
        admin_client.post(reverse("console:tileset_delete", args=[tileset.pk]))
        return result

    monkeypatch.setattr(aerial, "tile", tile_then_delete)  # the real tiling, then a delete before it is stored
    assert services.tile_overlay(tileset_id=tileset.pk, source=str(geotiff(tmp_path))) is False
    assert not Tileset.objects.exists() and stored(settings) == []


def test_gdal_progress_is_reported_as_it_tiles(tmp_path):
    from testigo.geo import aerial

    seen = []
    aerial.tile(geotiff(tmp_path), tmp_path / "out.mbtiles", progress=seen.append)
    assert seen[-1] == 100 and seen == sorted(seen)
    assert len({p for p in seen if 0 < p < 100}) >= 5  # the steps' "0...10...20" reports, not only the end


def test_an_upload_over_the_limit_is_refused_before_it_is_read(admin_client, tmp_path, settings):
    settings.MAX_TILESET_MB = 1
    response = upload(admin_client, geotiff(tmp_path))  # ~3 MB
    assert response.status_code == 413 and "larger than 1 MB" in response.content.decode()
    assert not Tileset.objects.exists() and stored(settings) == []
