"""Sending the outbox: claim one row at a time, respect each channel's rate, retry with backoff.

Claims are conditional UPDATEs, so two workers (threads or processes) never hold the same row.
The per-channel rate limit is a timestamp on the channel row (`next_send_at`), read and advanced
under a row lock in the claiming transaction: every process sees the same budget. A worker that
dies mid-send leaves its row in `sending`; after LEASE the row is claimed again, so a crash
re-sends at most the message that was in flight.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from testigo.channels.models import Channel, OutboundMessage
from testigo.channels.types import all_types, base
from testigo.channels.types import get as get_type

log = logging.getLogger(__name__)
Status = OutboundMessage.Status
LEASE = timedelta(minutes=5)


def _claimable(now, channel_id: int | None, include_pull: bool = False):
    pull = [] if include_pull else [code for code, t in all_types().items() if t.pull]
    rows = OutboundMessage.objects.filter(
        Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=now - LEASE),
        channel__is_active=True,
    ).exclude(channel__type__in=pull)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    return rows.order_by("next_attempt_at", "id")


def claim(*, channel_id: int | None = None, include_pull: bool = False) -> tuple[OutboundMessage | None, float | None]:
    """Claim the next sendable row (`include_pull`: also for channels that send from their own
    session, e.g. SMPP, which claims only its own channel's rows). Returns (row, None), or (None, seconds until a rate slot frees)
    when rows wait only for their channel's rate, or (None, None) when there is nothing to send."""
    now = timezone.now()
    wait: float | None = None
    with transaction.atomic():
        for candidate in _claimable(now, channel_id, include_pull)[:50]:
            channel = Channel.objects.select_for_update().get(pk=candidate.channel_id)
            if channel.next_send_at and channel.next_send_at > now:
                gap = (channel.next_send_at - now).total_seconds()
                wait = gap if wait is None else min(wait, gap)
                continue
            won = OutboundMessage.objects.filter(
                pk=candidate.pk, status=candidate.status, claimed_at=candidate.claimed_at,
            ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
            if not won:
                continue
            rate = channel.rate_per_second if channel.rate_per_second > 0 else 1.0
            channel.next_send_at = max(channel.next_send_at or now, now) + timedelta(seconds=1 / rate)
            channel.save(update_fields=["next_send_at"])
            return OutboundMessage.objects.select_related("channel", "contact").get(pk=candidate.pk), None
    return None, wait


def deliver(message: OutboundMessage) -> OutboundMessage:
    """Send one claimed row through its type and record the outcome."""
    channel_type = get_type(message.channel.type)
    now = timezone.now()
    opted_out_at = message.contact.opted_out_at
    if opted_out_at is not None and message.created_at < opted_out_at:
        # Queued before the person wrote STOP: honour the opt-out (their confirmation comes later).
        return finish(message, status=Status.FAILED, error="the contact opted out")
    try:
        if channel_type is None:
            raise base.PermanentError(f"unknown channel type {message.channel.type!r}")
        result = channel_type.send(message.channel, message)
    except base.PermanentError as exc:
        return finish(message, status=Status.FAILED, error=str(exc))
    except Exception as exc:  # temporary by default: a bug or outage should not lose the message
        if not isinstance(exc, base.TemporaryError):
            log.exception("channel %s: unexpected error while sending", message.channel_id)
        return retry_later(message, str(exc))
    return finish(message, status=result.status, provider_id=result.provider_id, sent_at=now, error="")


def retry_later(message: OutboundMessage, error: str) -> OutboundMessage:
    """A temporary failure: back off exponentially, or give up after CHANNEL_MAX_ATTEMPTS."""
    if message.attempts >= settings.CHANNEL_MAX_ATTEMPTS:
        return finish(message, status=Status.FAILED, error=error)
    delay = settings.CHANNEL_RETRY_BASE_SECONDS * (2 ** (message.attempts - 1))
    return finish(message, status=Status.QUEUED, error=error,
                  next_attempt_at=timezone.now() + timedelta(seconds=delay))


def finish(message: OutboundMessage, **fields) -> OutboundMessage:
    fields["error"] = (fields.get("error") or "")[:500]
    # Only the claimer may finish: a delivery report may already have moved the row on.
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(**fields)
    message.refresh_from_db()
    return message


def dispatch(*, channel_id: int | None = None, max_messages: int = 500, max_seconds: float = 50) -> int:
    """Send queued messages until none is due, `max_messages` were sent or time is up."""
    sent, deadline = 0, time.monotonic() + max_seconds
    while sent < max_messages and time.monotonic() < deadline:
        message, wait = claim(channel_id=channel_id)
        if message is None:
            if wait is None:
                break
            time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            continue
        deliver(message)
        sent += 1
    return sent
