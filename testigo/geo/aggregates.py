"""A pre-aggregated count pyramid for the map: cluster requests at a million reports in milliseconds.

Grouping a country-wide viewport on the fly reads every report in it (a million index entries on
a zoomed-out view). Instead `geo_clustercount` holds, for every other cell level (STORED_LEVELS),
how many reports each cell holds, with the sums of their latitudes, longitudes and ids: a
cluster's centroid is sum/count, and when count == 1 the sum of ids *is* the report's id. All four
are sums, so every change is a +/- delta and coarser cells are sums of finer ones.

Rows are keyed (scope, level, category, part, cell):
- scope PUBLIC counts what `selectors.public_base()` lets out, at the public (fuzzed) location;
  scope STAFF counts every report at its true location.
- category 0 counts every report; category c counts the reports a single-category filter `c`
  matches: a report counts once under each of its categories and each of their parents (the
  filter takes a category with its children), de-duplicated.
- part is 0 for PUBLIC; for STAFF it is the status (index in STATUSES) * 2 + 1 if confidential,
  so a staff status filter and the confidential permission both select parts.

Reading (`clusters`): the viewport's cells at level g are answered from the nearest stored level
L >= g. A stored cell wholly inside the viewport counts whole; a cell on the viewport's edge is
refined at the next stored level, and when few reports are left on the edge (or at the finest
level) those few are read from the reports table with the exact lat/lon filter. So the result is
exactly the raw GROUP BY's: counts, cells and ids identical, centroids equal to rounding.

Writing: the application keeps the counts (no database triggers: a bulk import would crawl).
Model saves, deletes and category changes of single reports are tracked by signals; bulk paths
call `added(ids)` after inserting, or wrap the change in `with tracking(ids):`. `rebuild()`
recomputes everything (`testigo map rebuild-counts`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction

from testigo.geo.tiles import KEY_ZOOM, morton, tile_to_lonlat, unmorton

PUBLIC, STAFF = 0, 1
ALL = 0
STORED_LEVELS = (2, 4, 6, 8, 10, 12, 14, 16, 18)
TOP = STORED_LEVELS[-1]
MIDDLE = 12  # bulk additions group the levels coarser than this from this one (_add_in_sql)
STATUSES = ("new", "in_review", "verified", "published", "rejected", "archived")  # Report.Status, in order
CONFIDENTIAL = "confidential"
PUBLISHED = "published"  # selectors.public_base() admits only reports with this status
TABLE = "geo_clustercount"
COLUMNS = ("scope", "level", "category", "part", "cell", "n", "sum_lat", "sum_lon", "sum_id")
EPS = 1e-9  # degrees: a cell counts as inside only with this margin, so float rounding never matters
RAW_EDGE_MAX = 3000  # edge reports read from the table rather than refined further
EDGE_DENSITY = 8  # ... or when the edge's cells hold fewer reports than this on average
MAX_RANGES = 150  # key ranges of the edge's read from the reports table (one OR list on SQLite,
# one index probe each on PostgreSQL)


def part_of(status: str, visibility: str) -> int:
    return STATUSES.index(status) * 2 + (1 if visibility == CONFIDENTIAL else 0)


def staff_parts(statuses: Iterable[str], confidential: bool) -> list[int]:
    return sorted(STATUSES.index(s) * 2 + c for s in statuses for c in ((0, 1) if confidential else (0,)))


# --- What a report contributes -------------------------------------------------------------------

# (scope, category, part, tile_key, lat, lon, id): one report's entries before levels are applied.
Entry = tuple[int, int, int, int, float, float, int]


def _entries(ids: list[int]) -> dict[int, list[Entry]]:
    """The current entries of these reports, read from the database (missing ids get none).

    Called for every single-report save (a web or ODK submission, a status change), so the fixed
    reads are plain SQL rather than ORM queries that would be compiled each time; only the
    public selector goes through the ORM, and only for reports that are published (the selector
    admits nothing else)."""
    from testigo.reports.models import Category, Report
    from testigo.reports.selectors import public_base

    out: dict[int, list[Entry]] = {}
    if not ids:
        return out
    keys: dict[int, set[int]] = defaultdict(set)
    quote = default_connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("id", "status", "visibility", "tile_key", "lat", "lon", "public_tile_key",
                                         "public_lat", "public_lon"))
    links = Report.categories.through._meta.db_table
    public: set[int] = set()
    rows = []
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')}, {quote('parent_id')} FROM {quote(Category._meta.db_table)}")
        parents = dict(cursor.fetchall())
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {columns} FROM {quote(Report._meta.db_table)} WHERE {quote('id')} IN ({marks})",
                           chunk)
            found = cursor.fetchall()
            rows += found
            published = [row[0] for row in found if row[1] == PUBLISHED]
            if published:
                public.update(public_base().filter(id__in=published).values_list("id", flat=True))
            cursor.execute(f"SELECT {quote('report_id')}, {quote('category_id')} FROM {quote(links)} "
                           f"WHERE {quote('report_id')} IN ({marks})", chunk)
            for report_id, category_id in cursor.fetchall():
                keys[report_id].add(category_id)
                if parents.get(category_id):
                    keys[report_id].add(parents[category_id])
    for rid, status, visibility, tk, lat, lon, ptk, plat, plon in rows:
        cats = (ALL, *sorted(keys.get(rid, ())))
        entries: list[Entry] = []
        if tk is not None:
            part = part_of(status, visibility)
            entries += [(STAFF, c, part, tk, lat, lon, rid) for c in cats]
        if rid in public and ptk is not None:
            entries += [(PUBLIC, c, 0, ptk, plat, plon, rid) for c in cats]
        out[rid] = entries
    return out


def _deltas(before: dict[int, list[Entry]], after: dict[int, list[Entry]]) -> dict[tuple, list]:
    """(scope, level, category, part, cell) -> [n, sum_lat, sum_lon, sum_id] to add."""
    acc: dict[tuple, list] = {}
    for rid in set(before) | set(after):
        old, new = before.get(rid, []), after.get(rid, [])
        if old == new:
            continue
        for sign, entries in ((-1, old), (1, new)):
            for scope, cat, part, tk, lat, lon, report_id in entries:
                for level in STORED_LEVELS:
                    key = (scope, level, cat, part, tk >> (2 * (KEY_ZOOM - level)))
                    row = acc.get(key)
                    if row is None:
                        acc[key] = [sign, sign * lat, sign * lon, sign * report_id]
                    else:
                        row[0] += sign
                        row[1] += sign * lat
                        row[2] += sign * lon
                        row[3] += sign * report_id
    return {k: v for k, v in acc.items() if any(v)}


def _apply(deltas: dict[tuple, list], connection=None) -> None:
    if not deltas:
        return
    connection = connection or default_connection
    quote = connection.ops.quote_name
    table = quote(TABLE)
    names = ", ".join(quote(c) for c in COLUMNS)
    sums = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COLUMNS[5:])
    sql = (f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
           f"ON CONFLICT ({', '.join(quote(c) for c in COLUMNS[:5])}) DO UPDATE SET {sums}")
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
                           f"ON CONFLICT ({', '.join(quote(c) for c in COLUMNS[:5])}) DO UPDATE SET {sums}",
                           [list(column) for column in zip(*rows, strict=True)])
            if gone:
                keys = ", ".join(f"%s::{t}[]" for t in types[:5])
                cursor.execute(f"DELETE FROM {table} t USING unnest({keys}) AS g(s, l, c, p, x) WHERE t.scope = g.s "
                               "AND t.level = g.l AND t.category = g.c AND t.part = g.p AND t.cell = g.x AND t.n <= 0",
                               [list(column) for column in zip(*gone, strict=True)])
            return
        cursor.executemany(sql, rows)
        if gone:  # cells that may have emptied: drop them (their float sums may not be exactly 0)
            cursor.executemany(f"DELETE FROM {table} WHERE {' AND '.join(f'{quote(c)} = %s' for c in COLUMNS[:5])}"
                               f" AND {quote('n')} <= 0", gone)


# --- Keeping the counts -----------------------------------------------------------------------------

_local = threading.local()


class _Tracker:
    def __init__(self) -> None:
        self.before: dict[int, list[Entry]] = {}

    def note(self, ids: Iterable[int], *, new: bool = False) -> None:
        fresh = [i for i in ids if i is not None and i not in self.before]
        if not fresh:
            return
        if new:
            self.before.update((i, []) for i in fresh)
        else:
            found = _entries(fresh)
            self.before.update((i, found.get(i, [])) for i in fresh)

    def flush(self) -> None:
        ids = list(self.before)
        if ids:
            _apply(_deltas(self.before, _entries(ids)))
        self.before = {}


def _current() -> _Tracker | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


@contextmanager
def tracking(report_ids: Iterable[int] = ()):
    """Apply to the counts whatever the block changes in these reports (status, visibility,
    location, projection, categories, deletion). Reports saved, deleted or re-categorised through
    the ORM inside the block join in by themselves; the counts are updated once, at the end, in
    the block's transaction."""
    outer = _current()
    if outer is not None:  # nested: the outermost block applies everything once
        outer.note(list(report_ids))
        yield outer
        return
    tracker = _Tracker()
    with transaction.atomic():
        tracker.note(list(report_ids))
        _local.stack = [tracker]
        try:
            yield tracker
        finally:
            _local.stack = []
        tracker.flush()


