"""Which reports a caller may read, in which shape. Public callers only ever go through
`reports.selectors.public_reports()`; staff through `staff_reports(user)` with role rules."""

from __future__ import annotations

import threading
import weakref

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from testigo.api.auth import Caller
from testigo.api.params import decode_cursor, encode_cursor
from testigo.core import dates, roles
from testigo.reports import counts, exporters, selectors
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters


def report_queryset(caller: Caller, filters: ReportFilters, updated_since=None, *,
                    paged: bool = False) -> tuple[QuerySet, str, bool]:
    """(queryset, sort field, is_public). Public rows are dicts from public_reports().

    `updated_since` reads, for the public, when the public row last changed
    (`public_updated_at`): `updated_at` also moves with edits the public never sees, and would
    time staff's work on a published report."""
    if caller.is_staff:
        qs = selectors.staff_reports(caller.user, filters)
        sort, changed = "received_at", "updated_at"
    else:
        qs = selectors.public_reports(filters, paged=paged)  # a page reads a few rows; an export all
        sort, changed = "published_at", "public_updated_at"
    if updated_since is not None:
        qs = qs.filter(**{f"{changed}__gte": updated_since})
    return qs, sort, not caller.is_staff


def _after(qs: QuerySet, sort: str, tiebreak: str, moment, key) -> QuerySet:
    """The rows after (moment, key) in the order (sort desc, nulls last; tiebreak desc)."""
    if moment is None:
        return qs.filter(**{f"{sort}__isnull": True, f"{tiebreak}__lt": key})
    return qs.filter(Q(**{f"{sort}__lt": moment}) | Q(**{sort: moment, f"{tiebreak}__lt": key})
                     | Q(**{f"{sort}__isnull": True}))


def page(caller: Caller, filters: ReportFilters, *, limit: int, cursor: str | None, updated_since=None) -> dict:
    """One page in a stable order (sort key desc, tie-breaker desc) and the opaque cursor to the
    next. The public tie-breaker is the reference (selectors.PUBLIC_ORDER), so a public cursor
    holds only public values; staff's is the id."""
    qs, sort, public = report_queryset(caller, filters, updated_since, paged=True)
    tiebreak = "reference" if public else "id"
    after = decode_cursor(cursor, key_type=str if public else int)
    if after is not None:
        qs = _after(qs, sort, tiebreak, *after)
    if public:
        values = list(qs.order_by(*selectors.PUBLIC_ORDER)[: limit + 1])
        items = list(exporters.public_rows_from(values[:limit]))
    else:
        with_contact = roles.may_take_contacts(caller.user)
        qs = qs.order_by(F(sort).desc(nulls_last=True), f"-{tiebreak}")
        values = list(exporters.staff_values(qs, with_contact)[: limit + 1])
        items = list(exporters.staff_rows_from(values[:limit], with_contact))
    next_cursor = None
    if len(values) > limit:
        last = values[limit - 1]
        next_cursor = encode_cursor(last[sort], last[tiebreak])
    return {"items": items, "next_cursor": next_cursor}


def _pyramid_category(filters: ReportFilters) -> int | None:
    """The count pyramid's category key answering these filters exactly, or None when only the
    raw query can (several categories, source, dates or text)."""
    if (filters.sources or filters.date_from or filters.date_to or filters.text or len(filters.categories) > 1
            or filters.admin1 or filters.admin2):
        return None
    return filters.categories[0] if filters.categories else counts.ALL


# Compiled public map queries, by filter shape (public_source): a few dozen at most (the filters
# people combine on a map), each a few hundred bytes of SQL. Bounded all the same.
_PUBLIC_SOURCES: dict[str, tuple] = {}
_PUBLIC_SOURCES_MAX = 256
# A viewport compiled into the cached SQL in its place, then swapped for each request's: values no
# other filter yields, one per side (two shapes: whether the box crosses the antimeridian).
_MARKS = {False: (-179.000123457, -85.000123457, 179.000123457, 85.000123457),
          True: (179.000123457, -85.000123457, -179.000123457, 85.000123457)}
_PUBLIC_COLUMNS = {"key": "public_tile_key", "lat": "public_lat", "lon": "public_lon"}


