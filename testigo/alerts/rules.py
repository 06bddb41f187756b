"""Threshold rules: "at least N reports of category C within R metres in T hours".

A rule is evaluated under a lock on its row, so two workers never fire it twice. A firing is
remembered with its centre: no new firing of the same rule within 2·R of it until the window ends
(two clusters whose centres are closer than 2·R share reports, so they are the same cluster).

Rule alerts reach the public, so they must not locate reports better than the public map
(testigo.alerts.privacy): only public reports count, each one at the centre of the coarse cell
holding its public (fuzzed) position, and R is never smaller than a cell's neighbourhood.

A rule marked `unusual_only` (a hotspot rule) also needs the cluster to be beyond the area's usual
rate: the same public cells over the previous HOTSPOT_BASELINE_DAYS, through reports.hotspots'
Poisson test (`unusual`). It never reads the staff Hotspot rows, which see exact and confidential
locations.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from shapely import STRtree, box, points

from testigo.alerts import geometry, privacy
from testigo.alerts.geometry import EARTH_RADIUS_M
from testigo.alerts.models import Alert, Rule, RuleFiring
from testigo.reports.models import Category, Report

COUNTED_VERIFIED = [Report.Status.VERIFIED, Report.Status.PUBLISHED]
COUNTED_ALL = [Report.Status.NEW, Report.Status.IN_REVIEW, *COUNTED_VERIFIED]


def _descendants(category_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, todo = set(), [category_id]
    while todo:
        cid = todo.pop()
        if cid not in out:
            out.add(cid)
            todo += children.get(cid, [])
    return out


def candidate_cells(rule: Rule, now, side_m: float, descendants: set[int]) -> list[tuple[int, float, float, int]]:
    """(lowest report id, centre lat, centre lon, reports) per coarse cell holding the public
    position of reports the rule counts. Confidential and restricted reports never count: a rule
    alert reaches the public. The true position is not even read.

    Read through the (status, received_at) index and the report's category links; one row per
    report of the window, folded here into its cell, so the clustering works on cells."""
    statuses = COUNTED_VERIFIED if rule.verified_only else COUNTED_ALL
    links = Report.categories.through.objects.filter(report_id=OuterRef("pk"), category_id__in=descendants)
    rows = Report.objects.filter(
        Exists(links), status__in=statuses, visibility=Report.Visibility.PUBLIC, merged_into__isnull=True,
        received_at__gte=now - timedelta(hours=rule.hours), public_lat__isnull=False, public_lon__isnull=False,
    ).order_by().values_list("id", "public_lat", "public_lon")
    return _fold_into_cells(list(rows.iterator(chunk_size=5000)), side_m)


def _usual_cells(rule: Rule, now, side_m: float, descendants: set[int]) -> list[tuple[int, float, float, int]]:
    """candidate_cells over the HOTSPOT_BASELINE_DAYS before the rule's window: the same public
    reports at the same coarse cells, so a hotspot rule reveals no more than any other rule."""
    statuses = COUNTED_VERIFIED if rule.verified_only else COUNTED_ALL
    links = Report.categories.through.objects.filter(report_id=OuterRef("pk"), category_id__in=descendants)
    window_start = now - timedelta(hours=rule.hours)
    rows = Report.objects.filter(
        Exists(links), status__in=statuses, visibility=Report.Visibility.PUBLIC, merged_into__isnull=True,
        received_at__gte=window_start - timedelta(days=settings.HOTSPOT_BASELINE_DAYS),
        received_at__lt=window_start, public_lat__isnull=False, public_lon__isnull=False,
    ).order_by().values_list("id", "public_lat", "public_lon")
    return _fold_into_cells(list(rows.iterator(chunk_size=5000)), side_m)


def unusual(count: int, lat: float, lon: float, usual: list[tuple[int, float, float, int]], *, radius_m: float,
            hours: int) -> bool:
    """Is `count` reports around (lat, lon) in `hours` a hotspot against the area's usual rate (the
    baseline cells within radius_m)? The Poisson test of reports.hotspots, at HOTSPOT_MAX_P; an area
    with no history counts as one report in the baseline."""
    from testigo.reports.hotspots import poisson_tail

    before = sum(n for _pk, clat, clon, n in usual if geometry.haversine_m(lat, lon, clat, clon) <= radius_m)
    expected = max(before, 1) * hours / (settings.HOTSPOT_BASELINE_DAYS * 24)
    return poisson_tail(count, expected) <= settings.HOTSPOT_MAX_P


def _fold_into_cells(rows: list[tuple[int, float, float]], side_m: float) -> list[tuple[int, float, float, int]]:
    """privacy.cell_centre for every row, with numpy doing the per-row arithmetic: the row and
    column numbers are computed exactly as there (the same IEEE divisions and floors; the cosine
    once per row of cells, by privacy itself), and each cell's centre is privacy's own answer."""
    if not rows:
        return []
    pks, lats, lons = (np.array(column) for column in zip(*rows, strict=True))
    dlat = math.degrees(side_m / EARTH_RADIUS_M)
    bands = np.floor(lats / dlat)
    dlon = {band: _column_width(band, dlat) for band in np.unique(bands).tolist()}
    columns = np.floor(lons / np.array([dlon[b] for b in bands.tolist()]))
    keys = np.stack([bands, columns], axis=1)
    _cells, first, inverse, counts = np.unique(keys, axis=0, return_index=True, return_inverse=True,
                                               return_counts=True)
    lowest = np.full(len(first), np.iinfo(np.int64).max)
    np.minimum.at(lowest, inverse.ravel(), pks)
    return [(int(pk), *privacy.cell_centre(float(lats[i]), float(lons[i]), side_m), int(n))
            for pk, i, n in zip(lowest.tolist(), first.tolist(), counts.tolist(), strict=True)]


def _column_width(band: float, dlat: float) -> float:
    """privacy.cell_centre's column width (degrees) in the row of cells number `band`."""
    edge = max(abs(band * dlat), abs((band + 1) * dlat))
    return dlat / max(math.cos(math.radians(min(edge, 89.0))), 0.01)