def added(report_ids: Iterable[int]) -> None:
    """Count reports that were just inserted in bulk (without model signals)."""
    tracker = _current()
    if tracker is not None:
        tracker.note(list(report_ids), new=True)
        return
    ids = [i for i in report_ids if i is not None]
    if ids:
        _add_in_sql(ids)


def _on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if instance.pk is None:
        return
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk])
    else:
        instance._cluster_before = _entries([instance.pk]).get(instance.pk, [])


def _on_post_save(sender, instance, created, **kwargs) -> None:
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk], new=created)
        return
    before = {instance.pk: [] if created else getattr(instance, "_cluster_before", [])}
    instance.__dict__.pop("_cluster_before", None)
    _apply(_deltas(before, _entries([instance.pk])))


def _on_pre_delete(sender, instance, **kwargs) -> None:
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk])
    else:
        instance._cluster_before = _entries([instance.pk]).get(instance.pk, [])


def _on_post_delete(sender, instance, **kwargs) -> None:
    if _current() is None:
        _apply(_deltas({instance.pk: getattr(instance, "_cluster_before", [])}, {}))


def _on_categories_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    from testigo.reports.models import Report

    if action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        ids = [instance.pk]
    elif pk_set is not None:
        ids = sorted(pk_set)
    else:  # category.reports.clear(): every report of that category
        if action != "pre_clear":
            ids = getattr(instance, "_cluster_ids", [])
        else:
            ids = list(Report.categories.through.objects.filter(category_id=instance.pk)
                       .values_list("report_id", flat=True))
            instance._cluster_ids = ids
    tracker = _current()
    if tracker is not None:
        tracker.note(ids)
        return
    if action.startswith("pre_"):
        instance._cluster_before = _entries(ids)
        return
    before = getattr(instance, "_cluster_before", {})
    instance.__dict__.pop("_cluster_before", None)
    _apply(_deltas({i: before.get(i, []) for i in ids}, _entries(ids)))


