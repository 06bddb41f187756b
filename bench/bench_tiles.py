"""Self-hosted tiles (issue #22): how fast Testigo serves one tile of an uploaded MBTiles or
PMTiles file, through the whole Django stack (middleware, tile set look-up, read, ETag), and what
the home page weighs when it draws the built-in outline map.

The MBTiles has zoom levels 0-9 (349,525 tiles; 0-6 when QUICK) of 6 KB PNG tiles, like a
department's orthophoto; requests ask random tiles of the deepest level (the slowest: the largest
index range). Prints JSON lines {"name","value","unit","target","n"}. SQLite only: the tiles are
read from the uploaded file, not from Testigo's database, so the back end changes one primary-key
look-up per request. TESTIGO_BENCH_QUICK=1: under 30 s.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

QUICK = _seed.QUICK
MAX_ZOOM = 6 if QUICK else 9
REQUESTS = 2000 if QUICK else 10000
TARGET_P95_MS = 5


def tile_png() -> bytes:
    """A 256 px PNG of about 6 KB: a few coloured lines on a plain ground, like a street map's tile."""
    from PIL import Image, ImageDraw

    rng = random.Random(1)
    image = Image.new("RGB", (256, 256), (200, 210, 190))
    draw = ImageDraw.Draw(image)
    for _ in range(22):
        draw.line([(rng.randrange(256), rng.randrange(256)), (rng.randrange(256), rng.randrange(256))],
                  fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_mbtiles(path: Path, data: bytes) -> None:
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                     "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
                     "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("name", "bench")])
    for z in range(MAX_ZOOM + 1):
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       ((z, x, y, data) for x in range(1 << z) for y in range(1 << z)))
    db.commit()
    db.close()


def make_pmtiles(path: Path, data: bytes) -> None:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    with open(path, "wb") as fh:
        writer = Writer(fh)
        for z in range(MAX_ZOOM + 1):
            ids = sorted(zxy_to_tileid(z, x, y) for x in range(1 << z) for y in range(1 << z))
            for tile_id in ids:
                writer.write_tile(tile_id, data + tile_id.to_bytes(8, "little"))  # distinct contents
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_zoom": 0,
                         "max_zoom": MAX_ZOOM, "min_lon_e7": -1800000000, "min_lat_e7": -850000000,
                         "max_lon_e7": 1800000000, "max_lat_e7": 850000000, "center_zoom": 0,
                         "center_lon_e7": 0, "center_lat_e7": 0}, {"name": "bench"})


def serve(client, tileset) -> list[float]:
    rng = random.Random(7)
    side = 1 << MAX_ZOOM
    times, cpu = [], []
    for _ in range(REQUESTS):
        url = f"/tiles/{tileset.pk}/{MAX_ZOOM}/{rng.randrange(side)}/{rng.randrange(side)}.png"
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times, cpu


def p95(values: list[float]) -> float:
    return round(sorted(values)[int(len(values) * 0.95)], 2)


def main() -> None:
    os.environ.setdefault("TESTIGO_ALLOWED_HOSTS", "testserver")
    data_dir = _seed.setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from testigo.core import roles
    from testigo.geo import services

    admin = get_user_model().objects.create_user(username="bench-admin", password="x" * 20)
    roles.set_role(admin, roles.ADMIN)
    client = Client()
    png = tile_png()
    for kind, maker in (("mbtiles", make_mbtiles), ("pmtiles", make_pmtiles)):
        path = data_dir / f"bench.{kind}"
        maker(path, png)
        with open(path, "rb") as fh:
            tileset = services.install_tileset(actor=admin, name_es=kind, upload=SimpleUploadedFile(path.name, fh.read()))
        serve(client, tileset)  # warm: connection, memory map, page cache
        times, cpu = serve(client, tileset)
        # Wall time is what a visitor waits; CPU time is what the server spends, and is what stays
        # true when other processes share the cores (the wall p95 then measures their load).
        _seed.emit(f"tiles.{kind}.p95", p95(times), "ms", f"<= {TARGET_P95_MS}" if kind == "mbtiles" else None,
                   len(times), p50=round(statistics.median(times), 2), cpu_p95=p95(cpu),
                   cpu_p50=round(statistics.median(cpu), 2), loadavg=os.getloadavg()[0], max_zoom=MAX_ZOOM,
                   file_mb=round(path.stat().st_size / 2**20, 1))

    # The home page with the outline map instead of tiles: the page, its scripts and styles, and
    # the outline map's files (countries, region, departments), gzipped (level 6, as bench_pages).
    import re

    from django.conf import settings
    from django.contrib.staticfiles import finders

    settings.TILE_URL = ""
    html = client.get("/").content
    linked = re.findall(rb'(?:src|href)="/static/([^"]+\.(?:js|css))"', html)
    from testigo.geo.basemaps import basemap_config

    files = [finders.find(n.decode()) for n in linked] + [finders.find(url.removeprefix(settings.STATIC_URL))
                                                          for url in basemap_config()["fallback"].values()]
    total = len(gzip.compress(html, 6)) + sum(len(gzip.compress(Path(f).read_bytes(), 6)) for f in files)
    _seed.emit("page_weight.home_outline_map.total_gz", round(total / 1024, 1), "KB", "<= 150", len(files) + 1)


if __name__ == "__main__":
    main()
