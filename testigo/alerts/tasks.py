"""Background jobs (Huey): evaluate a published report, evaluate rules after reports and periodically."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from testigo.alerts import rules, services


@db_task()
def report_published_task(report_id: int) -> None:
    # Rules are evaluated by the report's post_save receiver (publishing changes its status).
    services.alert_for_published_report(report_id=report_id)


@db_task()
def evaluate_rules_task() -> int:
    return rules.evaluate_all()


@db_periodic_task(crontab(minute="*/5"))
def evaluate_rules_periodically() -> int:
    return rules.evaluate_all()
