"""What queues webhook deliveries: reports published, verified or updated, alerts sent. Each
receiver runs after the change committed and never lets a webhook problem reach the change."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from testigo.alerts.models import Alert
from testigo.core import roles
from testigo.reports import exporters
from testigo.reports.models import Report
from testigo.reports.selectors import public_base, public_values
from testigo.reports.signals import report_published, report_updated, report_verified
from testigo.webhooks import events

log = logging.getLogger(__name__)


def public_payload(report_id: int) -> dict | None:
    """The report as anyone may read it (the API's public row), or None if it is not public."""
    row = public_values(public_base().filter(pk=report_id)).first()
    if row is None:
        return None
    slugs = exporters._category_slugs([report_id])[report_id]
    out = exporters.public_row(row, slugs)
    out.pop("when", None)  # a display string in the request's language: not data
    return out


def staff_payload(report_id: int) -> dict | None:
    """The staff row (status, exact location, visibility), never the reporter's name or contact."""
    row = next(exporters.staff_rows(Report.objects.filter(pk=report_id), with_contact=False), None)
    if row is not None:
        row.pop("when", None)
    return row


def _emit(event: str, public, staff) -> None:
    from testigo.webhooks import services

    try:
        services.emit(event, public=public, staff=staff)
    except Exception:  # a webhook must never undo or break what happened
        log.exception("webhooks: could not queue %s", event)


def _report_event(event: str, report_id: int, *, public_too: bool = True) -> None:
    public = public_payload(report_id) if public_too else None
    _emit(event, public, staff_payload(report_id))


@receiver(report_published, dispatch_uid="webhooks.report_published")
def on_published(sender, report, **kwargs) -> None:
    _report_event(events.REPORT_PUBLISHED, report.pk)


@receiver(report_verified, dispatch_uid="webhooks.report_verified")
def on_verified(sender, report, **kwargs) -> None:
    _report_event(events.REPORT_VERIFIED, report.pk)


@receiver(report_updated, dispatch_uid="webhooks.report_updated")
def on_updated(sender, report, fields=(), **kwargs) -> None:
    # Public-level webhooks hear of an edit only when it changed what the public reads: an edit
    # of staff fields must not time staff's work for outsiders (reports/public_changes.py).
    _report_event(events.REPORT_UPDATED, report.pk, public_too=bool(set(fields) & roles.PUBLIC_FACING))


def alert_payload(alert: Alert) -> dict:
    """What subscribers were told, and where (public or coarse locations only)."""
    report = None
    if alert.report_id:
        report = public_base().filter(pk=alert.report_id).values_list("reference", flat=True).first()
    return {"id": alert.pk, "kind": alert.kind, "message_es": alert.message_es, "message_en": alert.message_en,
            "sent_at": alert.sent_at, "lat": alert.lat, "lon": alert.lon, "radius_m": alert.radius_m,
            "category": alert.category.slug if alert.category_id else None, "report": report}


@receiver(post_save, sender=Alert, dispatch_uid="webhooks.alert_saved")
def on_alert_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw or instance.status != Alert.Status.SENT:
        return
    if not created and (update_fields is None or "status" not in update_fields):
        return
    alert_id = instance.pk

    def queue() -> None:
        alert = Alert.objects.filter(pk=alert_id).select_related("category").first()
        if alert is not None:
            payload = alert_payload(alert)
            _emit(events.ALERT_SENT, payload, payload)

    transaction.on_commit(queue)
