"""The tip line never loads a map (issue #22): no Leaflet, no basemap, no tile, no outline file,
and its policy lets no tile server in, whatever basemaps the deployment has."""

from __future__ import annotations

import io
import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

MAP_TRACES = ("leaflet", "basemap", "/tiles/", "world-atlas", "tile.openstreetmap.org", "map-config")


@pytest.fixture
def tileset(tip_admin, tmp_path):
    from testigo.geo import services

    png = io.BytesIO()
    Image.new("RGB", (256, 256), (1, 2, 3)).save(png, "PNG")
    path = tmp_path / "t.mbtiles"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT); "
                     "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")
    db.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", (png.getvalue(),))
    db.commit()
    db.close()
    return services.install_tileset(actor=tip_admin, name_es="Dron", is_default=True,
                                    upload=SimpleUploadedFile("t.mbtiles", path.read_bytes()))


@pytest.mark.parametrize("url", ["/tip/", "/tip/login/", "/tip/sent/", "/tip/challenge/"])
def test_no_tip_line_page_loads_a_map(client, tileset, url):
    response = client.get(url, follow=True)
    page = response.content.decode().lower()
    assert not [trace for trace in MAP_TRACES if trace in page]
    csp = response["Content-Security-Policy"]
    assert "openstreetmap" not in csp and "http" not in csp
