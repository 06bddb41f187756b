"""Server-side clustering of reports for a map viewport.

A viewport at zoom z is cut into cells of the web-mercator grid at level z + CELL_LEVELS (cells of
about 64 px). Every report stores the Morton code of its zoom-20 tile, so a cell is simply
`tile_key >> 2*(20 - level)`: one GROUP BY on an indexed integer, identical on SQLite and
PostgreSQL. The bounding box becomes a few Morton ranges (`tile_key BETWEEN lo AND hi`, a
quadtree cover) so the index narrows the scan, then the exact lat/lon filter keeps the counts
exact: the cluster counts of a viewport always add up to the number of matching reports in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import F, QuerySet

from testigo.core.db import replicas
from testigo.geo.fuzz import snap
from testigo.geo.tiles import KEY_ZOOM, MAX_LAT, lonlat_to_tile, morton, tile_to_lonlat, unmorton

CELL_LEVELS = 2  # 4 x 4 cells per 256 px tile: cells of 64 px
MAX_ZOOM = 22
MAX_RANGES = 32  # more ranges make the SQL longer than the rows they save


@dataclass(frozen=True)
class Viewport:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def level(self) -> int:
        return max(0, min(KEY_ZOOM, self.zoom + CELL_LEVELS))


def _rects(vp: Viewport, level: int) -> list[tuple[int, int, int, int]]:
    """Tile rectangles (x0, y0, x1, y1) at `level` covering the box; two across the antimeridian."""
    south, north = max(vp.south, -MAX_LAT), min(vp.north, MAX_LAT)
    x0, y0 = lonlat_to_tile(vp.west, north, level)
    x1, y1 = lonlat_to_tile(vp.east, south, level)
    if vp.west <= vp.east:
        return [(x0, y0, x1, y1)]
    return [(x0, y0, (1 << level) - 1, y1), (0, y0, x1, y1)]


def _relation(node: tuple[int, int, int], rect: tuple[int, int, int, int], level: int) -> int:
    """0 = disjoint, 1 = partly inside, 2 = fully inside, for quadtree node (m, x, y)."""
    m, x, y = node
    shift = level - m
    nx0, ny0 = x << shift, y << shift
    nx1, ny1 = ((x + 1) << shift) - 1, ((y + 1) << shift) - 1
    rx0, ry0, rx1, ry1 = rect
    if nx1 < rx0 or nx0 > rx1 or ny1 < ry0 or ny0 > ry1:
        return 0
    if rx0 <= nx0 and nx1 <= rx1 and ry0 <= ny0 and ny1 <= ry1:
        return 2
    return 1


def _node_range(node: tuple[int, int, int]) -> tuple[int, int]:
    m, x, y = node
    shift = 2 * (KEY_ZOOM - m)
    lo = morton(x, y) << shift
    return lo, lo + (1 << shift) - 1


def morton_ranges(vp: Viewport, max_ranges: int = MAX_RANGES) -> list[tuple[int, int]]:
    """Inclusive zoom-20 key ranges whose union covers the viewport (a little more, never less)."""
    level = vp.level
    rects = _rects(vp, level)
    done: list[tuple[int, int, int]] = []
    partial = [(0, 0, 0)]
    for m in range(1, level + 1):
        children = [(m, 2 * x + dx, 2 * y + dy) for _m, x, y in partial for dy in (0, 1) for dx in (0, 1)]
        if len(done) + len(children) > 4 * max_ranges:
            break  # budget spent: keep the coarser cover, the exact filter trims it
        partial = []
        for child in children:
            best = max(_relation(child, r, level) for r in rects)
            if best == 2:
                done.append(child)
            elif best == 1:
                partial.append(child)
    ranges = sorted(_node_range(n) for n in done + partial)
    merged: list[list[int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    while len(merged) > max_ranges:  # close the smallest gap until within budget
        gaps = [merged[i + 1][0] - merged[i][1] for i in range(len(merged) - 1)]
        i = gaps.index(min(gaps))
        merged[i][1] = merged.pop(i + 1)[1]
    return [(lo, hi) for lo, hi in merged]


def cell_bounds(cell: int, level: int) -> list[float]:
    """[west, south, east, north] of a cell."""
    return list(_cell_bounds(cell, level))


@lru_cache(maxsize=65536)  # the same cells come back on every map move over a place
def _cell_bounds(cell: int, level: int) -> tuple[float, float, float, float]:
    x, y = unmorton(cell)
    west, north = tile_to_lonlat(x, y, level)
    east, south = tile_to_lonlat(x + 1, y + 1, level)
    return round(west, 5), round(south, 5), round(east, 5), round(north, 5)


@dataclass
class Cell:
    cell: int
    count: int
    lat: float
    lon: float
    first_id: int | None  # the report's id when count == 1
    sum_lat: float = 0.0
    sum_lon: float = 0.0
    sum_id: int = 0


def public_centroid(cell: Cell, bounds: list[float], *, radius_m: int) -> tuple[float, float]:
    """Where a public cluster is drawn: the centroid of its public points (the pyramid and the
    raw query both sum public columns for the public) moved to the nearest public position of
    the fuzz grid, then kept inside the cluster's cell `bounds` ([west, south, east, north]). A
    cluster of reports sharing one public point is drawn exactly on it."""
    lat, lon = _snapped(cell.lat, cell.lon, radius_m)
    west, south, east, north = bounds
    return min(max(lat, south), north), min(max(lon, west), east)


@lru_cache(maxsize=65536)  # the same clusters come back on every map move over a place
def _snapped(lat: float, lon: float, radius_m: int) -> tuple[float, float]:
    return snap(lat=lat, lon=lon, radius_m=radius_m)


@dataclass(frozen=True)
class Source:
    """The reports to cluster as one SELECT of rows (k, la, lo, rid): key, latitude, longitude
    and id, as SQL text and its params. Compiled from a queryset once (`source_of`); callers that
    answer many requests of one shape keep it (api/queries.py), so the hot path builds no ORM
    query: on a zoomed-in view, building and compiling one cost more than running it."""

    sql: str
    params: tuple


def source_of(qs: QuerySet, *, key: str, lat: str, lon: str) -> Source:
    """`qs`'s rows as a Source, over the columns `key`, `lat` and `lon`."""
    inner = qs.order_by().values(k=F(key), la=F(lat), lo=F(lon), rid=F("id"))
    sql, params = inner.query.sql_with_params()
    return Source(sql, tuple(params))


