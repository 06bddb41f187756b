"""Threshold rules: "at least N reports of category C within R metres in T hours".

A rule is evaluated under a lock on its row, so two workers never fire it twice. A firing is
remembered with its centre: no new firing of the same rule within 2·R of it until the window ends
(two clusters whose centres are closer than 2·R share reports, so they are the same cluster).

Rule alerts reach the public, so they must not locate reports better than the public map
(testigo.alerts.privacy): only public reports count, each one at the centre of the coarse cell
holding its public (fuzzed) position, and R is never smaller than a cell's neighbourhood.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from shapely import STRtree, box, points

from testigo.alerts import geometry, privacy
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


def candidate_reports(rule: Rule, now, side_m: float) -> list[tuple[int, float, float]]:
    """(id, lat, lon) of the reports the rule counts, each at the centre of the coarse cell holding
    its public position. Confidential and restricted reports never count: a rule alert reaches
    the public. The true position is not even read."""
    statuses = COUNTED_VERIFIED if rule.verified_only else COUNTED_ALL
    rows = Report.objects.filter(
        status__in=statuses, visibility=Report.Visibility.PUBLIC, categories__in=_descendants(rule.category_id),
        merged_into__isnull=True, received_at__gte=now - timedelta(hours=rule.hours),
        public_lat__isnull=False, public_lon__isnull=False,
    ).distinct().values_list("id", "public_lat", "public_lon")
    return [(pk, *privacy.cell_centre(lat, lon, side_m)) for pk, lat, lon in rows]


def clusters(rows: list[tuple[int, float, float]], radius_m: float, minimum: int) -> list[tuple[int, float, float, int]]:
    """(centre report id, lat, lon, count) for every report with >= minimum reports within radius_m,
    largest first."""
    if len(rows) < minimum:
        return []
    tree = STRtree(points([(lon, lat) for _pk, lat, lon in rows]))
    found = []
    for pk, lat, lon in rows:
        min_lat, max_lat, min_lon, max_lon = geometry.degrees_box(lat, lon, radius_m)
        near = tree.query(box(min_lon, min_lat, max_lon, max_lat))
        count = sum(1 for i in near if geometry.haversine_m(lat, lon, rows[i][1], rows[i][2]) <= radius_m)
        if count >= minimum:
            found.append((pk, lat, lon, count))
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
        for _pk, lat, lon, count in clusters(candidate_reports(rule, now, side), radius, rule.min_reports):
            if any(geometry.haversine_m(lat, lon, flat, flon) <= 2 * radius for flat, flon in fired):
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
