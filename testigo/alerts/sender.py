"""Sending a channel's queued messages in batches, for alerts to thousands of people.

channels.outbox sends one row per claim (right for replies). An alert queues thousands at once, so
here a worker claims up to one second's budget of a channel's rows in one conditional UPDATE,
sends them over parallel connections, and records the outcomes in bulk. The rate limit is the
same shared timestamp outbox.claim uses (`Channel.next_send_at`, advanced under a row lock), so
both senders together never exceed a channel's rate, across any number of processes. STOP is
checked per row just before sending, exactly as outbox.deliver does.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from testigo.channels import outbox
from testigo.channels.models import Channel, OutboundMessage
from testigo.channels.types import base
from testigo.channels.types import get as get_type

log = logging.getLogger(__name__)
Status = OutboundMessage.Status
MAX_BATCH = 1000
MAX_PARALLEL = 16  # simultaneous HTTP requests to one gateway


def claim_batch(*, channel_id: int, limit: int = MAX_BATCH) -> tuple[list[OutboundMessage], float | None]:
    """Claim up to one second's budget of the channel's due rows: (rows, None), or ([], seconds to
    wait) while the channel's rate budget is spent, or ([], None) when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=channel_id, is_active=True).first()
        if channel is None:
            return [], None
        if channel.next_send_at and channel.next_send_at > now:
            return [], (channel.next_send_at - now).total_seconds()
        rate = channel.rate_per_second if channel.rate_per_second > 0 else 1.0
        size = max(1, min(limit, int(rate)))
        ids = list(OutboundMessage.objects.filter(channel_id=channel_id, status=Status.QUEUED,
                                                  next_attempt_at__lte=now).order_by("id")
                   .values_list("id", flat=True)[:size])
        if not ids:
            return [], None
        OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        rows = list(OutboundMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
                    .select_related("channel", "contact"))
        channel.next_send_at = max(channel.next_send_at or now, now) + timedelta(seconds=len(rows) / rate)
        channel.save(update_fields=["next_send_at"])
    return rows, None


def _send_one(message: OutboundMessage):
    opted_out_at = message.contact.opted_out_at
    if opted_out_at is not None and message.created_at < opted_out_at:
        return message, base.PermanentError("the contact opted out")
    channel_type = get_type(message.channel.type)
    try:
        if channel_type is None:
            raise base.PermanentError(f"unknown channel type {message.channel.type!r}")
        return message, channel_type.send(message.channel, message)
    except Exception as exc:  # classified by the caller, like outbox.deliver
        return message, exc


def send_batch(messages: list[OutboundMessage], pool: ThreadPoolExecutor) -> int:
    """Send claimed rows in parallel; record successes and permanent failures in bulk."""
    now = timezone.now()
    when = connection.ops.adapt_datetimefield_value(now)
    done, failed = [], []
    for message, outcome in pool.map(_send_one, messages):
        if isinstance(outcome, base.SendResult):
            done.append((outcome.status, outcome.provider_id[:200], when, message.pk))
        elif isinstance(outcome, base.PermanentError):
            failed.append((str(outcome)[:500], message.pk))
        else:
            if not isinstance(outcome, base.TemporaryError):
                log.error("channel %s: unexpected error while sending: %r", message.channel_id, outcome)
            outbox.retry_later(message, str(outcome))
    table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    # Only rows still "sending": a delivery report may already have moved a row on.
    with transaction.atomic(), connection.cursor() as cursor:
        if done:
            cursor.executemany(f"UPDATE {table} SET status = %s, provider_id = %s, sent_at = %s, error = '' "
                               "WHERE id = %s AND status = 'sending'", done)
        if failed:
            cursor.executemany(f"UPDATE {table} SET status = 'failed', error = %s WHERE id = %s AND status = 'sending'",
                               failed)
    return len(messages)


def dispatch(*, channel_id: int, max_messages: int = 100_000, max_seconds: float = 50) -> int:
    """Send the channel's due rows in batches at its rate until none is due, or limits are reached."""
    sent, deadline = 0, time.monotonic() + max_seconds
    with ThreadPoolExecutor(MAX_PARALLEL) as pool:
        while sent < max_messages and time.monotonic() < deadline:
            rows, wait = claim_batch(channel_id=channel_id, limit=min(MAX_BATCH, max_messages - sent))
            if not rows:
                if wait is None:
                    break
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                continue
            sent += send_batch(rows, pool)
    return sent


def has_due(*, channel_id: int) -> bool:
    """Whether the channel still has queued rows whose time has come."""
    return OutboundMessage.objects.filter(channel_id=channel_id, status=Status.QUEUED, channel__is_active=True,
                                          next_attempt_at__lte=timezone.now()).exists()
