"""When duplicate candidates are looked for: after a new report commits, in the worker.

Every path that creates reports ends in create_report (a post_save with created=True: the form,
the channels, the API, the tip line, ODK) or in bulk.insert_reports (imports), which calls
queue() itself. The check never runs inside the request or webhook that received the report,
and a failure to queue it is logged, never raised: a report is never refused for it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)

# An import's ids are checked in jobs of this many reports, so one job stays short.
BATCH = 500


def queue(report_ids: list[int]) -> None:
    """Check these reports once the current transaction commits."""
    if report_ids:
        ids = list(report_ids)
        transaction.on_commit(lambda: _send(ids))


def _send(ids: list[int]) -> None:
    from testigo.reports import tasks

    for start in range(0, len(ids), BATCH):
        try:
            tasks.find_duplicates(report_ids=ids[start:start + BATCH])
        except Exception:  # the queue is down, or (immediate mode) the check failed: log only
            log.exception("duplicates: could not queue the check of %d reports", len(ids))


def _on_report_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        queue([instance.pk])


def connect_signals() -> None:
    from testigo.reports.models import Report

    post_save.connect(_on_report_saved, sender=Report, dispatch_uid="reports.duplicate_checks")
