"""Which reports a caller may read, in which shape. Public callers only ever go through
`reports.selectors.public_reports()`; staff through `staff_reports(user)` with role rules."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from testigo.api import exporters
from testigo.api.auth import Caller
from testigo.api.params import decode_cursor, encode_cursor
from testigo.core import roles
from testigo.reports import selectors
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters


def report_queryset(caller: Caller, filters: ReportFilters, updated_since=None) -> tuple[QuerySet, str, bool]:
    """(queryset, sort field, is_public). Public rows are dicts from public_reports()."""
    if caller.is_staff:
        qs = selectors.staff_reports(caller.user, filters)
        sort = "received_at"
    else:
        qs = selectors.public_reports(filters)
        sort = "published_at"
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs, sort, not caller.is_staff


def page(caller: Caller, filters: ReportFilters, *, limit: int, cursor: str | None, updated_since=None) -> dict:
    """One page in a stable order (sort key desc, id desc) and the opaque cursor to the next."""
    qs, sort, public = report_queryset(caller, filters, updated_since)
    after = decode_cursor(cursor)
    if after is not None:
        moment, pk = after
        if moment is None:
            qs = qs.filter(Q(**{f"{sort}__isnull": True}, id__lt=pk))
        else:
            qs = qs.filter(Q(**{f"{sort}__lt": moment}) | Q(**{sort: moment, "id__lt": pk}))
    qs = qs.order_by(f"-{sort}", "-id") if not public else qs
    with_contact = roles.can(caller.user, roles.SEE_CONTACT) if not public else False
    if public:
        values = list(qs[: limit + 1])
        last_sort = [r[sort] for r in values]
        items = list(exporters.public_rows_from(values[:limit]))
    else:
        values = list(exporters.staff_values(qs, with_contact)[: limit + 1])
        last_sort = [r[sort] for r in values]
        items = list(exporters.staff_rows_from(values[:limit], with_contact))
    next_cursor = None
    if len(values) > limit:
        next_cursor = encode_cursor(last_sort[limit - 1], values[limit - 1]["id"])
    return {"items": items, "next_cursor": next_cursor}


def clusters(caller: Caller, filters: ReportFilters, vp) -> dict:
    """Clusters (count, centroid, cell bounds) and single points for a viewport.

    The public side clusters the fuzzed public columns of published public reports; staff the
    true columns of every report they may see.
    """
    from dataclasses import replace

    from testigo.geo.clustering import cell_bounds, cluster

    filters = replace(filters, bbox=(vp.west, vp.south, vp.east, vp.north))
    if caller.is_staff:
        # Naming every status lets the (status, tile_key, ...) index seek per status and range.
        filters = replace(filters, statuses=filters.statuses or list(Report.Status.values))
        qs = selectors.staff_reports(caller.user, filters).select_related(None).prefetch_related(None)
        cells = cluster(qs, vp, key="tile_key", lat="lat", lon="lon")
    else:
        cells = cluster(selectors.public_reports(filters), vp, key="public_tile_key", lat="public_lat",
                        lon="public_lon")
    single_ids = [c.first_id for c in cells if c.count == 1]
    points = _points(caller, single_ids)
    out = {"zoom": vp.zoom, "total": sum(c.count for c in cells), "clusters": [], "points": []}
    for c in cells:
        if c.count == 1 and c.first_id in points:
            out["points"].append(points[c.first_id])
        else:
            out["clusters"].append({"count": c.count, "lat": round(c.lat, 6), "lon": round(c.lon, 6),
                                    "bounds": cell_bounds(c.cell, vp.level)})
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
            "id", "reference", "title", "occurred_at", "received_at", "lat", "lon", "status")
        shaped = ((r, r["title"], r["occurred_at"] or r["received_at"], r["lat"], r["lon"]) for r in rows)
    else:
        rows = selectors.public_reports(ReportFilters()).filter(id__in=ids)
        shaped = ((r, r["public_title"], r["occurred_at"] or r["published_at"], r["public_lat"], r["public_lon"])
                  for r in rows)
    points = {}
    for row, title, when, lat, lon in shaped:
        point = {"reference": row["reference"], "title": title, "categories": sorted(links[row["id"]]),
                 "date": timezone.localtime(when).date().isoformat() if when else None, "lat": lat, "lon": lon,
                 "url": exporters.report_url(row["reference"])}
        if "status" in row:
            point["status"] = row["status"]
        points[row["id"]] = point
    return points
