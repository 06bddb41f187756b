"""Tile set files made in the test itself: MBTiles with sqlite3 + Pillow PNGs, PMTiles with the
`pmtiles` package's writer. Each tile's colour says its XYZ address, so a test can tell which tile
it got (and that the MBTiles TMS row was flipped)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image


def colour_of(z: int, x: int, y: int) -> tuple[int, int, int]:
    return (40 + z * 10, (x * 37) % 256, (y * 53) % 256)


def png(z: int, x: int, y: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour_of(z, x, y)).save(out, "PNG")
    return out.getvalue()


def xyz_tiles(zooms=range(0, 3)):
    for z in zooms:
        for x in range(1 << z):
            for y in range(1 << z):
                yield z, x, y


def make_mbtiles(path: Path, zooms=range(0, 3), *, fmt: str | None = "png", bounds="-180,-85,180,85") -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    meta = {"name": "Prueba", "bounds": bounds, **({"format": fmt} if fmt else {})}
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                   [(z, x, (1 << z) - 1 - y, png(z, x, y)) for z, x, y in xyz_tiles(zooms)])  # TMS rows
    db.commit()
    db.close()
    return path


def make_pmtiles(path: Path, zooms=range(0, 3)) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    with open(path, "wb") as fh:
        writer = Writer(fh)
        for z, x, y in sorted(xyz_tiles(zooms), key=lambda t: zxy_to_tileid(*t)):
            writer.write_tile(zxy_to_tileid(z, x, y), png(z, x, y))
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                         "min_zoom": min(zooms), "max_zoom": max(zooms), "min_lon_e7": -1800000000,
                         "min_lat_e7": -850000000, "max_lon_e7": 1800000000, "max_lat_e7": 850000000,
                         "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0}, {"name": "Prueba"})
    return path


def pixel(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((128, 128))
