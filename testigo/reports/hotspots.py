"""Hotspots: more reports of a category in one place in the last hours than its usual rate explains.

Every report with a location is put in a square grid cell (HOTSPOT_CELL_M a side) and counted
under each of its categories and their parents. For each cell and category, `observed` is the count
in the last HOTSPOT_HOURS and `expected` what the previous HOTSPOT_BASELINE_DAYS predict for that
many hours (the cell's own rate; a cell with no history is taken to have one report in the baseline,
so a quiet cell needs several reports, and a new deployment does not light up everywhere). A cell
is a hotspot when observed >= HOTSPOT_MIN_REPORTS and the Poisson probability of seeing that many
or more is below HOTSPOT_MAX_P; its score is Kulldorff's log-likelihood ratio
O·ln(O/E) − (O − E), the statistic of the space-time scan, which orders hotspots by how surprising
they are. Rejected and merged reports do not count.

Hotspots are staff-only: they are computed from the true locations, confidential reports included,
and shown only on staff pages; one that counts a confidential report only to staff who may see
confidential reports (`visible_to`). `detect()` keeps one active row per cell and category: updated while
it lasts (last_seen), closed (active=False) when the count falls back.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from testigo.geo.distance import EARTH_RADIUS_M
from testigo.reports.models import Category, Hotspot, Report

Cell = tuple[int, int]


def cell_of(lat: float, lon: float, side_m: float) -> Cell:
    """(row, column) of the grid cell holding the point: rows of equal latitude height, columns as
    wide in metres as the rows are tall (at the row's own latitude)."""
    dlat = math.degrees(side_m / EARTH_RADIUS_M)
    row = math.floor(lat / dlat)
    return row, math.floor(lon / _column_width(row, dlat))


def _column_width(row: int, dlat: float) -> float:
    middle = (row + 0.5) * dlat
    return dlat / max(math.cos(math.radians(min(abs(middle), 89.0))), 0.01)


def cell_centre(cell: Cell, side_m: float) -> tuple[float, float]:
    dlat = math.degrees(side_m / EARTH_RADIUS_M)
    row, column = cell
    return (row + 0.5) * dlat, (column + 0.5) * _column_width(row, dlat)


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected), summed from the tail (exact for tiny values,
    where 1 - cdf would round to 0)."""
    if observed <= 0:
        return 1.0
    log_term = -expected + observed * math.log(expected) - math.lgamma(observed + 1)
    total, k = 0.0, observed
    while True:
        term = math.exp(log_term)
        total += term
        if term < total * 1e-12 or k > observed + 1000:
            return min(total, 1.0)
        k += 1
        log_term += math.log(expected) - math.log(k)


def log_likelihood_ratio(observed: int, expected: float) -> float:
    """Kulldorff's Poisson statistic for one zone: 0 unless more reports than expected."""
    if observed <= expected:
        return 0.0
    return observed * math.log(observed / expected) - (observed - expected)


def _parents() -> dict[int, int | None]:
    return dict(Category.objects.values_list("id", "parent_id"))


def count(now, *, side_m: float, hours: int, baseline_days: int) -> tuple[Counter, Counter, set]:
    """(reports in the window, reports in the baseline) per (cell, category id), and the keys whose
    window holds a confidential report."""
    window_start = now - timedelta(hours=hours)
    baseline_start = window_start - timedelta(days=baseline_days)
    parents = _parents()
    links = Report.categories.through.objects.filter(
        report__received_at__gte=baseline_start, report__received_at__lte=now, report__lat__isnull=False,
        report__merged_into__isnull=True,
    ).exclude(report__status=Report.Status.REJECTED).order_by().values_list(
        "report_id", "report__lat", "report__lon", "report__received_at", "category_id", "report__visibility")
    window, baseline, confidential = Counter(), Counter(), set()
    seen: set[tuple[int, Cell, int]] = set()
    for report_id, lat, lon, received, category_id, visibility in links.iterator(chunk_size=5000):
        cell = cell_of(lat, lon, side_m)
        recent = received >= window_start
        target = window if recent else baseline
        for counted in {category_id, parents.get(category_id)} - {None}:
            if (report_id, cell, counted) not in seen:  # two children of one parent: counted once
                seen.add((report_id, cell, counted))
                target[(cell, counted)] += 1
                if recent and visibility == Report.Visibility.CONFIDENTIAL:
                    confidential.add((cell, counted))
    return window, baseline, confidential


def scan(now=None) -> list[dict]:
    """Every (cell, category) beyond its usual rate now, most surprising first (nothing stored)."""
    now = now or timezone.now()
    side, hours, days = settings.HOTSPOT_CELL_M, settings.HOTSPOT_HOURS, settings.HOTSPOT_BASELINE_DAYS
    window, baseline, confidential = count(now, side_m=side, hours=hours, baseline_days=days)
    found = []
    for (cell, category_id), observed in window.items():
        if observed < settings.HOTSPOT_MIN_REPORTS:
            continue
        expected = max(baseline[(cell, category_id)], 1) * hours / (days * 24)
        p_value = poisson_tail(observed, expected)
        if p_value <= settings.HOTSPOT_MAX_P:
            lat, lon = cell_centre(cell, side)
            found.append({"cell": f"{cell[0]}:{cell[1]}", "category_id": category_id, "lat": lat, "lon": lon,
                          "observed": observed, "expected": round(expected, 4), "p_value": p_value,
                          "includes_confidential": (cell, category_id) in confidential,
                          "score": round(log_likelihood_ratio(observed, expected), 3)})
    return sorted(found, key=lambda h: -h["score"])


def visible_to(user):
    """The hotspots this staff member may see: those counting a confidential report only with the
    permission to see confidential reports."""
    from testigo.core import roles

    hotspots = Hotspot.objects.select_related("category")
    return hotspots if roles.can(user, roles.VIEW_CONFIDENTIAL) else hotspots.filter(includes_confidential=False)


@transaction.atomic
def detect(now=None) -> list[Hotspot]:
    """Scan and store: new hotspots created, lasting ones updated, the others closed. Returns the
    active hotspots (the periodic job, reports.tasks)."""
    now = now or timezone.now()
    side, hours = settings.HOTSPOT_CELL_M, settings.HOTSPOT_HOURS
    active = {(h.cell, h.category_id): h for h in Hotspot.objects.select_for_update().filter(active=True, cell_m=side)}
    kept = []
    for found in scan(now):
        key = (found["cell"], found["category_id"])
        hotspot = active.pop(key, None) or Hotspot(cell=found["cell"], cell_m=side, category_id=found["category_id"],
                                                  first_seen=now)
        for name in ("lat", "lon", "observed", "expected", "score", "p_value", "includes_confidential"):
            setattr(hotspot, name, found[name])
        hotspot.window_hours, hotspot.last_seen, hotspot.active = hours, now, True
        hotspot.save()
        kept.append(hotspot)
    Hotspot.objects.filter(pk__in=[h.pk for h in active.values()]).update(active=False)
    # Rows from another cell size (the setting changed) are no longer comparable: closed too.
    Hotspot.objects.filter(active=True).exclude(cell_m=side).update(active=False)
    return kept