def _category_ids_affected(category) -> list[int]:
    from testigo.reports.models import Report

    return list(Report.categories.through.objects.filter(category_id=category.pk).values_list("report_id", flat=True))


def _before_category_change(category) -> None:
    """Note the category's reports in the open tracking block, or keep their entries on the
    instance for the post_save/post_delete handler to diff against."""
    ids = _category_ids_affected(category)
    tracker = _current()
    if tracker is not None:
        tracker.note(ids)
    else:
        category._cluster_before = (ids, _entries(ids))


def _on_category_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """A category moved under another parent changes which filters count its reports."""
    if instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    if old != instance.parent_id:
        _before_category_change(instance)


def _on_category_post_save(sender, instance, **kwargs) -> None:
    saved = instance.__dict__.pop("_cluster_before", None)
    if saved is not None and _current() is None:
        ids, before = saved
        _apply(_deltas({i: before.get(i, []) for i in ids}, _entries(ids)))


def _on_category_pre_delete(sender, instance, **kwargs) -> None:
    _before_category_change(instance)


def connect_signals() -> None:
    from django.db.models import signals

    from testigo.reports.models import Category, Report

    uid = "geo.aggregates."
    signals.pre_save.connect(_on_pre_save, sender=Report, dispatch_uid=uid + "pre_save")
    signals.post_save.connect(_on_post_save, sender=Report, dispatch_uid=uid + "post_save")
    signals.pre_delete.connect(_on_pre_delete, sender=Report, dispatch_uid=uid + "pre_delete")
    signals.post_delete.connect(_on_post_delete, sender=Report, dispatch_uid=uid + "post_delete")
    signals.m2m_changed.connect(_on_categories_changed, sender=Report.categories.through,
                                dispatch_uid=uid + "categories")
    signals.pre_save.connect(_on_category_pre_save, sender=Category, dispatch_uid=uid + "cat_pre_save")
    signals.post_save.connect(_on_category_post_save, sender=Category, dispatch_uid=uid + "cat_post_save")
    signals.pre_delete.connect(_on_category_pre_delete, sender=Category, dispatch_uid=uid + "cat_pre_delete")
    # A deleted category's links go with it (cascade): post_delete of the category applies it.
    signals.post_delete.connect(_on_category_post_save, sender=Category, dispatch_uid=uid + "cat_post_delete")


