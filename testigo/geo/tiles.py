"""Web-mercator tile keys: the Morton (Z-order) code of a point's tile at zoom 20.

Grouping reports by `tile_key >> 2*(20 - z)` gives their tile at zoom z, so the server can
cluster with a plain GROUP BY on an indexed integer, identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math

KEY_ZOOM = 20
MAX_LAT = 85.05112878  # web-mercator's limit; points beyond are clamped to the edge tile


def lonlat_to_tile(lon: float, lat: float, zoom: int = KEY_ZOOM) -> tuple[int, int]:
    n = 1 << zoom
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.log(math.tan(rad) + 1.0 / math.cos(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_to_lonlat(x: float, y: float, zoom: int = KEY_ZOOM) -> tuple[float, float]:
    """North-west corner of tile (x, y); fractional x/y give points inside the tile."""
    n = 1 << zoom
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _spread(v: int) -> int:
    """Insert a zero bit between each of the 20 low bits of v."""
    v &= 0xFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    v = (v | (v << 1)) & 0x5555555555555555
    return v


def _compact(v: int) -> int:
    v &= 0x5555555555555555
    v = (v | (v >> 1)) & 0x3333333333333333
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
    v = (v | (v >> 16)) & 0x00000000FFFFFFFF
    return v


_SPREAD16: list[int] = []


def morton(x: int, y: int) -> int:
    """Interleave the bits of x and y (20 bits each, as tile coordinates at KEY_ZOOM are; the
    quadtree walk passes coarser ones), through a 16-bit lookup table: an import computes two
    keys per report, the map's quadtree walk thousands per request."""
    table = _SPREAD16 or _spread_table()
    return (table[x & 0xFFFF] | (table[(x >> 16) & 0xF] << 32)) | (
        (table[y & 0xFFFF] | (table[(y >> 16) & 0xF] << 32)) << 1)


def _spread_table() -> list[int]:
    if not _SPREAD16:
        _SPREAD16.extend(_spread(v) for v in range(1 << 16))
    return _SPREAD16


def unmorton(key: int) -> tuple[int, int]:
    return _compact(key), _compact(key >> 1)


def tile_key(lat: float | None, lon: float | None) -> int | None:
    if lat is None or lon is None:
        return None
    return morton(*lonlat_to_tile(lon, lat))