def clusters(cells: list[tuple[int, float, float, int]], radius_m: float,
             minimum: int) -> list[tuple[int, float, float, int]]:
    """(cell's lowest report id, lat, lon, count) for every cell with >= minimum reports within
    radius_m of its centre, largest first. All reports of a cell share its centre, so this is the
    list of reports with that many neighbours, one line per cell."""
    if sum(c[3] for c in cells) < minimum:
        return []
    tree = STRtree(points([(lon, lat) for _pk, lat, lon, _n in cells]))
    corners = [geometry.degrees_box(lat, lon, radius_m) for _pk, lat, lon, _n in cells]
    min_lat, max_lat, min_lon, max_lon = (np.array(column) for column in zip(*corners, strict=True))
    near = tree.query(box(min_lon, min_lat, max_lon, max_lat))
    counts = [0] * len(cells)
    distance = geometry.haversine_m
    for i, j in zip(near[0].tolist(), near[1].tolist(), strict=True):
        if distance(cells[i][1], cells[i][2], cells[j][1], cells[j][2]) <= radius_m:
            counts[i] += cells[j][3]
    found = [(pk, lat, lon, count) for (pk, lat, lon, _n), count in zip(cells, counts, strict=True) if count >= minimum]
    return sorted(found, key=lambda c: (-c[3], c[0]))


def evaluate(*, rule_id: int) -> list[Alert]:
    """Fire `rule` for each new cluster that crossed its threshold; returns the alerts created."""
    from testigo.alerts import services

    now = timezone.now()
    created = []
    with transaction.atomic():
        rule = Rule.objects.select_for_update().filter(pk=rule_id, is_active=True).first()
        if rule is None:
            return []
        side = privacy.cell_side_m()
        radius = privacy.neighbourhood_m(rule.radius_m, side)
        fired = list(RuleFiring.objects.filter(rule=rule, until__gt=now).values_list("lat", "lon"))
        cells = candidate_cells(rule, now, side, _descendants(rule.category_id))
        usual = _usual_cells(rule, now, side, _descendants(rule.category_id)) if rule.unusual_only else []
        for _pk, lat, lon, count in clusters(cells, radius, rule.min_reports):
            if any(geometry.haversine_m(lat, lon, flat, flon) <= 2 * radius for flat, flon in fired):
                continue
            if rule.unusual_only and not unusual(count, lat, lon, usual, radius_m=radius, hours=rule.hours):
                continue
            alert = services.rule_alert(rule=rule, lat=lat, lon=lon, count=count,
                                        radius_m=privacy.alert_radius_m(rule.radius_m, side))
            RuleFiring.objects.create(rule=rule, lat=lat, lon=lon, report_count=count, alert=alert,
                                      until=now + timedelta(hours=rule.hours))
            fired.append((lat, lon))
            created.append(alert)
    return created


def evaluate_all() -> int:
    """Evaluate every active rule (periodically, and after each new or changed report)."""
    return sum(len(evaluate(rule_id=pk)) for pk in Rule.objects.filter(is_active=True).values_list("pk", flat=True))
