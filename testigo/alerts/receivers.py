"""Signal receivers: a published report and any new or changed report start a background evaluation."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from testigo.alerts.models import AlertDelivery
from testigo.channels import wa_templates
from testigo.reports.models import Report
from testigo.reports.signals import report_published

log = logging.getLogger(__name__)


@receiver(report_published, dispatch_uid="alerts.report_published")
def on_report_published(sender, report, **kwargs) -> None:
    from testigo.alerts import tasks

    _safely(tasks.report_published_task, report.pk)


@receiver(post_save, sender=Report, dispatch_uid="alerts.report_saved")
def on_report_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    """New reports (rules counting all) and status changes (rules counting verified) may cross a threshold."""

    if created or (update_fields and "status" in update_fields):
        transaction.on_commit(lambda: _safely(_queue_rules))


RULES_DEBOUNCE_S = 2.0
_next_rules_run = 0.0


def _queue_rules() -> None:
    """One evaluation per RULES_DEBOUNCE_S per process, scheduled at the end of the window so it
    counts every report of the window: an SMS flood must not queue one job per report."""
    global _next_rules_run
    from huey.contrib.djhuey import HUEY

    from testigo.alerts import tasks

    if HUEY.immediate:
        tasks.evaluate_rules_task()
        return
    now = time.monotonic()
    if now >= _next_rules_run:
        _next_rules_run = now + RULES_DEBOUNCE_S
        tasks.evaluate_rules_task.schedule(delay=RULES_DEBOUNCE_S)


def _safely(task, *args) -> None:
    try:
        task(*args)
    except Exception:  # the periodic job evaluates rules again; a report alert is worth a log line
        log.exception("alerts: could not queue %s", getattr(task, "name", task))


@receiver(wa_templates.outbound_replaced, dispatch_uid="alerts.outbound_replaced")
def on_outbound_replaced(sender, old, new, **kwargs) -> None:
    """An alert message WhatsApp refused outside its window was queued again as a template: the
    delivery follows the new row, so the alert's figures count what actually happens to it."""
    AlertDelivery.objects.filter(outbound_id=old.pk).update(outbound=new)