def _public_source(filters: ReportFilters, *, paged: bool = False):
    """The public selector's rows for these filters (a viewport in `bbox`) as a clustering.Source.

    Compiled once per filter shape and kept: building and compiling the selector's queryset cost
    more than running it on a zoomed-in view (issue #19). The query is still the selector's
    (selectors.public_reports), compiled with marker values for the viewport that are swapped for
    the request's; the key holds every other filter value, with the category's children as they
    are now, so a category moved or added is never answered from an old query."""
    from dataclasses import replace

    from testigo.geo.clustering import Source, source_of

    west, south, east, north = filters.bbox
    crossing = west > east
    shape = repr((replace(filters, bbox=None), crossing, paged, filters.category_ids_with_children()))
    cached = _PUBLIC_SOURCES.get(shape)
    if cached is None:
        marks = _MARKS[crossing]
        source = source_of(selectors.public_reports(replace(filters, bbox=marks), paged=paged), **_PUBLIC_COLUMNS)
        where = {i: marks.index(v) for i, v in enumerate(source.params) if isinstance(v, float) and v in marks}
        if sorted(where.values()) != [0, 1, 2, 3]:  # the selector no longer filters the box this way
            return source_of(selectors.public_reports(filters, paged=paged), **_PUBLIC_COLUMNS)
        if len(_PUBLIC_SOURCES) >= _PUBLIC_SOURCES_MAX:
            _PUBLIC_SOURCES.clear()
        cached = _PUBLIC_SOURCES[shape] = (source, where)
    source, where = cached
    box = (west, south, east, north)
    return Source(source.sql, tuple(box[where[i]] if i in where else v for i, v in enumerate(source.params)))


# The public map's points in memory (geo/memindex.py), by database and filter shape: every public
# report, and each single category a visitor picked, most recently used last. Each holds one entry
# per distinct public point (fuzz cells make them few), a few megabytes at a hundred thousand.
_POINT_INDEXES: dict[tuple, tuple] = {}
_POINT_INDEXES_MAX = 8
_POINT_INDEXES_LOCK = threading.Lock()  # threaded servers: the dictionary only, never a load
# A reload costs a few milliseconds per thousand public reports (68 ms for 10,807 on a loaded
# 2-core machine, bench/bench_map.py). After a change, a shape whose last load
# took t seconds is loaded again only once t * _RELOAD_SPACING seconds have passed since: until
# then (publications coming in fast) requests are answered by the count pyramid, exactly, as
# before. Reloading takes at most 1/_RELOAD_SPACING of a process's time however fast reports change.
_RELOAD_SPACING = 20


def _point_index(filters: ReportFilters):
    """The public points these filters select (no viewport), from memory when the public scope's
    token still matches the one read before they were loaded, else loaded again; None when there
    is no token yet, or when the last load was too recent to load again (_RELOAD_SPACING). One
    statement when current."""
    import time
    from dataclasses import replace

    from testigo.core.db import replicas
    from testigo.geo import memindex
    from testigo.geo.clustering import source_of

    current = memindex.token(counts.PUBLIC)
    if current is None:
        return None
    filters = replace(filters, bbox=None)
    connection = replicas.read_connection()  # the index of the database it is read from
    shape = (connection.alias, connection.settings_dict["NAME"], repr(filters),
             tuple(filters.category_ids_with_children()) if filters.categories else ())
    with _POINT_INDEXES_LOCK:
        held = _POINT_INDEXES.pop(shape, None)
        if held is not None:
            _POINT_INDEXES[shape] = held  # most recently used last
    if held is None or held[0] != current:
        now = time.monotonic()
        if held is not None and now - held[2] < held[3] * _RELOAD_SPACING:
            return None  # stale: the counts answer until reloading is due
        # The token is read before the points: points changed in between make the index newer
        # than its token, so the next request reloads; never older.
        index = memindex.load(source_of(selectors.public_reports(filters), **_PUBLIC_COLUMNS))
        held = (current, index, now, time.monotonic() - now)
        with _POINT_INDEXES_LOCK:
            _POINT_INDEXES.pop(shape, None)
            while len(_POINT_INDEXES) >= _POINT_INDEXES_MAX:
                _POINT_INDEXES.pop(next(iter(_POINT_INDEXES)))
            _POINT_INDEXES[shape] = held
    return held[1]