# --- Rebuilding from scratch ---------------------------------------------------------------------------

def _sources(connection, ids: tuple[str, list] | None = None) -> list[tuple]:
    """The four GROUP BY sources of the finest stored level (staff and public, every report and
    per category key), as (scope, category expression, part expression, key, lat, lon,
    FROM ... WHERE ..., params). `ids` restricts them to some reports: an SQL condition on an id
    column written as "{}" (e.g. "{} BETWEEN %s AND %s") with its parameters."""
    from testigo.reports.selectors import public_base

    def only(column: str) -> tuple[str, list]:
        return ("", []) if ids is None else (" AND " + ids[0].format(column), list(ids[1]))

    part = ("(CASE status " + " ".join(f"WHEN '{s}' THEN {i * 2}" for i, s in enumerate(STATUSES))
            + f" ELSE 0 END + CASE WHEN visibility = '{CONFIDENTIAL}' THEN 1 ELSE 0 END)")
    links, links_params = only("report_id")
    parents, parents_params = only("l.report_id")
    keys = (f"SELECT report_id AS rid, category_id AS cat FROM reports_report_categories WHERE 1 = 1{links} UNION "
            "SELECT l.report_id, c.parent_id FROM reports_report_categories l "
            f"JOIN reports_category c ON c.id = l.category_id WHERE c.parent_id IS NOT NULL{parents}")
    keys_params = links_params + parents_params
    rows, rows_params = only("r.id")
    public = public_base()
    if ids is not None:  # keep the selector's subquery as small as the batch
        public = public.extra(where=[ids[0].format(connection.ops.quote_name("id"))], params=list(ids[1]))
    public_sql, public_params = public.order_by().values("id").query.get_compiler(connection=connection).as_sql()
    public_params = list(public_params)
    return [
        (STAFF, "0", part, "tile_key", "lat", "lon",
         f"reports_report r WHERE tile_key IS NOT NULL{rows}", rows_params),
        (STAFF, "k.cat", part, "tile_key", "lat", "lon",
         f"reports_report r JOIN ({keys}) k ON k.rid = r.id WHERE tile_key IS NOT NULL{rows}",
         keys_params + rows_params),
        (PUBLIC, "0", "0", "public_tile_key", "public_lat", "public_lon",
         f"reports_report r WHERE public_tile_key IS NOT NULL{rows} AND r.id IN ({public_sql})",
         rows_params + public_params),
        (PUBLIC, "k.cat", "0", "public_tile_key", "public_lat", "public_lon",
         f"reports_report r JOIN ({keys}) k ON k.rid = r.id WHERE public_tile_key IS NOT NULL{rows} "
         f"AND r.id IN ({public_sql})", keys_params + rows_params + public_params),
    ]


def _fill_finest(cursor, connection, table: str, names: str, ids: tuple[str, list] | None) -> None:
    """INSERT the finest level's groups of the sources into `table` (the counts, or a scratch table)."""
    shift = 2 * (KEY_ZOOM - TOP)
    for scope, cat, part_sql, key, lat, lon, source, params in _sources(connection, ids):
        cell = f"{key} >> {shift}"
        group = ", ".join(g for g in (cat, part_sql, cell) if g not in ("0",))
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {scope}, {TOP}, {cat}, {part_sql}, {cell}, "
            f"COUNT(*), SUM({lat}), SUM({lon}), SUM(r.id) FROM {source} GROUP BY {group}", params)


