"""Delivery reports: the status of what left, as gateways report it."""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.utils import timezone

from testigo.channels.models import Channel, OutboundMessage
from testigo.channels.types import base
from testigo.core import untrusted

Status = OutboundMessage.Status

STATUS_RANK = {Status.QUEUED: 0, Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3}


def record_status(*, channel: Channel, update: base.StatusUpdate) -> OutboundMessage | None:
    """Apply a delivery report. Reports arrive late and out of order: never move a status backwards."""
    update = dataclasses.replace(update, provider_id=untrusted.without_nul(str(update.provider_id)),
                                 error=untrusted.without_nul(str(update.error)),
                                 code=untrusted.without_nul(str(update.code)))
    with transaction.atomic():
        rows = OutboundMessage.objects.select_for_update().filter(channel=channel)
        if update.by_outbox_id:
            outbox_id = update.provider_id
            # ASCII digits that fit a bigint: int() of 5,000 digits raises, and so does the database.
            fits = outbox_id.isascii() and outbox_id.isdigit() and len(outbox_id) <= 18
            rows = rows.filter(pk=int(outbox_id)) if fits else rows.none()
        else:
            rows = rows.filter(provider_id=update.provider_id)
        outbound = rows.first()
        if outbound is None or STATUS_RANK[update.status] <= STATUS_RANK[outbound.status]:
            return outbound
        outbound.status = update.status
        fields = ["status"]
        if update.status == Status.DELIVERED:
            outbound.delivered_at, fields = timezone.now(), fields + ["delivered_at"]
        if update.error:
            outbound.error, fields = update.error[:500], fields + ["error"]
        if update.status == Status.FAILED:
            outbound.error_code, fields = update.code[:40], fields + ["error_code"]
        outbound.save(update_fields=fields)
        if update.status == Status.FAILED and update.code:
            from testigo.channels import outbox

            outbox.refused(outbound, update.code)
    return outbound

