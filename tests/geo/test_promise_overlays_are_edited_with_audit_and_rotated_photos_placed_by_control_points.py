"""Aerial imagery after the upload, and photos that are not north-up (issue #22): an overlay's title,
date, attribution, default opacity and visibility (public, or staff only) are edited in the console
and every change is in the audit trail with its old and new value; a staff-only overlay is on the
staff map only and its tiles are refused to the public. A kite photo taken at a 30 degree heading,
placed with three control points (pixel -> lon/lat), is warped with GDAL (-gcp, -order 1) so its red
corner lands at the known coordinate, not where a north-up image would put it; control points that
cannot place an image are refused with a clear message and nothing is kept."""

from __future__ import annotations

import math

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from testigo.core import roles
from testigo.core.models import AuditEvent
from testigo.geo.models import Tileset

from .test_promise_aerial_imagery_is_tiled_where_it_belongs_and_bad_images_refused import (
    geotiff,
    stored,
    tile_pixel,
)

RED, GREEN = (255, 0, 0), (0, 128, 0)
WIDTH, HEIGHT = 400, 300
LON0, LAT0 = -90.47, 14.66  # where the photo's top-left pixel is on the ground
STEP = 1e-4  # degrees per pixel (~11 m)
HEADING = math.radians(30)  # the photo's top edge points 30 degrees north of east


def ground(px: float, py: float) -> tuple[float, float]:
    """Where pixel (px, py) of the rotated photo is: x runs 30 degrees north of east, y (down) south of that."""
    c, s = math.cos(HEADING), math.sin(HEADING)
    return LON0 + STEP * (px * c + py * s), LAT0 + STEP * (px * s - py * c)


def photo(path):
    image = Image.new("RGB", (WIDTH, HEIGHT), GREEN)
    image.paste(RED, (WIDTH - 40, 0, WIDTH, 40))  # the top-right corner, 40 x 40 pixels
    image.save(path)
    return path


def control_points() -> str:
    corners = [(0, 0), (WIDTH, 0), (0, HEIGHT), (WIDTH, HEIGHT)]
    return "\n".join(f"{px} {py} {lon:.7f} {lat:.7f}" for px, py in corners for lon, lat in [ground(px, py)])


@pytest.fixture
def admin(make_user):
    return make_user(roles.ADMIN)


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(admin)
    return client


def upload(client, path, **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("console:tileset_aerial"), {
            "aerial-name_es": "Cometa girada", "aerial-attribution": "Public Lab", "aerial-opacity": "70",
            "aerial-file": fh, **{f"aerial-{k}": v for k, v in extra.items()}})


def test_a_rotated_photo_with_control_points_lands_its_red_corner_at_the_known_coordinate(
        admin_client, tmp_path, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, photo(tmp_path / "kite.jpg.png"), gcps=control_points())
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert tileset.status == "ready", tileset.error
    anonymous, z = Client(), tileset.max_zoom
    assert tile_pixel(anonymous, tileset, *ground(WIDTH - 20, 20), z) == RED  # the red corner, rotated
    assert tile_pixel(anonymous, tileset, *ground(WIDTH / 2, HEIGHT / 2), z) == GREEN  # the middle
    assert tile_pixel(anonymous, tileset, *ground(20, 20), z) == GREEN  # the other top corner
    # Where a north-up image with the same top-left corner would have its red corner: not red.
    assert tile_pixel(anonymous, tileset, LON0 + STEP * (WIDTH - 20), LAT0 - STEP * 20, z) != RED
    assert tile_pixel(anonymous, tileset, *ground(WIDTH + 60, HEIGHT / 2), z) is None  # beyond it: see-through
    event = AuditEvent.objects.get(action="tileset.overlay_uploaded")
    assert event.data["gcps"] == 4 and event.data["corners"] is False
    assert [p.suffix for p in stored(settings)] == [".mbtiles"]


@pytest.mark.parametrize("gcps, message", [
    ("0 0 -90.47 14.66\n400 0 -90.43 14.68", "Give between 3 and 50 control points"),
    ("0 0 -90.47 14.66\n200 150 -90.45 14.67\n400 300 -90.43 14.68", "all on one line"),
    ("0 0 -90.47 14.66\n4000 0 -90.43 14.68\n0 300 -90.46 14.63", "outside the image (400 × 300 pixels)"),
    ("0 0 -90.47 14.66\n400 0 somewhere\n0 300 -90.46 14.63", "Control point line 2 must be four numbers"),
    ("0 0 -90.47 94.66\n400 0 -90.43 14.68\n0 300 -90.46 14.63", "Control point line 1 is off the map"),
], ids=["two_points", "collinear", "outside_image", "not_numbers", "off_the_map"])
def test_control_points_that_cannot_place_the_photo_are_refused_and_nothing_kept(
        admin_client, tmp_path, settings, gcps, message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, photo(tmp_path / "kite.png"), gcps=gcps)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Tileset.objects.exists() and stored(settings) == []


