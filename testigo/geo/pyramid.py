"""The map's count pyramid, as geometry and storage: which stored cells answer a viewport, and how
count deltas are written. What the counts stand for (which reports, at which point, under which
scope, category and part) belongs to reports: testigo/reports/counts/.

`geo.ClusterCount` holds, for every other cell level (STORED_LEVELS), how many reports each cell
holds, with the sums of their latitudes, longitudes and ids: a cluster's centroid is sum/count,
and when count == 1 the sum of ids *is* the report's id. All four are sums, so every change is a
+/- delta and coarser cells are sums of finer ones. Rows are keyed (scope, level, category, part,
cell); the meaning of scope, category and part is the caller's.

Reading (`clusters`): the viewport's cells at level g are answered from the nearest stored level
L >= g. A stored cell wholly inside the viewport counts whole; a cell on the viewport's edge is
refined at the next stored level, and when few reports are left on the edge (or at the finest
level) those few are read with the caller's exact query. So the result is exactly the raw GROUP
BY's (geo/clustering.py): counts, cells and ids identical, centroids equal to rounding.
"""

from __future__ import annotations

from django.db import connection as default_connection

from testigo.core.db import replicas
from testigo.geo.models import ClusterCount
from testigo.geo.tiles import KEY_ZOOM, lonlat_to_tile, morton, tile_to_lonlat, unmorton

STORED_LEVELS = (2, 4, 6, 8, 10, 12, 14, 16, 18)
TOP = STORED_LEVELS[-1]
TABLE = ClusterCount._meta.db_table
KEY_COLUMNS = ("scope", "level", "category", "part", "cell")  # the composite key, in COLUMNS order
COLUMNS = (*KEY_COLUMNS, "n", "sum_lat", "sum_lon", "sum_id")
EPS = 1e-9  # degrees: a cell counts as inside only with this margin, so float rounding never matters
RAW_EDGE_MAX = 3000  # edge reports read from the table rather than refined further
EDGE_DENSITY = 8  # ... or when the edge's cells hold fewer reports than this on average
MAX_RANGES = 150  # key ranges of the edge's read from the reports table (one OR list on SQLite,
# one index probe each on PostgreSQL)
assert {f.column for f in ClusterCount._meta.concrete_fields} == set(COLUMNS)


# --- Writing deltas ----------------------------------------------------------------------------------

def apply_deltas(deltas: dict[tuple, list], connection=None) -> None:
    """Add {(scope, level, category, part, cell): [n, sum_lat, sum_lon, sum_id]} to the stored
    counts, dropping cells that empty, and give the scopes changed a new generation token
    (memindex.bump: processes holding their points in memory reload them)."""
    if not deltas:
        return
    from testigo.geo import memindex

    connection = connection or default_connection
    quote = connection.ops.quote_name
    table = quote(TABLE)
    names = ", ".join(quote(c) for c in COLUMNS)
    sums = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COLUMNS[len(KEY_COLUMNS):])
    sql = (f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
           f"ON CONFLICT ({', '.join(quote(c) for c in KEY_COLUMNS)}) DO UPDATE SET {sums}")
    # In primary-key order (scope, category, level, cell, part): neighbouring upserts touch the
    # same index pages.
    order = sorted(deltas, key=lambda k: (k[0], k[2], k[1], k[4], k[3]))
    rows = [(*key, *deltas[key]) for key in order]
    gone = [key for key, value in deltas.items() if value[0] < 0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement over arrays: a row-by-row executemany costs a round trip per row.
            types = ["smallint", "smallint", "integer", "smallint", "bigint", "integer", "float8", "float8", "bigint"]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "
                           f"ON CONFLICT ({', '.join(quote(c) for c in KEY_COLUMNS)}) DO UPDATE SET {sums}",
                           [list(column) for column in zip(*rows, strict=True)])
            if gone:
                keys = ", ".join(f"%s::{t}[]" for t in types[:5])
                cursor.execute(f"DELETE FROM {table} t USING unnest({keys}) AS g(s, l, c, p, x) WHERE t.scope = g.s "
                               "AND t.level = g.l AND t.category = g.c AND t.part = g.p AND t.cell = g.x AND t.n <= 0",
                               [list(column) for column in zip(*gone, strict=True)])
        else:
            cursor.executemany(sql, rows)
            if gone:  # cells that may have emptied: drop them (their float sums may not be exactly 0)
                cursor.executemany(f"DELETE FROM {table} WHERE {' AND '.join(f'{quote(c)} = %s' for c in KEY_COLUMNS)}"
                                   f" AND {quote('n')} <= 0", gone)
    # After the counts: outside a transaction (autocommit), a reader that sees the new token then
    # sees the new counts too (answers kept under a token must never be older than it).
    memindex.bump({key[0] for key in deltas}, connection)


