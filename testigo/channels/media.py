"""Attachments of inbound messages, on their way to the report.

The webhook only stores what the provider says about a file (channels.inbound: the type's
`Attachment`s). When the message is processed and joins a report, each attachment becomes an
`InboundMedia` row and a job. The worker fetches the bytes from the provider (the type's
`fetch_media`: Telegram getFile, WhatsApp's media endpoint, Twilio's MediaUrl, the stored
e-mail…), checks and cleans them by their content (reports.avmedia: images re-encoded, audio and
video transcoded by ffmpeg without metadata, documents through mat2) and stores the clean copy as
the report's media, with the sha256 of the original.

Never in the webhook's request: a burst of photos costs the webhook what a burst of texts does
(bench/bench_inbound_media.py). A provider that fails is tried again with growing pauses; a
final failure, or a file refused for what it is, stays on the report with its reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from testigo.channels.inbound import extras_of
from testigo.channels.models import InboundMedia
from testigo.channels.types import base
from testigo.channels.types import get as get_type
from testigo.core import audit

log = logging.getLogger(__name__)
# Pauses before the next attempt after a temporary failure: about a day in all. WhatsApp media
# ids live 7 days, Telegram file ids as long as the file; a Twilio media URL until deleted.
RETRY_PAUSES = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                timedelta(hours=3), timedelta(hours=6), timedelta(hours=12)]
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1
# A fetch in progress holds its row this long; a worker that died mid-fetch releases it then.
LEASE = timedelta(minutes=10)
ERROR_LENGTH = InboundMedia._meta.get_field("error").max_length


def attach(message, report) -> list[InboundMedia]:
    """Turn the attachments of a message being processed into InboundMedia rows of `report` and
    queue their fetching once the transaction commits. Idempotent (one row per position)."""
    items = []
    for position, attachment in enumerate(extras_of(message).get("attachments") or []):
        item, _created = InboundMedia.objects.get_or_create(
            message=message, position=position,
            defaults={"report": report, "kind": str(attachment.get("kind") or "document")[:10],
                      "attachment": attachment})
        items.append(item)
    pending = [item.pk for item in items if item.status == InboundMedia.Status.PENDING]
    if pending:
        transaction.on_commit(lambda: _queue(pending))
    return items


def _queue(pks: list[int]) -> None:
    from testigo.channels import tasks

    for pk in pks:
        try:
            tasks.fetch_media_task(pk)
        except Exception:  # the row is pending: the periodic job fetches it
            log.exception("could not queue fetching inbound media %s", pk)


def fetch_due(*, limit: int = 50) -> int:
    """Fetch what is pending and due (retries, and what a lost queue left). Returns how many ran."""
    now = timezone.now()
    due = (InboundMedia.objects.filter(status=InboundMedia.Status.PENDING)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .order_by("pk").values_list("pk", flat=True)[:limit])
    done = 0
    for pk in list(due):
        fetch(pk)
        done += 1
    return done


def _claim(pk: int) -> InboundMedia | None:
    """Take the row for one attempt (no other worker may fetch it until LEASE has passed)."""
    now = timezone.now()
    claimed = (InboundMedia.objects.filter(pk=pk, status=InboundMedia.Status.PENDING)
               .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
               .update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1))
    if not claimed:
        return None
    return (InboundMedia.objects.select_related("message__channel", "message__contact", "report")
            .filter(pk=pk).first())


def fetch(pk: int) -> InboundMedia | None:
    """One attempt at fetching and storing one attachment (the worker's job)."""
    from testigo.reports import avmedia, recordings

    item = _claim(pk)
    if item is None:
        return None  # done, refused, given up, or another worker has it now
    if item.report is None:
        return _finish(item, InboundMedia.Status.FAILED, "the report was deleted")
    channel = item.message.channel
    channel_type = get_type(channel.type)
    if channel_type is None:
        return _finish(item, InboundMedia.Status.FAILED, f"unknown channel type {channel.type!r}")
    attachment = item.attachment
    try:
        fetched = channel_type.fetch_media(channel, item.message, attachment)
        clean = avmedia.sanitise_media(
            data=fetched.data, kind_hint=item.kind,
            declared_type=fetched.content_type or str(attachment.get("content_type") or ""),
            filename=fetched.filename or str(attachment.get("filename") or ""))
        poster = recordings.poster_or_nothing(clean)  # a video's still frame, as for the web form's
    except base.PermanentError as exc:
        return _finish(item, InboundMedia.Status.FAILED, str(exc))
    except ValidationError as exc:
        return _finish(item, InboundMedia.Status.REFUSED, "; ".join(exc.messages))
    except (base.TemporaryError, avmedia.ToolMissing) as exc:
        return _retry(item, str(exc))
    except Exception as exc:  # a bug or an unforeseen file: logged, retried, then shown
        log.exception("inbound media %s: unexpected failure", item.pk)
        return _retry(item, f"unexpected error ({type(exc).__name__})")
    return _store(item, clean, poster)


def _store(item: InboundMedia, clean, poster: bytes = b"") -> InboundMedia:
    from testigo.reports.photos import store_media

    with transaction.atomic():
        locked = InboundMedia.objects.select_for_update().get(pk=item.pk)
        if locked.status != InboundMedia.Status.PENDING:
            return locked
        media = store_media(report=item.report, clean=clean, poster=poster)
        audit.record(action="report.media_added", obj=item.report,
                     data={"sha256": clean.sha256, "processed_sha256": media.processed_sha256, "kind": clean.kind,
                           "source": item.message.channel.type,
                           "inbound_message": item.message_id})
        locked.status, locked.media, locked.error, locked.next_attempt_at = (
            InboundMedia.Status.STORED, media, "", None)
        locked.save(update_fields=["status", "media", "error", "next_attempt_at", "updated_at"])
    _release_if_done(item)
    return locked


def _retry(item: InboundMedia, reason: str) -> InboundMedia:
    if item.attempts >= MAX_ATTEMPTS:
        return _finish(item, InboundMedia.Status.FAILED, reason)
    pause = RETRY_PAUSES[min(item.attempts, len(RETRY_PAUSES)) - 1]
    InboundMedia.objects.filter(pk=item.pk).update(error=reason[:ERROR_LENGTH],
                                                   next_attempt_at=timezone.now() + pause)
    item.refresh_from_db()
    return item


def _finish(item: InboundMedia, status: str, reason: str) -> InboundMedia:
    InboundMedia.objects.filter(pk=item.pk).update(status=status, error=reason[:ERROR_LENGTH], next_attempt_at=None)
    if item.report is not None:
        audit.record(action="report.media_failed", obj=item.report,
                     data={"kind": item.kind, "status": status, "reason": reason[:200],
                           "inbound_message": item.message_id})
    item.refresh_from_db()
    _release_if_done(item)
    return item


def _release_if_done(item: InboundMedia) -> None:
    """When every attachment of a message is stored or refused for what it is, the type drops what
    it kept for us. A failed one keeps it: staff may try again."""
    if InboundMedia.objects.filter(message_id=item.message_id).exclude(
            status__in=[InboundMedia.Status.STORED, InboundMedia.Status.REFUSED]).exists():
        return
    channel = item.message.channel
    channel_type = get_type(channel.type)
    try:
        if channel_type is not None:
            channel_type.release_media(channel, item.message)
    except Exception:
        log.exception("inbound message %s: releasing its kept files failed", item.message_id)


def retry_now(*, item: InboundMedia, actor) -> InboundMedia:
    """Staff ask for one more attempt at a failed or waiting attachment (the provider may have
    recovered; WhatsApp media ids expire after 7 days, so sooner is better)."""
    from testigo.core import roles

    roles.require(actor, roles.EDIT)
    if item.status == InboundMedia.Status.STORED:
        return item
    InboundMedia.objects.filter(pk=item.pk).update(status=InboundMedia.Status.PENDING, next_attempt_at=None,
                                                   attempts=0)
    audit.record(action="report.media_retry", actor=actor, obj=item.report, data={"inbound_media": item.pk})
    transaction.on_commit(lambda: _queue([item.pk]))
    item.refresh_from_db()
    return item
