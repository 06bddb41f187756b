"""Self-hosted tile sets: checking an uploaded MBTiles or PMTiles file, and reading one tile of it.

MBTiles (https://github.com/mapbox/mbtiles-spec) is an SQLite database with a `tiles` table
(zoom_level, tile_column, tile_row, tile_data) in TMS order: row 0 is the south edge, so the
served XYZ `y` is flipped. PMTiles v3 is a single file of tiles behind a compressed directory;
Testigo decodes it server-side (the `pmtiles` package) into the same /tiles/<id>/{z}/{x}/{y}.<ext>
addresses as MBTiles, so the browser never needs HTTP range requests or a PMTiles reader.

Files are opened read-only; one SQLite connection / one memory map per file and thread is kept,
so serving a tile is one indexed look-up (bench/bench_tiles.py).
"""

from __future__ import annotations

import gzip
import mmap
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"
FORMATS = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "pbf": "application/x-protobuf"}
_ALIASES = {"jpeg": "jpg", "mvt": "pbf"}
MAX_ZOOM = 24  # deeper than any real imagery (1 cm pixels); bounds the y-flip's shift


@dataclass(frozen=True)
class TilesetInfo:
    kind: str
    tile_format: str
    min_zoom: int
    max_zoom: int
    bounds: list[float] | None
    name: str


def _sniff(data: bytes) -> str | None:
    """A tile's format from its first bytes (for MBTiles files whose metadata does not say)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "pbf" if data else None


def _bounds(text: str | None) -> list[float] | None:
    try:
        values = [float(v) for v in (text or "").split(",")]
    except ValueError:
        return None
    if len(values) != 4 or not (-180 <= values[0] < values[2] <= 180 and -90 <= values[1] < values[3] <= 90):
        return None
    return values


def inspect_file(path: Path) -> TilesetInfo:
    """What the file holds, or a ValidationError saying in the user's language why it is refused."""
    with open(path, "rb") as fh:
        head = fh.read(127)
    if head.startswith(SQLITE_MAGIC):
        return _inspect_mbtiles(path)
    if head.startswith(PMTILES_MAGIC):
        return _inspect_pmtiles(path, head)
    raise ValidationError(_("This is neither an MBTiles nor a PMTiles file."), code="unknown")


def _inspect_mbtiles(path: Path) -> TilesetInfo:
    not_mbtiles = _("This SQLite file is not an MBTiles tile set (it has no “tiles” and “metadata” tables).")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if not {"tiles", "metadata"} <= names:
                raise ValidationError(not_mbtiles, code="not_mbtiles")
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            first = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
            if db.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise ValidationError(_("The MBTiles file is damaged and cannot be read."), code="corrupt") from exc
    if first is None:
        raise ValidationError(_("The MBTiles file contains no tiles."), code="empty")
    fmt = str(meta.get("format") or "").lower()
    fmt = _ALIASES.get(fmt, fmt) or _sniff(bytes(first[0]))
    if fmt not in FORMATS:
        raise ValidationError(_("Tiles in the format “%(format)s” cannot be shown; use PNG, JPEG, WebP or vector (pbf).")
                              % {"format": fmt}, code="format")
    min_zoom, max_zoom = int(zooms[0]), int(zooms[1])
    if not 0 <= min_zoom <= max_zoom <= MAX_ZOOM:
        raise ValidationError(_("The MBTiles file's zoom levels are out of range."), code="zoom")
    return TilesetInfo(kind="mbtiles", tile_format=fmt, min_zoom=min_zoom, max_zoom=max_zoom,
                       bounds=_bounds(meta.get("bounds")), name=str(meta.get("name") or "")[:100])


