"""Self-hosted basemaps (issue #22): an administrator uploads an MBTiles or PMTiles file in the
console and Testigo serves its tiles itself at /tiles/<id>/{z}/{x}/{y}.<ext> (MBTiles rows flipped
from TMS, cache headers, ETag revalidation); a file that is not a readable tile set, or is too
large, is refused with a clear message and nothing is kept."""

from __future__ import annotations

import io
import sqlite3

import pytest
from django.test import Client
from django.urls import reverse

from testigo.core import roles
from testigo.geo.models import Tileset

from .tile_files import colour_of, make_mbtiles, make_pmtiles, make_vector_mbtiles, mvt_square, pixel


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(roles.ADMIN))
    return client


def upload(client, path, name="Dron 2026", **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("console:tilesets"), {"name_es": name, "attribution": "Comunidad", "file": fh, **extra})


def stored_files(settings) -> list:
    folder = settings.MEDIA_ROOT / "tilesets"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("maker", [make_mbtiles, make_pmtiles], ids=["mbtiles", "pmtiles"])
def test_an_uploaded_tile_set_is_served_from_testigo_with_cache_headers(admin_client, tmp_path, maker):
    response = upload(admin_client, maker(tmp_path / "drone.tiles"))
    assert response.status_code == 302, response.content.decode()[:2000]
    tileset = Tileset.objects.get()
    assert (tileset.tile_format, tileset.min_zoom, tileset.max_zoom) == ("png", 0, 2)

    anonymous = Client()
    for z, x, y in [(0, 0, 0), (1, 0, 0), (2, 3, 1), (2, 1, 3)]:
        tile = anonymous.get(f"/tiles/{tileset.pk}/{z}/{x}/{y}.png")
        assert tile.status_code == 200 and tile["Content-Type"] == "image/png"
        assert pixel(tile.content) == colour_of(z, x, y)  # the XYZ tile asked for: TMS row flipped
    assert "max-age=" in tile["Cache-Control"] and "public" in tile["Cache-Control"]
    again = anonymous.get(f"/tiles/{tileset.pk}/2/1/3.png", HTTP_IF_NONE_MATCH=tile["ETag"])
    assert again.status_code == 304 and not again.content
    assert anonymous.get(f"/tiles/{tileset.pk}/9/0/0.png").status_code == 204  # beyond the file: empty
    assert anonymous.get(f"/tiles/{tileset.pk}/1/5/0.png").status_code == 204  # not on the grid
    assert anonymous.get(f"/tiles/{tileset.pk}/0/0/0.jpg").status_code == 404
    assert anonymous.get(f"/tiles/{tileset.pk + 1}/0/0/0.png").status_code == 404


def test_a_tile_set_joins_the_maps_basemaps_and_can_be_the_default(admin_client, tmp_path, client):
    upload(admin_client, make_mbtiles(tmp_path / "a.mbtiles"), is_default="on")
    tileset = Tileset.objects.get()
    page = client.get("/").content.decode()
    assert f'"url": "/tiles/{tileset.pk}/{{z}}/{{x}}/{{y}}.png"' in page
    assert f'"defaultKey": "t{tileset.pk}"' in page
    admin_client.post(reverse("console:tileset_toggle", args=[tileset.pk]), {"field": "is_active"})
    assert f"/tiles/{tileset.pk}/" not in client.get("/").content.decode()
    assert client.get(f"/tiles/{tileset.pk}/0/0/0.png").status_code == 404  # hidden: not served either


def _garbled_sqlite(path):
    make_mbtiles(path)
    data = bytearray(path.read_bytes())
    data[4096:] = bytes((b ^ 0x5A) for b in data[4096:])  # every page after the first scrambled
    path.write_bytes(bytes(data))


def _not_mbtiles(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE reports (id INTEGER)")
    db.commit()
    db.close()


def _pmtiles_v2(path):
    make_pmtiles(path)
    data = bytearray(path.read_bytes())
    data[7] = 2
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"GIF89a not tiles at all"), "neither an MBTiles nor a PMTiles file"),
    (_not_mbtiles, "not an MBTiles tile set"),
    (_garbled_sqlite, "MBTiles file is damaged"),
    (_pmtiles_v2, "PMTiles version 2 is not supported"),
    (lambda p: p.write_bytes(b"PMTiles\x03" + b"\xff" * 119), "PMTiles file is damaged"),
], ids=["unknown", "sqlite-not-mbtiles", "corrupt-sqlite", "pmtiles-v2", "corrupt-pmtiles"])
def test_bad_tile_files_are_refused_clearly_and_nothing_is_kept(admin_client, tmp_path, settings, make, message):
    path = tmp_path / "bad.mbtiles"
    make(path)
    response = upload(admin_client, path)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tileset.objects.exists() and stored_files(settings) == []


class Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body of an oversized upload was read")

    readline = readinto = read


def test_an_oversized_upload_is_refused_before_its_body_is_read(admin_client, tmp_path, settings):
    settings.MAX_TILESET_MB = 1
    path = make_mbtiles(tmp_path / "ok.mbtiles")
    response = upload(admin_client, path)  # small enough: accepted
    assert response.status_code == 302
    Tileset.objects.all().delete()

    environ = {"CONTENT_LENGTH": str(5 * 1024**3), "CONTENT_TYPE": "multipart/form-data; boundary=x",
               "wsgi.input": Unreadable()}
    response = admin_client.generic("POST", reverse("console:tilesets"), **environ)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert not Tileset.objects.exists()


def test_only_layer_managers_upload_tile_sets(make_user, tmp_path):
    client = Client()
    client.force_login(make_user(roles.MODERATOR))
    with open(make_mbtiles(tmp_path / "a.mbtiles"), "rb") as fh:
        response = client.post(reverse("console:tilesets"), {"name_es": "X", "file": fh})
    assert response.status_code == 403
    assert not Tileset.objects.exists()


def test_vector_tiles_are_served_unwrapped_and_their_renderer_is_named_only_when_needed(admin_client, tmp_path, client):
    assert "protomaps-leaflet" not in client.get("/").content.decode()  # no vector layer: not even named
    assert upload(admin_client, make_vector_mbtiles(tmp_path / "vector.mbtiles")).status_code == 302
    tileset = Tileset.objects.get()
    assert tileset.tile_format == "pbf"
    tile = client.get(f"/tiles/{tileset.pk}/1/1/0.pbf")
    assert tile["Content-Type"] == "application/x-protobuf" and tile.content == mvt_square()  # gzip removed
    page = client.get("/").content.decode()
    assert f'"url": "/tiles/{tileset.pk}/{{z}}/{{x}}/{{y}}.pbf"' in page
    assert "protomaps-leaflet.js" in page and '<script src="/static/vendor/protomaps-leaflet' not in page  # fetched on demand


def test_deleting_a_tile_set_removes_its_file_and_its_tiles(admin_client, tmp_path, settings, client):
    upload(admin_client, make_mbtiles(tmp_path / "a.mbtiles"))
    tileset = Tileset.objects.get()
    assert client.get(f"/tiles/{tileset.pk}/0/0/0.png").status_code == 200
    assert len(stored_files(settings)) == 1
    admin_client.post(reverse("console:tileset_delete", args=[tileset.pk]))
    assert not Tileset.objects.exists() and stored_files(settings) == []
    assert client.get(f"/tiles/{tileset.pk}/0/0/0.png").status_code == 404
