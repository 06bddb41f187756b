"""Shared by the retention promise tests: make a policy and age reports."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from testigo.core import roles
from testigo.reports import retention
from testigo.reports.models import Report, RetentionPolicy


def make_policy(*, categories=(), confirm=False, **fields) -> RetentionPolicy:
    fields = {"name": "política", "action": RetentionPolicy.Action.PURGE, "days": 30, **fields}
    return retention.save_policy(actor=roles.SYSTEM, policy=RetentionPolicy(**fields), categories=list(categories),
                                 confirm_everything=confirm)


def age(report: Report, *, days: int, field: str = "received_at") -> Report:
    """Make the report `days` old by `field` (a plain UPDATE: no signal moves anything else)."""
    Report.objects.filter(pk=report.pk).update(**{field: timezone.now() - timedelta(days=days)})
    report.refresh_from_db()
    return report