def _inspect_pmtiles(path: Path, head: bytes) -> TilesetInfo:
    from pmtiles.tile import (
        MagicNumberNotFound,
        SpecVersionUnsupported,
        TileType,
        deserialize_directory,
        deserialize_header,
    )

    if len(head) > 7 and head[7] != 3:
        raise ValidationError(_("PMTiles version %(version)s is not supported; Testigo reads version 3 files.")
                              % {"version": head[7]}, code="version")
    try:
        header = deserialize_header(head)
        with open(path, "rb") as fh:
            fh.seek(header["root_offset"])
            root = deserialize_directory(fh.read(header["root_length"]))
    except (MagicNumberNotFound, SpecVersionUnsupported, ValueError, UnicodeDecodeError, OSError, IndexError,
            EOFError) as exc:
        raise ValidationError(_("The PMTiles file is damaged and cannot be read."), code="corrupt") from exc
    if not root:
        raise ValidationError(_("The PMTiles file contains no tiles."), code="empty")
    formats = {TileType.MVT: "pbf", TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
    if header["tile_type"] not in formats:
        raise ValidationError(_("Tiles in the format “%(format)s” cannot be shown; use PNG, JPEG, WebP or vector (pbf).")
                              % {"format": header["tile_type"].name.lower()}, code="format")
    if not header["min_zoom"] <= header["max_zoom"] <= MAX_ZOOM:
        raise ValidationError(_("The PMTiles file's zoom levels are out of range."), code="zoom")
    bounds = [header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7, header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7]
    return TilesetInfo(kind="pmtiles", tile_format=formats[header["tile_type"]], min_zoom=header["min_zoom"],
                       max_zoom=header["max_zoom"], bounds=_bounds(",".join(map(str, bounds))), name="")


# --- Reading tiles --------------------------------------------------------------------------------

_open = threading.local()


def _mbtiles(path: str) -> sqlite3.Connection:
    conns = _open.__dict__.setdefault("mbtiles", {})
    if path not in conns:
        conns[path] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return conns[path]


class _PMTilesFile:
    """A PMTiles v3 file read through a memory map, with its header and every directory it has
    visited kept decoded (the `pmtiles` package's Reader decodes the root directory again for each
    tile: ~50 ms for a city's imagery)."""

    def __init__(self, path: str):
        from pmtiles.tile import deserialize_header

        with open(path, "rb") as fh:
            self.data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.header = deserialize_header(self.data[:127])
        self.directories: dict[tuple[int, int], list] = {}

    def _directory(self, offset: int, length: int) -> list:
        from pmtiles.tile import deserialize_directory

        key = (offset, length)
        if key not in self.directories:
            self.directories[key] = deserialize_directory(self.data[offset:offset + length])
        return self.directories[key]

    def get(self, z: int, x: int, y: int) -> bytes | None:
        from pmtiles.tile import find_tile, zxy_to_tileid

        h, tile_id = self.header, zxy_to_tileid(z, x, y)
        offset, length = h["root_offset"], h["root_length"]
        for _depth in range(4):  # the format's maximum depth
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length:
                start = h["tile_data_offset"] + entry.offset
                return self.data[start:start + entry.length]
            offset, length = h["leaf_directory_offset"] + entry.offset, entry.length
        return None


def _pmtiles(path: str) -> _PMTilesFile:
    readers = _open.__dict__.setdefault("pmtiles", {})
    if path not in readers:
        readers[path] = _PMTilesFile(path)
    return readers[path]


def forget(path: str) -> None:
    """Close this thread's handle on a file (it is being deleted or replaced)."""
    conn = getattr(_open, "mbtiles", {}).pop(path, None)
    if conn is not None:
        conn.close()
    getattr(_open, "pmtiles", {}).pop(path, None)


def read_tile(*, path: str, kind: str, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ address z/x/y, uncompressed (gzip-wrapped vector tiles are unwrapped), or None."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 1 << z and 0 <= y < 1 << z):
        return None
    if kind == "mbtiles":
        row = _mbtiles(path).execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y)).fetchone()
        data = bytes(row[0]) if row else None
    else:
        data = _pmtiles(path).get(z, x, y)
    if data and data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data