# --- Reading -----------------------------------------------------------------------------------------

def _lat_edge(i: int, n: int) -> float:
    """The latitude of the boundary between rows i-1 and i, with rows 0 and n-1 reaching the poles
    (points beyond web mercator's limit are clamped into them)."""
    if i <= 0:
        return 90.0
    if i >= n:
        return -90.0
    return tile_to_lonlat(0, i, n.bit_length() - 1)[1]


def _spans(n: int, lo: float, hi: float, edge, locate=None) -> tuple[tuple[int, int], tuple[int, int]]:
    """For one axis with increasing boundaries edge(0..n): (inside, touching) index spans of the
    cells whose whole extent lies in [lo, hi] / that may hold a point in [lo, hi]. `locate(v)`,
    when given, guesses the index of the boundary nearest v: the search then starts there and
    takes a few steps instead of twenty (the in-memory map walks level 20, issue #19)."""
    def first(pred, v: float) -> int:  # smallest i in [0, n] with pred(i), pred monotonic
        g = min(max(int(locate(v)), 0), n) if locate else n // 2
        # Widen [a, b] around the guess until pred(a) is false (or a = -1) and pred(b) true (or
        # b = n), then halve it.
        if pred(g):
            a, b, step = g - 1, g, 1
            while a >= 0 and pred(a):
                b, step = a, step * 2
                a = b - step
            a = max(a, -1)
        else:
            a, b, step = g, g + 1, 1
            while b < n and not pred(b):
                a, step = b, step * 2
                b = a + step
            b = min(b, n)
        while b - a > 1:
            m = (a + b) // 2
            if pred(m):
                b = m
            else:
                a = m
        return b

    d_min, d_max = edge(0), edge(n)
    in_lo = 0 if lo <= d_min else first(lambda i: i > 0 and edge(i) >= lo + EPS, lo)
    in_hi = n - 1 if hi >= d_max else first(lambda i: edge(i + 1) > hi - EPS, hi) - 1
    touch_lo = first(lambda i: edge(i + 1) >= lo - EPS, lo)
    touch_hi = first(lambda i: edge(i) > hi + EPS, hi) - 1
    return (in_lo, in_hi), (max(0, touch_lo), min(n - 1, touch_hi))