def rebuild(connection=None) -> int:
    """Recompute every count from the reports table in a few GROUP BY passes. Returns the rows."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    table = quote(TABLE)
    names = ", ".join(quote(c) for c in COLUMNS)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        _fill_finest(cursor, connection, table, names, None)
        for finer, level in zip(STORED_LEVELS[::-1], STORED_LEVELS[-2::-1], strict=False):
            step = 2 * (finer - level)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT scope, {level}, category, part, cell >> {step}, SUM(n), "
                f"SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {table} WHERE level = {finer} "
                f"GROUP BY scope, category, part, cell >> {step}")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


SCRATCH = "geo_clustercount_batch"


def _add_in_sql(ids: list[int], connection=None) -> None:
    """Count freshly inserted reports without reading them into Python: their finest-level groups
    go into a scratch table, and each stored level is one INSERT ... SELECT ... ON CONFLICT from
    it. A bulk import's batches are contiguous id ranges (one statement each); other id lists go
    in chunks."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    table, scratch = quote(TABLE), quote(SCRATCH)
    names = ", ".join(quote(c) for c in COLUMNS)
    keys = ", ".join(quote(c) for c in COLUMNS[:5])
    sums = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COLUMNS[5:])
    ids = sorted(set(ids))
    if ids[-1] - ids[0] + 1 == len(ids):
        restrictions = [("{} BETWEEN %s AND %s", [ids[0], ids[-1]])]
    else:
        restrictions = [("{} IN (" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
                        for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900))]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} (LIKE {table} INCLUDING DEFAULTS)")
        else:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT * FROM {table} WHERE 0")
        cursor.execute(f"DELETE FROM {scratch}")
        for restriction in restrictions:
            _fill_finest(cursor, connection, scratch, names, restriction)
        # The fine levels are grouped from the finest level's rows; the coarse ones from MIDDLE's
        # groups, put in the scratch table first (a few hundred rows instead of tens of thousands).
        cursor.execute(
            f"INSERT INTO {scratch} ({names}) SELECT scope, {MIDDLE}, category, part, cell >> {2 * (TOP - MIDDLE)}, "
            f"SUM(n), SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {scratch} WHERE level = {TOP} "
            f"GROUP BY scope, category, part, cell >> {2 * (TOP - MIDDLE)}")
        for level in STORED_LEVELS:
            source = TOP if level > MIDDLE else MIDDLE
            step = 2 * (source - level)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT scope, {level}, category, part, cell >> {step}, SUM(n), "
                f"SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {scratch} WHERE level = {source} "
                # Grouped in the primary key's order (scope, category, level, cell, part): the
                # upserts then walk the key's B-tree forwards instead of hopping across it.
                f"GROUP BY scope, category, cell >> {step}, part ON CONFLICT ({keys}) DO UPDATE SET {sums}")
        cursor.execute(f"DELETE FROM {scratch}")


# --- Reading -------------------------------------------------------------------------------------------------

@dataclass
class Sums:
    n: int = 0
    lat: float = 0.0
    lon: float = 0.0
    ids: int = 0

    def add(self, n, lat, lon, ids) -> None:
        self.n += n
        self.lat += lat
        self.lon += lon
        self.ids += int(ids)


def _lat_edge(i: int, n: int) -> float:
    """The latitude of the boundary between rows i-1 and i, with rows 0 and n-1 reaching the poles
    (points beyond web mercator's limit are clamped into them)."""
    if i <= 0:
        return 90.0
    if i >= n:
        return -90.0
    return tile_to_lonlat(0, i, n.bit_length() - 1)[1]


def _spans(n: int, lo: float, hi: float, edge) -> tuple[tuple[int, int], tuple[int, int]]:
    """For one axis with increasing boundaries edge(0..n): (inside, touching) index spans of the
    cells whose whole extent lies in [lo, hi] / that may hold a point in [lo, hi]."""
    def first(pred) -> int:  # smallest i in [0, n] with pred(i), pred monotonic
        a, b = 0, n
        while a < b:
            m = (a + b) // 2
            if pred(m):
                b = m
            else:
                a = m + 1
        return a

    d_min, d_max = edge(0), edge(n)
    in_lo = 0 if lo <= d_min else first(lambda i: i > 0 and edge(i) >= lo + EPS)
    in_hi = n - 1 if hi >= d_max else first(lambda i: edge(i + 1) > hi - EPS) - 1
    touch_lo = first(lambda i: edge(i + 1) >= lo - EPS)
    touch_hi = first(lambda i: edge(i) > hi + EPS) - 1
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
        (yi0, yi1), (yo0, yo1) = _spans(n, -vp.north, -vp.south, lat_edge)
        self.inner, self.outer = [], []
        for lo, hi in lon_boxes:
            (xi0, xi1), (xo0, xo1) = _spans(n, lo, hi, lon_edge)
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