def cluster_cells(caller: Caller, filters: ReportFilters, vp, *, use_counts: bool = True,
                  use_memory: bool = True) -> list:
    """The viewport's cells: for the public with no filter or one category, from the public points
    held in memory (geo/memindex.py); else from the count pyramid when it can answer the filters
    exactly (and the zoom is not finer than it stores), else from a GROUP BY over the reports:
    same result every way.

    The public side clusters the fuzzed public columns of published public reports; staff the
    true columns of every report they may see (never held in memory).
    """
    from dataclasses import replace

    from testigo.geo.clustering import cluster_ranges, morton_ranges, source_of

    filters = replace(filters, bbox=(vp.west, vp.south, vp.east, vp.north))
    category = _pyramid_category(filters) if use_counts else None
    if use_memory and not caller.is_staff and _pyramid_category(filters) is not None:
        index = _point_index(filters)
        if index is not None:
            return index.cells(vp)
    # The pyramid leaves only a few edge reports to read: there a category filter is quicker as a
    # correlated EXISTS (a lookup per row) than as the IN list the raw GROUP BY wants (one pass
    # over every link of the category, which pays off over a country-wide view).
    edge = category is not None and bool(filters.categories)
    if caller.is_staff:
        # Naming every status lets the (status, tile_key, ...) index seek per status and range.
        filters = replace(filters, statuses=filters.statuses or list(Report.Status.values))

        def source(edge: bool):
            if not edge:
                qs = selectors.staff_reports(caller.user, filters)
            else:
                links = Report.categories.through.objects.filter(
                    report_id=OuterRef("id"), category_id__in=filters.category_ids_with_children())
                qs = selectors.staff_reports(caller.user, replace(filters, categories=[])).filter(Exists(links))
            return source_of(qs.select_related(None).prefetch_related(None), key="tile_key", lat="lat", lon="lon")

        scope = counts.STAFF
        # visible_to() hides confidential reports from roles without the permission.
        parts = counts.staff_parts(filters.statuses, roles.can(caller.user, roles.VIEW_CONFIDENTIAL))
    else:
        def source(edge: bool):
            return _public_source(filters, paged=edge)  # paged: the selector's EXISTS form

        scope, parts = counts.PUBLIC, [0]
    cells = None
    if category is not None:
        cells = counts.clusters(source(edge), vp, scope=scope, category=category, parts=parts)
    return cells if cells is not None else cluster_ranges(source(False), morton_ranges(vp), vp.level)


def clusters(caller: Caller, filters: ReportFilters, vp) -> dict:
    """Clusters (count, centroid, cell bounds) and single points for a viewport. For the public,
    the map's two generation tokens are read once (unless api/mapcache.py already did)."""
    from testigo.geo import memindex
    from testigo.reports import public_changes

    if caller.is_staff:
        return _clusters(caller, filters, vp)
    scopes = (counts.PUBLIC, public_changes.ROWS_TOKEN)
    with memindex.already_read(dict(zip(scopes, memindex.tokens(scopes), strict=True))):
        return _clusters(caller, filters, vp)


def _clusters(caller: Caller, filters: ReportFilters, vp) -> dict:
    from testigo.geo.clustering import cell_bounds, public_centroid

    cells = cluster_cells(caller, filters, vp)
    single_ids = [c.first_id for c in cells if c.count == 1]
    points = _points(caller, single_ids)
    out = {"zoom": vp.zoom, "total": sum(c.count for c in cells), "clusters": [], "points": []}
    radius_m = settings.FUZZ_RADIUS_M
    for c in cells:
        if c.count == 1 and c.first_id in points:
            out["points"].append(points[c.first_id])
            continue
        bounds = cell_bounds(c.cell, vp.level)
        # The public centroid is an average of public points only; snapped to the fuzz grid it
        # shows nothing finer than one public point does (staff see the true average).
        lat, lon = (c.lat, c.lon) if caller.is_staff else public_centroid(c, bounds, radius_m=radius_m)
        out["clusters"].append({"count": c.count, "lat": round(lat, 6), "lon": round(lon, 6), "bounds": bounds})
    return out


# Per database connection: the public selector's query for a report's row, compiled once with
# its column names and converters (which belong to the connection they were made for).
_PUBLIC_POINTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_POINT_FIELDS = ("id", "reference", "public_title", "occurred_at", "occurred_time_known", "published_at",
                 "public_lat", "public_lon")


def _public_point_query(connection) -> tuple:
    found = _PUBLIC_POINTS.get(connection)
    if found is None:
        # Only what a point shows: the public description (long text) cost a third of the read.
        query = selectors.public_reports(ReportFilters()).order_by().values(*_POINT_FIELDS).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        found = _PUBLIC_POINTS[connection] = (sql, tuple(params), names, compiler, converters)
    return found


