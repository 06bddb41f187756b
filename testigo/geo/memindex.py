"""The public map's points held in memory, per server process, answering a viewport without the
count pyramid's statements (issue #19).

What is held: for one filter shape (every public report, or one category with its children), the
public selector's rows as (public tile key, public latitude, public longitude, id), grouped by
identical point and sorted by key, with running sums of count, latitude, longitude and id. Only
public points of reports the public selector lets out: never a true location, nothing the public
API does not already give.

Answering a viewport (`PointIndex.cells`) walks the quadtree like pyramid._Geometry.split: a node
wholly inside the viewport (with the pyramid's EPS margin) counts whole, by two binary searches
in the sorted keys; a node across the edge is split, down to a handful of points, which are tested
against the viewport exactly as the selector's SQL does (`lat BETWEEN south AND north`, the
longitude likewise, or either side across the antimeridian). So the counts, cells and ids are the
raw GROUP BY's (clustering.cluster_ranges), and the centroids equal to rounding, like the pyramid.

Staying right (`token`, `bump`): every change to a scope's counts (pyramid.apply_deltas, bulk
additions, a rebuild) also writes a fresh random token for that scope, in the same transaction.
A process reads the token, then loads the points, and keeps them with that token; each request
reads the token again (one primary-key look-up) and reloads when it differs. A change committed
between the two reads makes the held points newer than their token, never older, so at worst the
next request reloads once more. A random token, not a counter: a rolled-back change must not
leave the number a later, different change will reach.
"""

from __future__ import annotations

import secrets
from bisect import bisect_left
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from operator import attrgetter

from django.db import connection as default_connection

from testigo.core.db import replicas
from testigo.geo.clustering import Cell
from testigo.geo.models import MapGeneration
from testigo.geo.pyramid import _Geometry
from testigo.geo.tiles import KEY_ZOOM

TABLE = MapGeneration._meta.db_table
WATCHED: set[int] = set()  # scopes whose changes write a token (reports.counts registers PUBLIC)
LEAF = 8  # a node across the edge holding at most this many distinct points tests them one by one
TABLE_MAX_CELLS = 20_000  # a level with more non-empty cells than this gets no table of cells (cells())
# ... nor a level whose table would take the index's tables past this many cells in all (a ready
# cell costs about 350 bytes: at most ~14 MB per set of points; 100,000 points need ~16,000 cells
# for levels 5-12, the views of zooms 3-10).
TABLES_MAX_CELLS = 40_000


# --- The token -----------------------------------------------------------------------------------

def bump(scopes: Iterable[int], connection=None) -> None:
    """Give each watched scope among `scopes` a fresh token (inside the caller's transaction)."""
    scopes = sorted(set(scopes) & WATCHED)
    if not scopes:
        return
    connection = connection or default_connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for scope in scopes:
            cursor.execute(f"INSERT INTO {quote(TABLE)} ({quote('scope')}, {quote('value')}) VALUES (%s, %s) "
                           f"ON CONFLICT ({quote('scope')}) DO UPDATE SET {quote('value')} = excluded.{quote('value')}",
                           [scope, secrets.randbits(62)])


def token(scope: int, connection=None) -> int | None:
    """The scope's current token; None when it has none yet (then nothing may be answered from
    memory). Inside `already_read` (the request's tokens read once, api/mapcache.py), that value."""
    known = _ALREADY_READ.get()
    if known is not None and connection is None and scope in known:
        return known[scope]
    connection = connection or replicas.read_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {connection.ops.quote_name(TABLE)} WHERE scope = %s", [scope])
        row = cursor.fetchone()
    return row[0] if row else None


