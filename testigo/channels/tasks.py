"""Background jobs (Huey): process stored inbound messages, send the outbox, catch up periodically."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from testigo.channels import outbox, processing
from testigo.channels.models import Channel, InboundMessage
from testigo.channels.types import all_types

log = logging.getLogger(__name__)


@db_task()
def process_inbound_task(message_id: int) -> None:
    processing.process_inbound(message_id=message_id)


@db_task()
def drain_inbound_task() -> int:
    return processing.drain_inbound()


@db_task()
def send_outbox_task(channel_id: int | None = None) -> int:
    return outbox.send_due(channel_id=channel_id, max_seconds=20)


@db_task()
def send_bulk_task(channel_id: int) -> int:
    """Send in batches for up to 50 s, then hand over to a fresh job while rows remain due, so a
    100,000-person broadcast on a slow channel neither blocks a worker forever nor stalls."""
    sent = outbox.send_bulk(channel_id=channel_id, max_seconds=50)
    if outbox.has_due(channel_id=channel_id):
        send_bulk_task(channel_id)
    return sent


@db_periodic_task(crontab(minute="*"))
def catch_up() -> None:
    """Process what a crash left unprocessed and send what is due (retries included)."""
    stale = timezone.now() - timedelta(seconds=30)
    for pk in InboundMessage.objects.filter(processed_at__isnull=True, received_at__lt=stale).values_list(
            "pk", flat=True)[:500]:
        processing.process_inbound(message_id=pk)
    outbox.send_due(max_seconds=50)


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> int:
    """Read every polled channel (e-mail); one failing mailbox does not stop the others."""
    polled = [code for code, t in all_types().items() if hasattr(t, "poll")]
    total = 0
    for channel in Channel.objects.filter(is_active=True, type__in=polled):
        try:
            total += all_types()[channel.type].poll(channel)
        except Exception:
            log.exception("channel %s: polling failed", channel.pk)
    return total


@db_task()
def fetch_media_task(inbound_media_id: int) -> None:
    from testigo.channels import media

    media.fetch(inbound_media_id)


@db_periodic_task(crontab(minute="*"))
def fetch_media_due() -> int:
    """Attachments whose provider failed earlier, or whose job was lost, when their time comes."""
    from testigo.channels import media

    return media.fetch_due()
