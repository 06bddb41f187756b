"""Which reports a caller may read, in which shape. Public callers only ever go through
`reports.selectors.public_reports()`; staff through `staff_reports(user)` with role rules."""

from __future__ import annotations

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
    if filters.sources or filters.date_from or filters.date_to or filters.text or len(filters.categories) > 1:
        return None
    return filters.categories[0] if filters.categories else counts.ALL


def cluster_cells(caller: Caller, filters: ReportFilters, vp, *, use_counts: bool = True) -> list:
    """The viewport's cells, from the count pyramid when it can answer the filters exactly (and the
    zoom is not finer than it stores), else from a GROUP BY over the reports: same result.

    The public side clusters the fuzzed public columns of published public reports; staff the
    true columns of every report they may see.
    """
    from dataclasses import replace

    from testigo.geo.clustering import cluster

    filters = replace(filters, bbox=(vp.west, vp.south, vp.east, vp.north))
    category = _pyramid_category(filters) if use_counts else None
    if caller.is_staff:
        # Naming every status lets the (status, tile_key, ...) index seek per status and range.
        filters = replace(filters, statuses=filters.statuses or list(Report.Status.values))

        def select(f):
            return selectors.staff_reports(caller.user, f).select_related(None).prefetch_related(None)

        qs = select(filters)
        columns = {"key": "tile_key", "lat": "lat", "lon": "lon"}
        scope = counts.STAFF
        # visible_to() hides confidential reports from roles without the permission.
        parts = counts.staff_parts(filters.statuses, roles.can(caller.user, roles.VIEW_CONFIDENTIAL))
    else:
        select = selectors.public_reports
        qs = select(filters)
        columns = {"key": "public_tile_key", "lat": "public_lat", "lon": "public_lon"}
        scope, parts = counts.PUBLIC, [0]
    cells = None
    if category is not None:
        edge_qs = None
        if filters.categories:
            # The pyramid leaves only a few edge reports to read: the same category filter as a
            # correlated EXISTS costs a lookup per row, where the selector's IN list costs a pass
            # over every link of the category.
            links = Report.categories.through.objects.filter(
                report_id=OuterRef("id"), category_id__in=filters.category_ids_with_children())
            edge_qs = select(replace(filters, categories=[])).filter(Exists(links))
        cells = counts.clusters(qs, vp, scope=scope, category=category, parts=parts, edge_qs=edge_qs, **columns)
    return cells if cells is not None else cluster(qs, vp, **columns)


def clusters(caller: Caller, filters: ReportFilters, vp) -> dict:
    """Clusters (count, centroid, cell bounds) and single points for a viewport."""
    from testigo.geo.clustering import cell_bounds, public_centroid

    cells = cluster_cells(caller, filters, vp)
    single_ids = [c.first_id for c in cells if c.count == 1]
    points = _points(caller, single_ids)
    out = {"zoom": vp.zoom, "total": sum(c.count for c in cells), "clusters": [], "points": []}
    for c in cells:
        if c.count == 1 and c.first_id in points:
            out["points"].append(points[c.first_id])
            continue
        bounds = cell_bounds(c.cell, vp.level)
        # The public centroid is an average of public points only; snapped to the fuzz grid it
        # shows nothing finer than one public point does (staff see the true average).
        lat, lon = (c.lat, c.lon) if caller.is_staff else public_centroid(c, bounds, radius_m=settings.FUZZ_RADIUS_M)
        out["clusters"].append({"count": c.count, "lat": round(lat, 6), "lon": round(lon, 6), "bounds": bounds})
    return out


def _points(caller: Caller, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    links: dict[int, list[int]] = {i: [] for i in ids}
    for report_id, cat_id in Report.categories.through.objects.filter(report_id__in=ids).values_list(
            "report_id", "category_id"):
        links[report_id].append(cat_id)
    if caller.is_staff:
        rows = selectors.visible_to(caller.user).filter(id__in=ids).values(
            "id", "reference", "title", "occurred_at", "occurred_time_known", "received_at", "lat", "lon", "status")
        shaped = ((r, r["title"], r["occurred_at"] or r["received_at"], "received_at", r["lat"], r["lon"])
                  for r in rows)
    else:
        rows = selectors.public_reports(ReportFilters()).filter(id__in=ids)
        shaped = ((r, r["public_title"], r["occurred_at"] or r["published_at"], "published_at", r["public_lat"],
                   r["public_lon"]) for r in rows)
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