def cluster_ranges(source: Source, ranges: list[tuple[int, int]], level: int, *, per_range: bool = False) -> list[Cell]:
    """GROUP BY `k >> 2*(20 - level)` over the rows of `source` whose key lies in `ranges`. Both
    databases flatten the wrapped SELECT, so the range test reaches the covering index.

    `per_range` (PostgreSQL): look each range up on its own, for many narrow ranges holding a few
    thousand rows (the map's edges). PostgreSQL answers ORed ranges with a bitmap scan, which
    visits the table for every row; one index probe per range reads the covering index alone."""
    if not ranges:
        return []
    shift = 2 * (KEY_ZOOM - level)
    sums = f"t.k >> {shift}, COUNT(*), SUM(t.la), SUM(t.lo), SUM(t.rid)"
    connection = replicas.read_connection()  # a public read may be answered by a replica
    with connection.cursor() as cursor:
        if per_range and connection.vendor == "postgresql":
            # The query runs once per range in a LATERAL join over the ranges as arrays (OFFSET 0
            # keeps the planner from flattening it back into one scan).
            cursor.execute(
                f"SELECT {sums} FROM unnest(%s::bigint[], %s::bigint[]) AS testigo_range(lo, hi) CROSS JOIN LATERAL "
                f"(SELECT * FROM ({source.sql}) s WHERE s.k BETWEEN testigo_range.lo AND testigo_range.hi OFFSET 0) t "
                "GROUP BY 1 ORDER BY 1",
                [[lo for lo, _hi in ranges], [hi for _lo, hi in ranges], *source.params])
        else:
            cover = " OR ".join(["t.k BETWEEN %s AND %s"] * len(ranges))
            cursor.execute(f"SELECT {sums} FROM ({source.sql}) t WHERE ({cover}) GROUP BY 1 ORDER BY 1",
                           [*source.params, *[v for pair in ranges for v in pair]])
        rows = cursor.fetchall()
    out = []
    for cell, n, slat, slon, sid in rows:
        sid = int(sid)
        out.append(Cell(cell=cell, count=n, lat=slat / n, lon=slon / n, first_id=sid if n == 1 else None,
                        sum_lat=slat, sum_lon=slon, sum_id=sid))
    return out


def cluster(qs: QuerySet, vp: Viewport, *, key: str, lat: str, lon: str) -> list[Cell]:
    """Group `qs` (already filtered exactly to the viewport) into cells of the viewport's level.

    `key`, `lat` and `lon` name the columns to use: the public projection's for the public,
    the true ones for staff.
    """
    return cluster_ranges(source_of(qs, key=key, lat=lat, lon=lon), morton_ranges(vp), vp.level)