def _read(scope: int, category: int, parts: list[int], level: int, ranges: list[tuple[int, int]],
          up: int) -> list[tuple]:
    """Rows (cell >> up, n, sum_lat, sum_lon, sum_id) of the stored cells in `ranges`."""
    quote = default_connection.ops.quote_name
    part_sql = "part = %s" if len(parts) == 1 else f"part IN ({', '.join(['%s'] * len(parts))})"
    where = f"scope = %s AND category = %s AND level = %s AND {part_sql}"
    sums = "SUM(n), SUM(sum_lat), SUM(sum_lon), SUM(sum_id)"
    out: list[tuple] = []
    if not ranges:
        return out
    with default_connection.cursor() as cursor:
        if default_connection.vendor == "postgresql":
            # PostgreSQL spends ~50 ms planning 200 ORed ranges; one index probe per range from an
            # array costs well under a millisecond (OFFSET 0 keeps the planner from flattening it).
            cursor.execute(
                f"SELECT cell >> {up}, {sums} FROM unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi) CROSS JOIN "
                f"LATERAL (SELECT cell, n, sum_lat, sum_lon, sum_id FROM {quote(TABLE)} WHERE {where} "
                f"AND cell BETWEEN r.lo AND r.hi OFFSET 0) t GROUP BY cell >> {up}",
                [[lo for lo, _hi in ranges], [hi for _lo, hi in ranges], scope, category, level, *parts])
            return cursor.fetchall()
        for start in range(0, len(ranges), SQL_RANGES):
            chunk = ranges[start:start + SQL_RANGES]
            cover = " OR ".join(["cell BETWEEN %s AND %s"] * len(chunk))
            cursor.execute(
                f"SELECT cell >> {up}, {sums} FROM {quote(TABLE)} WHERE {where} AND ({cover}) GROUP BY cell >> {up}",
                [scope, category, level, *parts, *[v for pair in chunk for v in pair]])
            out += cursor.fetchall()
    return out


def clusters(qs, vp, *, scope: int, category: int, parts: list[int], key: str, lat: str, lon: str, edge_qs=None):
    """The viewport's cells (clustering.Cell) from the pyramid, equal to `clustering.cluster(qs,
    vp, ...)`. `qs` must be the exact query the counts stand for (`edge_qs`, if given, the same
    rows, phrased to be quick for a handful of them); `category`/`parts` what its filters select.
    Returns None when the viewport's level is finer than the pyramid stores."""
    from testigo.geo.clustering import Cell, cluster_ranges

    g = vp.level
    levels = [lv for lv in STORED_LEVELS if lv >= g]
    if not levels:
        return None
    found: dict[int, Sums] = defaultdict(Sums)
    level = levels[0]
    roots = [(0, 0, 0)]
    while True:
        geometry = _Geometry(vp, level)
        inside, across = geometry.split(roots)
        for cell, n, slat, slon, sid in _read(scope, category, parts, level, inside, 2 * (level - g)):
            found[cell].add(n, slat, slon, sid)
        edge = [(cell, n) for cell, n, _a, _b, _c in _read(scope, category, parts, level, across, 0)]
        if not edge:
            break
        at_edge = sum(n for _c, n in edge)
        # Read the edge's reports when they are few, when refining would not make them much fewer
        # (sparse cells of a report or two), or at the finest level.
        if at_edge <= RAW_EDGE_MAX or at_edge <= EDGE_DENSITY * len(edge) or level + 2 > TOP:
            shift = 2 * (KEY_ZOOM - level)
            cells = {c for c, _n in edge}
            key_ranges = _merge([(c << shift, ((c + 1) << shift) - 1) for c in cells], MAX_RANGES)
            for cell in cluster_ranges(edge_qs if edge_qs is not None else qs, key_ranges, level,
                                       key=key, lat=lat, lon=lon, per_range=True):
                if cell.cell in cells:  # merged ranges may reach into cells already counted
                    found[cell.cell >> (2 * (level - g))].add(cell.count, cell.sum_lat, cell.sum_lon, cell.sum_id)
            break
        roots = [(level, *unmorton(c)) for c, _n in edge]
        level += 2
    out = []
    for cell in sorted(found):
        s = found[cell]
        if s.n > 0:
            out.append(Cell(cell=cell, count=s.n, lat=s.lat / s.n, lon=s.lon / s.n,
                            first_id=s.ids if s.n == 1 else None, sum_lat=s.lat, sum_lon=s.lon, sum_id=s.ids))
    return out