class _Geometry:
    """Which cells of a level lie wholly inside the viewport (`inner` rectangles, in tile
    coordinates) and which may hold a point of it (`outer`); two of each across the antimeridian."""

    def __init__(self, vp, level: int) -> None:
        n = 1 << level
        self.level = level
        lon_edge = lambda i: i * 360.0 / n - 180.0  # noqa: E731
        lat_edge = lambda i: -_lat_edge(i, n)  # noqa: E731 -- increasing with the row index
        lon_boxes = [(vp.west, vp.east)] if vp.west <= vp.east else [(vp.west, 180.0), (-180.0, vp.east)]
        lon_at = lambda v: (v + 180.0) / 360.0 * n  # noqa: E731
        lat_at = lambda v: lonlat_to_tile(0.0, -v, level)[1]  # noqa: E731
        (yi0, yi1), (yo0, yo1) = _spans(n, -vp.north, -vp.south, lat_edge, lat_at)
        self.inner, self.outer = [], []
        for lo, hi in lon_boxes:
            (xi0, xi1), (xo0, xo1) = _spans(n, lo, hi, lon_edge, lon_at)
            if xi0 <= xi1 and yi0 <= yi1:
                self.inner.append((xi0, yi0, xi1, yi1))
            if xo0 <= xo1 and yo0 <= yo1:
                self.outer.append((xo0, yo0, xo1, yo1))

    def split(self, roots: list[tuple[int, int, int]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Exact cell ranges at this level, within the quadtree nodes `roots` (m, x, y): those
        wholly inside the viewport, and those across its edge. A walk down the quadtree that only
        descends into nodes straddling an edge, so it visits about twice the edge's cells."""
        level = self.level
        inside: list[tuple[int, int]] = []
        edge: list[tuple[int, int]] = []
        inner, outer = self.inner, self.outer
        stack = list(roots)
        while stack:
            m, x, y = stack.pop()
            shift = level - m
            x0, y0 = x << shift, y << shift
            x1, y1 = x0 + (1 << shift) - 1, y0 + (1 << shift) - 1
            touches = within = False
            for a, b, c, d in outer:
                if x1 >= a and x0 <= c and y1 >= b and y0 <= d:
                    touches = True
                    within = within or (a <= x0 and x1 <= c and b <= y0 and y1 <= d)
            if not touches:
                continue
            meets = inside_one = False
            for a, b, c, d in inner:
                if x1 >= a and x0 <= c and y1 >= b and y0 <= d:
                    meets = True
                    inside_one = inside_one or (a <= x0 and x1 <= c and b <= y0 and y1 <= d)
            if inside_one or (within and not meets):
                lo = morton(x, y) << (2 * shift)
                (inside if inside_one else edge).append((lo, lo + (1 << (2 * shift)) - 1))
            else:  # straddles an edge (never a single cell: a cell is inside, outside or on the edge)
                m, x, y = m + 1, 2 * x, 2 * y
                stack += [(m, x, y), (m, x + 1, y), (m, x, y + 1), (m, x + 1, y + 1)]
        return _merge(inside, len(inside)), _merge(edge, len(edge))


def _merge(ranges: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    if len(merged) > budget:  # close the smallest gaps; rows in them are filtered out afterwards
        gaps = sorted(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
        close = set(gaps[: len(merged) - budget])
        out: list[list[int]] = []
        for i, pair in enumerate(merged):
            if out and (i - 1) in close:
                out[-1][1] = pair[1]
            else:
                out.append(list(pair))
        merged = out
    return [(lo, hi) for lo, hi in merged]


SQL_RANGES = 200  # BETWEENs per statement: SQLite refuses expressions deeper than 1,000
INSIDE, EDGE = 0, 1


def _select(kind: int, up: int, sql_where: str, cover: str) -> str:
    return (f"SELECT {kind}, cell >> {up}, SUM(n), SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {TABLE} "
            f"WHERE {sql_where} AND ({cover}) GROUP BY cell >> {up}")


def _read(scope: int, category: int, parts: list[int], level: int, inside: list[tuple[int, int]],
          across: list[tuple[int, int]], up: int) -> list[tuple]:
    """Rows (kind, cell, n, sum_lat, sum_lon, sum_id) of one stored level in one statement: the
    cells wholly `inside` the viewport grouped `up` bits coarser (kind INSIDE), and the cells
    `across` its edge one by one (kind EDGE)."""
    part_sql = "part = %s" if len(parts) == 1 else f"part IN ({', '.join(['%s'] * len(parts))})"
    where = f"scope = %s AND category = %s AND level = %s AND {part_sql}"
    key = [scope, category, level, *parts]
    if not inside and not across:
        return []
    connection = replicas.read_connection()  # a public read may be answered by a replica
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL spends ~50 ms planning 200 ORed ranges; one index probe per range from an
            # array costs well under a millisecond (OFFSET 0 keeps the planner from flattening it).
            # Both kinds in one statement: one round trip per level.
            def lateral(kind: int, shift: int) -> str:
                return (f"SELECT {kind}, cell >> {shift}, SUM(n), SUM(sum_lat), SUM(sum_lon), SUM(sum_id) "
                        f"FROM unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi) CROSS JOIN LATERAL (SELECT cell, n, "
                        f"sum_lat, sum_lon, sum_id FROM {TABLE} WHERE {where} AND cell BETWEEN r.lo AND r.hi "
                        f"OFFSET 0) t GROUP BY cell >> {shift}")

            cursor.execute(f"{lateral(INSIDE, up)} UNION ALL {lateral(EDGE, 0)}",
                           [[lo for lo, _hi in inside], [hi for _lo, hi in inside], *key,
                            [lo for lo, _hi in across], [hi for _lo, hi in across], *key])
            return cursor.fetchall()
        # SQLite: one statement while the ranges fit its expression depth, else a few.
        parts_of = [(INSIDE, up, inside[i:i + SQL_RANGES]) for i in range(0, len(inside), SQL_RANGES)]
        parts_of += [(EDGE, 0, across[i:i + SQL_RANGES]) for i in range(0, len(across), SQL_RANGES)]
        out: list[tuple] = []
        for start in range(0, len(parts_of), 2):
            batch = parts_of[start:start + 2]
            sql = " UNION ALL ".join(_select(kind, shift, where, " OR ".join(["cell BETWEEN %s AND %s"] * len(chunk)))
                                     for kind, shift, chunk in batch)
            cursor.execute(sql, [v for _kind, _shift, chunk in batch for v in (*key, *[x for r in chunk for x in r])])
            out += cursor.fetchall()
        return out


def clusters(source, vp, *, scope: int, category: int, parts: list[int]):
    """The viewport's cells (clustering.Cell) from the pyramid, equal to `clustering.cluster(qs,
    vp, ...)` over the same rows. `source` (a clustering.Source) must select exactly the reports
    the counts stand for (quick for a few thousand rows of the edge); `category`/`parts` what its
    filters select. Returns None when the viewport's level is finer than the pyramid stores.

    One statement per stored level visited (usually one), then one for the edge's reports."""
    from testigo.geo.clustering import Cell, cluster_ranges

    g = vp.level
    levels = [lv for lv in STORED_LEVELS if lv >= g]
    if not levels:
        return None
    found: dict[int, list] = {}  # cell -> [n, sum_lat, sum_lon, sum_id]

    def add(cell: int, n, slat, slon, sid) -> None:
        row = found.get(cell)
        if row is None:
            found[cell] = [n, slat, slon, int(sid)]
        else:
            row[0] += n
            row[1] += slat
            row[2] += slon
            row[3] += int(sid)

    level = levels[0]
    roots = [(0, 0, 0)]
    while True:
        inside, across = _Geometry(vp, level).split(roots)
        edge = []
        for kind, cell, n, slat, slon, sid in _read(scope, category, parts, level, inside, across, 2 * (level - g)):
            if kind == INSIDE:
                add(cell, n, slat, slon, sid)
            else:
                edge.append((cell, n))
        if not edge:
            break
        at_edge = sum(n for _c, n in edge)
        # Read the edge's reports when they are few, when refining would not make them much fewer
        # (sparse cells of a report or two), or at the finest level.
        if at_edge <= RAW_EDGE_MAX or at_edge <= EDGE_DENSITY * len(edge) or level + 2 > TOP:
            shift = 2 * (KEY_ZOOM - level)
            cells = {c for c, _n in edge}
            key_ranges = _merge([(c << shift, ((c + 1) << shift) - 1) for c in cells], MAX_RANGES)
            up = 2 * (level - g)
            for cell in cluster_ranges(source, key_ranges, level, per_range=True):
                if cell.cell in cells:  # merged ranges may reach into cells already counted
                    add(cell.cell >> up, cell.count, cell.sum_lat, cell.sum_lon, cell.sum_id)
            break
        roots = [(level, *unmorton(c)) for c, _n in edge]
        level += 2
    out = []
    for cell in sorted(found):
        n, slat, slon, sid = found[cell]
        if n > 0:
            out.append(Cell(cell=cell, count=n, lat=slat / n, lon=slon / n, first_id=sid if n == 1 else None,
                            sum_lat=slat, sum_lon=slon, sum_id=sid))
    return out