def tokens(scopes: tuple[int, ...], connection=None) -> tuple[int | None, ...]:
    """The tokens of several scopes in one statement (the public map's answers kept in memory,
    api/mapcache.py, check two per request), in the order of `scopes`; None for a scope without
    one. The statement's text is built once per database vendor and number of scopes. Inside
    `already_read` holding them all, those values."""
    known = _ALREADY_READ.get()
    if known is not None and connection is None and all(scope in known for scope in scopes):
        return tuple(known[scope] for scope in scopes)
    connection = connection or replicas.read_connection()  # the database the points are read from
    sql = _TOKENS_SQL.get((connection.vendor, len(scopes)))
    if sql is None:
        sql = _TOKENS_SQL[(connection.vendor, len(scopes))] = (
            f"SELECT scope, value FROM {connection.ops.quote_name(TABLE)} "
            f"WHERE scope IN ({', '.join(['%s'] * len(scopes))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, scopes)
        found = dict(cursor.fetchall())
    return tuple(found.get(scope) for scope in scopes)


_TOKENS_SQL: dict[tuple[str, int], str] = {}
_ALREADY_READ: ContextVar[dict | None] = ContextVar("memindex_already_read", default=None)


@contextmanager
def already_read(tokens: dict[int, int | None]):
    """Within the block, token(scope) answers these values read earlier in the same request
    instead of reading them again. Reading a token earlier than the points it guards is always
    safe (the points can only be newer than it, see the module's docstring)."""
    reset = _ALREADY_READ.set(tokens)
    try:
        yield
    finally:
        _ALREADY_READ.reset(reset)


# --- The index -----------------------------------------------------------------------------------

class PointIndex:
    """Points (key, lat, lon, id) as sorted arrays with running sums; see the module's docstring."""

    def __init__(self, rows: Iterable[tuple[int, float, float, int]]) -> None:
        keys: list[int] = []
        lats: list[float] = []
        lons: list[float] = []
        run_n, run_lat, run_lon, run_id = [0], [0.0], [0.0], [0]
        n = s_lat = s_lon = s_id = 0
        for key, lat, lon, rid in sorted(rows):
            if not (keys and keys[-1] == key and lats[-1] == lat and lons[-1] == lon):
                keys.append(key)
                lats.append(lat)
                lons.append(lon)
                run_n.append(n)
                run_lat.append(s_lat)
                run_lon.append(s_lon)
                run_id.append(s_id)
            n += 1
            s_lat += lat
            s_lon += lon
            s_id += rid
            run_n[-1], run_lat[-1], run_lon[-1], run_id[-1] = n, s_lat, s_lon, s_id
        self.keys, self.lats, self.lons = keys, lats, lons
        # run_x[i] = sum over the points of groups [0, i): a range of groups [i, j) sums to run_x[j] - run_x[i].
        self.run_n, self.run_lat, self.run_lon, self.run_id = run_n, run_lat, run_lon, run_id
        self.size = n
        self._tables: dict[int, tuple | None] = {}
        self._table_cells = 0

    def _table(self, level: int) -> tuple[list[int], list[Cell]] | None:
        """The non-empty cells of a level as ready Cells, with the index of each one's first group
        (and the end): built on first use, once per level and index (a few milliseconds per ten
        thousand points); None for a level with more than TABLE_MAX_CELLS cells (the fine levels,
        whose views hold few cells) or past the TABLES_MAX_CELLS budget. The Cells are shared:
        nobody may change them."""
        table = self._tables.get(level, False)
        if table is not False:
            return table
        shift = 2 * (KEY_ZOOM - level)
        starts: list[int] = []
        cells: list[int] = []
        last = -1
        for g, key in enumerate(self.keys):
            cell = key >> shift
            if cell != last:
                if len(starts) >= TABLE_MAX_CELLS:
                    self._tables[level] = None
                    return None
                starts.append(g)
                cells.append(cell)
                last = cell
        if self._table_cells + len(cells) > TABLES_MAX_CELLS:
            self._tables[level] = None
            return None
        self._table_cells += len(cells)
        starts.append(len(self.keys))
        run_n, run_lat, run_lon, run_id = self.run_n, self.run_lat, self.run_lon, self.run_id
        made = []
        for k, cell in enumerate(cells):
            a, b = starts[k], starts[k + 1]
            n, s_lat, s_lon, s_id = run_n[b] - run_n[a], run_lat[b] - run_lat[a], run_lon[b] - run_lon[a], \
                run_id[b] - run_id[a]
            made.append(Cell(cell, n, s_lat / n, s_lon / n, s_id if n == 1 else None, s_lat, s_lon, s_id))
        table = self._tables[level] = (starts, made)
        return table

    def cells(self, vp) -> list[Cell]:
        """The viewport's cells at its level, in cell order: as clustering.cluster_ranges over the
        same rows with the exact viewport filter.

        The walk carries each node's first key (a child's is its parent's plus a quarter of its
        key span per step: x is the low bit of the Morton code), so a split costs three binary
        searches and no key computing; a cell of the view's level wholly inside a node wholly
        inside the view is counted once, straight from the running sums (no other node reaches
        it), and only cells touched by partial nodes or by the edge's points are summed up in a
        dictionary."""
        level = vp.level
        keys, lats, lons = self.keys, self.lats, self.lons
        run_n, run_lat, run_lon, run_id = self.run_n, self.run_lat, self.run_lon, self.run_id
        whole: list[tuple] = []  # (cell, n, sum_lat, sum_lon, sum_id), each cell once
        ready: list[Cell] = []  # whole cells from the level's table, each once
        table = self._table(level) if keys else None
        if table is not None:
            starts, made = table
            last_start = len(starts) - 1
        found: dict[int, list] = {}  # cells summed from several parts
        cell_shift = 2 * (KEY_ZOOM - level)

        def add(cell: int, i: int, j: int) -> None:
            sums = found.get(cell)
            if sums is None:
                found[cell] = [run_n[j] - run_n[i], run_lat[j] - run_lat[i], run_lon[j] - run_lon[i],
                               run_id[j] - run_id[i]]
            else:
                sums[0] += run_n[j] - run_n[i]
                sums[1] += run_lat[j] - run_lat[i]
                sums[2] += run_lon[j] - run_lon[i]
                sums[3] += run_id[j] - run_id[i]

        if keys:
            geometry = _Geometry(vp, KEY_ZOOM)
            inner, outer = geometry.inner, geometry.outer
            west, south, east, north = vp.west, vp.south, vp.east, vp.north
            crossing = west > east
            stack = [(0, 0, 0, 0, len(keys), 0)]  # (m, x, y, i, j, first key of the node)
            pop, push = stack.pop, stack.append
            while stack:
                m, x, y, i, j, lo = pop()
                shift = KEY_ZOOM - m
                x0, y0 = x << shift, y << shift
                x1, y1 = x0 + (1 << shift) - 1, y0 + (1 << shift) - 1
                for a, b, c, d in outer:
                    if x1 >= a and x0 <= c and y1 >= b and y0 <= d:
                        break
                else:
                    continue  # wholly outside
                for a, b, c, d in inner:
                    if a <= x0 and x1 <= c and b <= y0 and y1 <= d:
                        break
                else:
                    a = None  # not wholly inside
                if a is not None:
                    if m >= level:  # part of one cell, which other nodes may share
                        add(lo >> cell_shift, i, j)
                    elif table is not None:  # whole cells of the view's level, ready made
                        ready += made[bisect_left(starts, i, 0, last_start):bisect_left(starts, j, 0, last_start + 1)]
                    else:  # whole cells of the view's level, one run of groups each
                        while i < j:
                            cell = keys[i] >> cell_shift
                            end = bisect_left(keys, (cell + 1) << cell_shift, i, j)
                            whole.append((cell, run_n[end] - run_n[i], run_lat[end] - run_lat[i],
                                          run_lon[end] - run_lon[i], run_id[end] - run_id[i]))
                            i = end
                elif m == KEY_ZOOM or j - i <= LEAF:  # across the edge: each point as the SQL tests it
                    for t in range(i, j):
                        lat, lon = lats[t], lons[t]
                        if south <= lat <= north and (lon >= west or lon <= east if crossing else west <= lon <= east):
                            add(keys[t] >> cell_shift, t, t + 1)
                else:  # four children: (x, y), (x+1, y), (x, y+1), (x+1, y+1) in key order
                    m += 1
                    quarter = 1 << (2 * (shift - 1))
                    b1 = bisect_left(keys, lo + quarter, i, j)
                    b2 = bisect_left(keys, lo + 2 * quarter, b1, j)
                    b3 = bisect_left(keys, lo + 3 * quarter, b2, j)
                    x, y = 2 * x, 2 * y
                    if i < b1:
                        push((m, x, y, i, b1, lo))
                    if b1 < b2:
                        push((m, x + 1, y, b1, b2, lo + quarter))
                    if b2 < b3:
                        push((m, x, y + 1, b2, b3, lo + 2 * quarter))
                    if b3 < j:
                        push((m, x + 1, y + 1, b3, j, lo + 3 * quarter))
        whole.extend((cell, *sums) for cell, sums in found.items())
        ready += [Cell(cell, n, s_lat / n, s_lon / n, s_id if n == 1 else None, s_lat, s_lon, s_id)
                  for cell, n, s_lat, s_lon, s_id in whole if n > 0]
        ready.sort(key=_by_cell)
        return ready


_by_cell = attrgetter("cell")


def load(source, connection=None) -> PointIndex:
    """The rows of a clustering.Source (k, la, lo, rid) with a point, as a PointIndex."""
    connection = connection or replicas.read_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.k, t.la, t.lo, t.rid FROM ({source.sql}) t "
                       "WHERE t.k IS NOT NULL AND t.la IS NOT NULL AND t.lo IS NOT NULL", source.params)
        return PointIndex(cursor.fetchall())