def test_corners_and_control_points_together_are_refused(admin_client, tmp_path, settings):
    response = upload(admin_client, photo(tmp_path / "kite.png"), gcps=control_points(),
                      west=-90.5, south=14.6, east=-90.4, north=14.7)
    assert response.status_code == 400 and "either the corners or the control points" in response.content.decode()
    assert not Tileset.objects.exists() and stored(settings) == []


def test_an_overlay_is_edited_with_audit_and_a_staff_only_one_is_never_shown_to_the_public(
        admin_client, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, geotiff(tmp_path))
    tileset = Tileset.objects.get()
    edit = reverse("console:tileset_edit", args=[tileset.pk])
    page = admin_client.get(edit).content.decode()
    assert 'value="Cometa girada"' in page and 'name="opacity"' in page and 'value="70"' in page

    response = admin_client.post(edit, {"name_es": "Cometa del barrio", "name_en": "Neighbourhood kite",
                                        "attribution": "Public Lab Honduras", "captured_on": "2026-10-30",
                                        "opacity": "45", "staff_only": "on"})
    assert response.status_code == 302
    tileset.refresh_from_db()
    assert (tileset.name_es, tileset.name_en, tileset.attribution, str(tileset.captured_on), tileset.opacity,
            tileset.is_public) == ("Cometa del barrio", "Neighbourhood kite", "Public Lab Honduras", "2026-10-30",
                                   0.45, False)
    event = AuditEvent.objects.filter(action="tileset.edited").latest("pk")
    assert event.data["changes"]["opacity"] == [0.7, 0.45]
    assert event.data["changes"]["is_public"] == [True, False]
    assert event.data["changes"]["captured_on"] == [None, "2026-10-30"]
    assert event.data["changes"]["name_es"] == ["Cometa girada", "Cometa del barrio"]

    tile_url = f"/tiles/{tileset.pk}/"
    assert tile_url not in Client().get("/").content.decode()  # not on the public map
    staff_map = admin_client.get(reverse("console:map")).content.decode()
    assert tile_url in staff_map and '"opacity": 0.45' in staff_map and "Public Lab Honduras" in staff_map
    n = 1 << tileset.max_zoom
    x = int((-90.45 + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(14.65))) / math.pi) / 2 * n)
    assert Client().get(f"/tiles/{tileset.pk}/{tileset.max_zoom}/{x}/{y}.png").status_code == 404
    staff_tile = admin_client.get(f"/tiles/{tileset.pk}/{tileset.max_zoom}/{x}/{y}.png")
    assert staff_tile.status_code == 200 and "private" in staff_tile["Cache-Control"]

    admin_client.post(edit, {"name_es": "Cometa del barrio", "opacity": "45"})  # staff only unticked: public again
    assert '"opacity": 0.45' in Client().get("/").content.decode()


def test_bad_edits_are_refused_and_a_basemap_has_no_overlay_fields(admin_client, tmp_path,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, geotiff(tmp_path))
    tileset = Tileset.objects.get()
    edit = reverse("console:tileset_edit", args=[tileset.pk])
    response = admin_client.post(edit, {"name_es": "", "opacity": "150"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert "less than or equal to 100" in response.content.decode()
    tileset.refresh_from_db()
    assert tileset.opacity == 0.7 and tileset.name_es == "Cometa girada"

    basemap = Tileset.objects.create(name_es="Calles", name_en="Streets", kind="mbtiles", tile_format="png")
    page = admin_client.get(reverse("console:tileset_edit", args=[basemap.pk])).content.decode()
    assert 'name="name_es"' in page and 'name="opacity"' not in page and 'name="staff_only"' not in page


def test_only_layer_managers_edit_overlays(make_user, tmp_path):
    tileset = Tileset.objects.create(name_es="x", name_en="x", kind="mbtiles", tile_format="png", role="overlay")
    client = Client()
    client.force_login(make_user(roles.VOLUNTEER))
    response = client.post(reverse("console:tileset_edit", args=[tileset.pk]), {"name_es": "y", "opacity": "10"})
    assert response.status_code in {302, 403}
    tileset.refresh_from_db()
    assert tileset.name_es == "x"


def test_an_overlay_uploaded_for_staff_only_is_on_the_staff_map_and_not_the_public_one(
        admin_client, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, geotiff(tmp_path), staff_only="on")
    tileset = Tileset.objects.get()
    assert (tileset.status, tileset.is_public) == ("ready", False)
    assert f"/tiles/{tileset.pk}/" not in Client().get("/").content.decode()
    assert f"/tiles/{tileset.pk}/" in admin_client.get(reverse("console:map")).content.decode()
    assert "staff only" in admin_client.get(reverse("console:tilesets")).content.decode()
