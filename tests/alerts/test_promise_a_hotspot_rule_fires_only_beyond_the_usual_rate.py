"""Promise: an alert rule marked "only when unusual for the area" (a hotspot rule: "warn the zone
when a hotspot of shootings appears") fires when the reports around a place exceed what the
previous weeks there explain, not at the everyday rate of a busy place; and, like every rule, it
counts only public reports at their public cells, so confidential reports never make it fire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.alerts import rules
from testigo.alerts.models import Alert, Rule
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

T = (14.0723, -87.1921)


@pytest.fixture
def hotspot_rule(category):
    return Rule.objects.create(name="balaceras fuera de lo normal", category=category.parent, min_reports=3,
                               radius_m=1000, hours=6, verified_only=False, unusual_only=True)


@pytest.fixture
def reports_at(report_factory):
    def make(n: int, hours_ago: float = 1, **kwargs):
        now = timezone.now()
        return [report_factory(lat=T[0] + 0.0003 * i, lon=T[1], received_at=now - timedelta(hours=hours_ago), **kwargs)
                for i in range(n)]
    return make


def usual_traffic(reports_at):
    for day in range(1, 28):  # five a day at the same place for four weeks
        reports_at(5, hours_ago=24 * day)


def test_a_burst_where_it_is_usually_quiet_fires(hotspot_rule, reports_at):
    reports_at(4)
    assert len(rules.evaluate(rule_id=hotspot_rule.pk)) == 1
    assert Alert.objects.get().rule == hotspot_rule


def test_the_usual_rate_of_a_busy_place_does_not_fire_a_hotspot_rule_but_fires_a_plain_one(
        hotspot_rule, reports_at, category):
    usual_traffic(reports_at)
    reports_at(4)
    assert rules.evaluate(rule_id=hotspot_rule.pk) == []
    plain = Rule.objects.create(name="3 en 6 h", category=category.parent, min_reports=3, radius_m=1000, hours=6,
                                verified_only=False)
    assert len(rules.evaluate(rule_id=plain.pk)) == 1


def test_confidential_reports_never_make_a_hotspot_rule_fire(hotspot_rule, reports_at):
    for report in reports_at(4):
        Report.objects.filter(pk=report.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    assert rules.evaluate(rule_id=hotspot_rule.pk) == []
