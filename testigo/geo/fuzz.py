"""Location fuzzing for the public projection.

Promise: averaging public points gets no closer to the true point than one public point does,
whether the points come from many reports at one house or from many small edits of one pin.

How. The ground is cut into square cells CELL_FACTOR * radius metres wide (rows of equal
latitude height; each row's columns as wide on the ground as the row is high). Every true point
in a cell gets the same public point: the centre of one of the cell's four neighbours (north,
south, east or west), chosen by an HMAC of the cell under the secret key. The public point is a
function of the cell alone, never of the exact position or of the report, so forty reports at
one house, or forty 1 cm moves of one pin, all show the same point: there is nothing to average.
Someone who sees a public point cannot tell which of the four cells around it holds the true
point without the secret key, and the true point is at least half a cell from it.

The old scheme (an offset keyed by the report's reference and exact position) gave every report
and every edit a fresh offset: forty reports at one house averaged to 50 m from it.

Public points are always cell centres. `snap()` moves any other point (the map's cluster
centroids) to the nearest centre, so a cluster of reports at one public point stays exactly on
it and an average of public points never shows finer detail than the grid.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math

METRES_PER_DEGREE_LAT = 111_320.0
# A cell as wide as the radius: averaging can never narrow a true point down below a cell, and
# the public point lies between half a cell and about two cells from it (MIN_/MAX_DISTANCE_FACTOR).
CELL_FACTOR = 1.0
MIN_DISTANCE_FACTOR = 0.5  # of the cell: a neighbour's centre is at least half a cell away
MAX_DISTANCE_FACTOR = 1.85  # of the cell: sqrt(1.5² + 1²) for a north/south neighbour, plus rounding
# cos(latitude) never below this, so cells near the poles stay finite (they are wide, not degenerate).
MIN_COS_LAT = 0.01
# (row, column) steps to the four neighbours; the HMAC picks one.
NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def cell_metres(radius_m: int) -> float:
    return CELL_FACTOR * radius_m


def max_distance_m(radius_m: int) -> int:
    """How far, at most, a public point is from the true one (rounded up to 10 m): what the
    public report page tells ("approximate location, within about ... m")."""
    return math.ceil(cell_metres(radius_m) * MAX_DISTANCE_FACTOR / 10) * 10


@functools.lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def _row_height(size_m: float) -> float:
    return size_m / METRES_PER_DEGREE_LAT


def _column_width(row: int, height: float) -> float:
    """Degrees of longitude of the cells in `row`: as wide on the ground as the row is high."""
    centre_lat = max(-90.0, min(90.0, (row + 0.5) * height))
    return height / max(math.cos(math.radians(centre_lat)), MIN_COS_LAT)


def _cell(lat: float, lon: float, height: float) -> tuple[int, int]:
    row = math.floor(lat / height)
    return row, math.floor(lon / _column_width(row, height))


def _centre(row: int, column: int, height: float) -> tuple[float, float]:
    lat = max(-90.0, min(90.0, (row + 0.5) * height))
    lon = ((column + 0.5) * _column_width(row, height) + 180.0) % 360.0 - 180.0
    return round(lat, 6), round(lon, 6)


def fuzz(*, lat: float, lon: float, radius_m: int, secret: str) -> tuple[float, float]:
    """The public (lat, lon) for a true position: the centre of a keyed neighbour of its cell,
    between MIN_DISTANCE_FACTOR and MAX_DISTANCE_FACTOR cells away. The same for every position
    in the cell."""
    if radius_m <= 0:
        return lat, lon
    return _public_point(*_cell(lat, lon, _row_height(cell_metres(radius_m))), radius_m, secret)


@functools.lru_cache(maxsize=1 << 16)
def _public_point(row: int, column: int, radius_m: int, secret: str) -> tuple[float, float]:
    """The public point of a cell. Remembered: the reports of a town share a few hundred cells,
    and an import of 100,000 of them computes each cell's HMAC once instead of once per report."""
    size = cell_metres(radius_m)
    height = _row_height(size)
    keyed = _keyed(secret).copy()  # the key's padding hashed once, not once per cell
    keyed.update(f"fuzz-cell|{size:g}|{row}|{column}".encode())
    d_row, d_column = NEIGHBOURS[keyed.digest()[0] % len(NEIGHBOURS)]
    if d_row == 0:
        return _centre(row, column + d_column, height)
    # North or south: the cell of the next row under this cell's centre (rows' columns differ in
    # width, so they do not line up exactly).
    centre_lat, centre_lon = _centre(row, column, height)
    return snap(lat=centre_lat + d_row * height, lon=centre_lon, radius_m=radius_m)


def snap(*, lat: float, lon: float, radius_m: int) -> tuple[float, float]:
    """The centre of the cell holding (lat, lon): public points are left where they are, any
    other point (an average of public points) goes to the nearest public position."""
    if radius_m <= 0:
        return lat, lon
    height = _row_height(cell_metres(radius_m))
    return _centre(*_cell(lat, lon, height), height)
