"""Promise (issue #19): evaluating a threshold rule costs work in proportion to the coarse cells
its reports fall in, not to the pairs of reports: a busy window of a million-report database
(thousands of reports in a few city cells) must not compare every report with every neighbour.
The firing is the same as counting report by report: the cell's centre, every report within the
radius counted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from testigo.alerts import geometry, privacy, rules
from testigo.alerts.models import Alert, Rule
from testigo.reports.models import Report
from testigo.reports.services import new_reference

pytestmark = pytest.mark.django_db


def _reports(category, n: int, lat: float, lon: float) -> None:
    for i in range(n):
        report = Report.objects.create(reference=new_reference(), title="t", description="d", received_at=timezone.now(),
                                       status=Report.Status.PUBLISHED, lat=lat, lon=lon,
                                       public_lat=lat + (i % 7) * 1e-5, public_lon=lon + (i % 5) * 1e-5)
        report.categories.set([category])


def test_many_reports_in_a_few_cells_take_a_few_distance_checks(category, monkeypatch):
    rule = Rule.objects.create(name="robos", category=category.parent, min_reports=50, radius_m=1000, hours=24,
                               verified_only=True)
    _reports(category, 60, 14.07231, -87.19212)
    _reports(category, 20, 14.2, -87.5)  # far away: a cell of its own, below the threshold
    calls = []
    real = geometry.haversine_m
    monkeypatch.setattr(geometry, "haversine_m", lambda *args: calls.append(args) or real(*args))
    [alert] = rules.evaluate(rule_id=rule.pk)
    assert len(calls) <= 10, len(calls)  # report by report: 60 × 60 + 20 × 20 checks
    side = privacy.cell_side_m()
    assert (alert.lat, alert.lon) == privacy.cell_centre(14.07231, -87.19212, side)
    assert Alert.objects.get().rule_id == rule.pk and rule.firings.get().report_count == 60