def _public_point_rows(ids: list[int]) -> list[tuple[dict, int | None]]:
    """(public row, category id) for these reports, one row per category (None without one): the
    public selector's query, compiled once, with the links joined in, in one statement."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from testigo.core.db import replicas

    connection = connections[replicas.current() or DEFAULT_DB_ALIAS]  # a replica for a public read
    sql, params, names, compiler, converters = _public_point_query(connection)
    quote = connection.ops.quote_name
    links = quote(Report.categories.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.*, l.{quote('category_id')} FROM ({sql}) t LEFT JOIN {links} l "
                       f"ON l.{quote('report_id')} = t.{quote('id')} WHERE t.{quote('id')} IN "
                       f"({', '.join(['%s'] * len(ids))})", [*params, *ids])
        rows = cursor.fetchall()
    if converters:
        rows = compiler.apply_converters(rows, converters)
    width = len(names)
    return [(dict(zip(names, row[:width], strict=True)), row[width]) for row in rows]


# The public single points already shaped, by report id, valid for one state of the public map:
# the public counts' and public rows' generation tokens (geo/memindex.py, reports/public_changes.py),
# the language of "when", the time zone and the database. Any publication, unpublication, public
# edit or re-categorisation renews a token and so empties it; only public rows ever enter it.
_PUBLIC_POINT_CACHE: dict = {"state": None, "points": {}}
_PUBLIC_POINT_CACHE_MAX = 20_000
_PUBLIC_POINT_CACHE_LOCK = threading.Lock()


def _public_points_state() -> tuple | None:
    """What the shaped public points depend on besides the report; None when a token is missing
    (then nothing is kept)."""
    from django.db import connection
    from django.utils import translation

    from testigo.geo import memindex
    from testigo.reports import public_changes

    tokens = memindex.tokens((counts.PUBLIC, public_changes.ROWS_TOKEN))
    if None in tokens:
        return None
    return (connection.alias, connection.settings_dict["NAME"], *tokens, translation.get_language(),
            settings.TIME_ZONE)


def _points(caller: Caller, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    if caller.is_staff:
        return _shaped_points(caller, ids)
    state = _public_points_state()
    if state is None:
        return _shaped_points(caller, ids)
    with _PUBLIC_POINT_CACHE_LOCK:
        if _PUBLIC_POINT_CACHE["state"] != state:
            _PUBLIC_POINT_CACHE["state"], _PUBLIC_POINT_CACHE["points"] = state, {}
        held = _PUBLIC_POINT_CACHE["points"]
        found = {i: held[i] for i in ids if i in held}
    missing = [i for i in ids if i not in found]
    if missing:
        fresh = _shaped_points(caller, missing)
        found.update(fresh)
        with _PUBLIC_POINT_CACHE_LOCK:
            if _PUBLIC_POINT_CACHE["state"] == state:  # not renewed meanwhile by a newer state
                held = _PUBLIC_POINT_CACHE["points"]
                if len(held) + len(fresh) > _PUBLIC_POINT_CACHE_MAX:
                    held.clear()
                held.update(fresh)
    return found


def _shaped_points(caller: Caller, ids: list[int]) -> dict[int, dict]:
    links: dict[int, list[int]] = {i: [] for i in ids}
    if caller.is_staff:
        for report_id, cat_id in Report.categories.through.objects.filter(report_id__in=ids).values_list(
                "report_id", "category_id"):
            links[report_id].append(cat_id)
        rows = selectors.visible_to(caller.user).filter(id__in=ids).values(
            "id", "reference", "title", "occurred_at", "occurred_time_known", "received_at", "lat", "lon", "status")
        shaped = ((r, r["title"], r["occurred_at"] or r["received_at"], "received_at", r["lat"], r["lon"])
                  for r in rows)
    else:
        rows = {}
        for row, cat_id in _public_point_rows(ids):
            rows.setdefault(row["id"], row)
            if cat_id is not None:
                links[row["id"]].append(cat_id)
        shaped = ((r, r["public_title"], r["occurred_at"] or r["published_at"], "published_at", r["public_lat"],
                   r["public_lon"]) for r in rows.values())
    points = {}
    for row, title, when, fallback, lat, lon in shaped:
        point = {"reference": row["reference"], "title": title, "categories": sorted(links[row["id"]]),
                 "date": dates.local(when).date().isoformat() if when else None,
                 "when": exporters.display_date(row, fallback), "lat": lat, "lon": lon,
                 "url": exporters.report_url(row["reference"])}
        if "status" in row:
            point["status"] = row["status"]
        points[row["id"]] = point
    return points
