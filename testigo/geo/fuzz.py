"""Location fuzzing for the public projection.

The public position of a report is the true one moved by an offset derived from a keyed hash
of the report's reference and true position, then snapped to a grid. Because the offset is
deterministic, asking for the same report a thousand times always gives the same point, so
averaging answers reveals nothing; snapping hides the fine structure of the offset itself.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math

METRES_PER_DEGREE_LAT = 111_320.0


def grid_metres(radius_m: int) -> float:
    # A grid a quarter of the radius wide keeps points distinct on the map while removing
    # the last digits that could otherwise narrow the true position down.
    return max(radius_m / 4.0, 10.0)


@functools.lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def fuzz(*, lat: float, lon: float, radius_m: int, secret: str, salt: str) -> tuple[float, float]:
    """Return the public (lat, lon) for a true position, within `radius_m` plus half a grid cell."""
    if radius_m <= 0:
        return lat, lon
    keyed = _keyed(secret).copy()  # the key's padding hashed once, not once per report
    keyed.update(f"{salt}|{lat:.7f}|{lon:.7f}".encode())
    digest = keyed.digest()
    u1 = int.from_bytes(digest[:8], "big") / 2**64
    u2 = int.from_bytes(digest[8:16], "big") / 2**64
    # sqrt for a uniform spread over the disc; at least a fifth of the radius away so the
    # public point is never (almost) the true one.
    distance = radius_m * (0.2 + 0.8 * math.sqrt(u1))
    bearing = 2 * math.pi * u2
    dlat = distance * math.cos(bearing) / METRES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlon = distance * math.sin(bearing) / (METRES_PER_DEGREE_LAT * cos_lat)
    grid = grid_metres(radius_m)
    glat = grid / METRES_PER_DEGREE_LAT
    glon = grid / (METRES_PER_DEGREE_LAT * cos_lat)
    new_lat = round((lat + dlat) / glat) * glat
    new_lon = round((lon + dlon) / glon) * glon
    new_lat = max(-90.0, min(90.0, new_lat))
    new_lon = ((new_lon + 180.0) % 360.0) - 180.0
    return round(new_lat, 6), round(new_lon, 6)
