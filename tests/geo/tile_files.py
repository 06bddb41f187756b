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


# --- A vector tile (Mapbox Vector Tile 2.1, protobuf) written by hand: one square polygon filling
# the tile in layer `layer` (the Protomaps basemap's land is "earth", water "water").

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint(number << 3 | wire)
    return key + (_varint(payload) if wire == 0 else _varint(len(payload)) + payload)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def mvt_square(layer: str = "earth", extent: int = 4096) -> bytes:
    geometry = [9, 0, 0,  # MoveTo (0, 0)
                26, _zigzag(extent), 0, 0, _zigzag(extent), _zigzag(-extent), 0,  # LineTo x3, clockwise
                15]  # ClosePath
    feature = _field(3, 0, 3) + _field(4, 2, b"".join(_varint(v) for v in geometry))  # type POLYGON
    body = _field(15, 0, 2) + _field(1, 2, layer.encode()) + _field(2, 2, feature) + _field(5, 0, extent)
    return _field(3, 2, body)


def make_vector_mbtiles(path: Path, zooms=range(0, 3), layer: str = "earth") -> Path:
    import gzip

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "Vector"), ("format", "pbf")])
    tile = gzip.compress(mvt_square(layer))  # gzip-wrapped, as tippecanoe and planetiler write
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, y, tile) for z, x, y in xyz_tiles(zooms)])
    db.commit()
    db.close()
    return path
