"""The outbox, the one queue of every message that leaves (replies, alerts, broadcasts), and the
one way out of it.

Adding: `queue` (one message: replies, confirmations) and `queue_many` (one text to many people:
alerts and broadcasts, bulk-inserted). Neither queues for a contact who opted out, except the
confirmation of a STOP. Sending: `claim`/`claim_batch` (below), `send_due` (push workers) and
`send_bulk` (the same in batches over parallel connections, for broadcasts).

Claims are conditional UPDATEs under a lock on the channel row, so two workers (threads or
processes) never hold the same row. The per-channel rate limit is a timestamp on the channel row
(`next_send_at`), read and advanced in the claiming transaction: every process sees the same
budget. A claim takes one row (replies: `send_due()`), or up to one second's budget of a channel's
rows at once (alerts to thousands: `send_bulk()`), sent over parallel connections.

Every send-time rule is applied here, in the claim, for push gateways and for gateways that
poll (SMSSync's phone, the SMPP session) alike: a row is handed to a channel type only if it is
due, its channel is active, its channel's rate allows it, and its contact has not opted out (such a
row is marked failed, "the contact opted out", and never handed out; the one exception is the
confirmation of their STOP). Types only format and transmit.

Crashes: every outcome is recorded as soon as its send returns, and a worker thread starts its
next send only after the previous outcome is recorded. Rows claimed but not yet sent when a
worker dies stay `sending`; after LEASE they are claimed again. So a crash re-sends at most the
one message each sending thread had in flight.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from testigo.channels import encoding, keywords
from testigo.channels.models import Channel, Contact, OutboundMessage
from testigo.channels.types import all_types, base
from testigo.channels.types import get as get_type
from testigo.core import roles

log = logging.getLogger(__name__)
Status = OutboundMessage.Status
LEASE = timedelta(minutes=5)
BULK_BATCH = 1000  # rows claimed at once by send_bulk (bounded by one second of the channel's rate)
BULK_PARALLEL = 16  # simultaneous requests to one gateway
INSERT_BATCH = 500  # rows per INSERT: 15 parameters each stays far below SQLite's 32,766-variable limit
OPTED_OUT = "the contact opted out"
# An opted-out person gets only the confirmation of their STOP. Not "rows queued before the STOP":
# a broadcast that read its recipients just before a STOP committed inserts rows younger than the
# opt-out. (Writing any other keyword clears the opt-out, so what they ask for afterwards leaves.)
WITHHELD = Q(contact__opted_out_at__isnull=False) & ~Q(in_reply_to__keyword=keywords.STOP)


@dataclass(frozen=True)
class Outgoing:
    """One message of a `queue_many` call."""

    channel_id: int
    contact_id: int
    text: str
    template: dict | None = None  # how to send it where only templates may go (OutboundMessage.template)


def queue(*, channel: Channel, contact: Contact, text: str, report=None, in_reply_to=None, actor=None,
          force: bool = False, template: dict | None = None) -> OutboundMessage | None:
    """Put one message in the outbox (None if the contact opted out; `force`: the confirmation of
    their STOP). Workers send it after commit. `template`: see OutboundMessage.template."""
    if contact.opted_out_at is not None and not force:
        return None
    text, info = _prepared(channel, text)
    outbound = OutboundMessage.objects.create(
        channel=channel, contact=contact, text=text, next_attempt_at=timezone.now(), report=report,
        in_reply_to=in_reply_to, created_by=roles.person(actor), segments=info.segments, encoding=info.encoding,
        template=template or {},
    )
    transaction.on_commit(lambda: _start_sending({channel.pk}, bulk=False))
    return outbound


def queue_many(*, messages: Iterable[Outgoing], report_id: int | None = None,
               actor_id: int | None = None) -> dict[int, int]:
    """Put many messages in the outbox at once (alerts, broadcasts): at most one per contact.
    Contacts who opted out and inactive channels are left out. Returns {contact id: outbox id}
    of what was queued; sending starts, in batches, after the caller's transaction commits.

    Rows go in with one INSERT … RETURNING per INSERT_BATCH rows (SQLite >= 3.35, PostgreSQL):
    bulk_create's per-field preparation costs ~10x the database's own work here, and a
    100,000-person broadcast must be queued in seconds (bench/bench_alerts.py, alerts_queue_broadcast).
    """
    messages = list(messages)
    if len({m.contact_id for m in messages}) != len(messages):
        raise ValueError("queue_many: at most one message per contact")
    channels = Channel.objects.in_bulk({m.channel_id for m in messages})
    prepared: dict[tuple[int, str], tuple[str, encoding.SegmentInfo]] = {}
    now = timezone.now()
    queued: dict[int, int] = {}
    for start in range(0, len(messages), INSERT_BATCH):
        chunk = messages[start:start + INSERT_BATCH]
        opted_out = set(Contact.objects.filter(pk__in=[m.contact_id for m in chunk], opted_out_at__isnull=False)
                        .values_list("pk", flat=True))
        rows = []
        for m in chunk:
            channel = channels.get(m.channel_id)
            if channel is None or not channel.is_active or m.contact_id in opted_out:
                continue
            key = (m.channel_id, m.text)
            if key not in prepared:
                prepared[key] = _prepared(channel, m.text)
            rows.append((m, *prepared[key], _json(m.template)))
        if rows:
            queued.update(_insert(rows, now, report_id, actor_id))
    used = {m.channel_id for m in messages if m.contact_id in queued}
    transaction.on_commit(lambda: _start_sending(used, bulk=True))
    return queued


OUTBOUND_COLUMNS = ("channel_id", "contact_id", "text", "status", "attempts", "next_attempt_at", "provider_id",
                    "error", "report_id", "created_by_id", "segments", "encoding", "created_at", "template",
                    "error_code")


@functools.lru_cache(maxsize=4096)
def _json_of(key: str):
    return OutboundMessage._meta.get_field("template").get_db_prep_save(json.loads(key), connection)


def _json(template: dict | None):
    """The database form of a row's `template` (alerts repeat a few distinct ones thousands of times)."""
    return _json_of(json.dumps(template, sort_keys=True) if template else "{}")


def _insert(rows: list[tuple[Outgoing, str, encoding.SegmentInfo, object]], now, report_id,
            actor_id) -> dict[int, int]:
    """One INSERT … RETURNING; {contact id: outbox id} (RETURNING does not promise row order)."""
    when = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    row = "(" + ", ".join(["%s"] * len(OUTBOUND_COLUMNS)) + ")"
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in OUTBOUND_COLUMNS)}) VALUES "
           + ", ".join([row] * len(rows)) + " RETURNING id, contact_id")
    params: list = []
    for m, text, info, template in rows:
        params += [m.channel_id, m.contact_id, text, Status.QUEUED, 0, when, "", "", report_id, actor_id,
                   info.segments, info.encoding, when, template, ""]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {contact_id: pk for pk, contact_id in cursor.fetchall()}


def _prepared(channel: Channel, text: str) -> tuple[str, encoding.SegmentInfo]:
    """The text as the channel's type will send it (e.g. transliterated), and its segment count."""
    channel_type = get_type(channel.type)
    text = channel_type.prepare_text(channel, text) if channel_type else text
    return text, encoding.count(text)


def _start_sending(channel_ids: set[int], *, bulk: bool) -> None:
    """Ask a worker to send; the periodic job catches up when the queue is unreachable."""
    from testigo.channels import tasks

    for channel_id in sorted(channel_ids):
        try:
            (tasks.send_bulk_task if bulk else tasks.send_outbox_task)(channel_id)
        except Exception:  # the rows are queued; the periodic job will send them
            log.exception("could not queue sending for channel %s", channel_id)


def withdraw(*, ids: Iterable[int], reason: str) -> int:
    """Fail the given rows that no worker has claimed yet (a cancelled alert); returns how many."""
    # The status condition makes this safe against a worker claiming a row at the same moment.
    return OutboundMessage.objects.filter(pk__in=list(ids), status=Status.QUEUED).update(
        status=Status.FAILED, error=reason[:500])


def _claimable(now, channel_id: int | None, include_pull: bool = False):
    """Rows due for sending: queued and due, or claimed by a worker that died (lease expired)."""
    pull = [] if include_pull else [code for code, t in all_types().items() if t.pull]
    rows = OutboundMessage.objects.filter(
        Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=now - LEASE),
        channel__is_active=True,
    ).exclude(channel__type__in=pull)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    return rows.order_by("next_attempt_at", "id")


def claim_batch(*, channel_id: int | None = None, limit: int = 1, include_pull: bool = False,
                budget_s: float = 1.0) -> tuple[list[OutboundMessage], float | None]:
    """Claim up to `limit` due rows of one channel, at most `budget_s` seconds of its rate.

    `channel_id` None: the channel of the earliest due row whose rate allows a send.
    `include_pull`: also channels that send from their own session or phone (SMPP, SMSSync).
    `budget_s`: a phone that polls takes a poll interval's worth, a push worker one second's.
    Returns (rows, None); or ([], seconds until a rate slot frees) when due rows wait only for
    their channel's rate; or ([], None) when nothing is due.
    """
    now = timezone.now()
    wait_s: float | None = None
    with transaction.atomic():
        channel_ids = list(dict.fromkeys(
            _claimable(now, channel_id, include_pull).values_list("channel_id", flat=True)[:50]))
        for candidate in channel_ids:
            channel = Channel.objects.select_for_update().get(pk=candidate)
            if channel.next_send_at and channel.next_send_at > now:
                gap = (channel.next_send_at - now).total_seconds()
                wait_s = gap if wait_s is None else min(wait_s, gap)
                continue
            rate = channel.rate_per_second if channel.rate_per_second > 0 else 1.0
            rows = _claim_rows(now, candidate, include_pull, size=max(1, min(limit, int(rate * budget_s))))
            if not rows:
                continue
            channel.next_send_at = max(channel.next_send_at or now, now) + timedelta(seconds=len(rows) / rate)
            channel.save(update_fields=["next_send_at"])
            return rows, None
    return [], wait_s


def _claim_rows(now, channel_id: int, include_pull: bool, *, size: int) -> list[OutboundMessage]:
    """Claim up to `size` due rows of a locked channel, leaving out (and failing) those that may
    no longer be sent."""
    while True:
        ids = list(_claimable(now, channel_id, include_pull).values_list("id", flat=True)[:size])
        if not ids:
            return []
        withheld = _withhold(ids)
        ids = [pk for pk in ids if pk not in withheld]
        if not ids:
            continue  # every row looked at was withheld (and is no longer claimable): look further
        # Conditional: a row another worker claimed meanwhile no longer matches.
        OutboundMessage.objects.filter(
            Q(status=Status.QUEUED) | Q(status=Status.SENDING, claimed_at__lt=now - LEASE), pk__in=ids,
        ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        return list(OutboundMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
                    .select_related("channel", "contact").order_by("next_attempt_at", "id"))


def _withhold(ids: list[int]) -> set[int]:
    """The send-time rules: of the rows about to be claimed, fail those that may no longer be sent
    (their contact opted out) and return their ids."""
    stopped = set(OutboundMessage.objects.filter(WITHHELD, pk__in=ids).values_list("id", flat=True))
    if stopped:
        OutboundMessage.objects.filter(pk__in=stopped, status__in=[Status.QUEUED, Status.SENDING]).update(
            status=Status.FAILED, error=OPTED_OUT)
    return stopped


def claim(*, channel_id: int | None = None, include_pull: bool = False) -> tuple[OutboundMessage | None, float | None]:
    """Claim the next sendable row: (row, None), (None, seconds to wait for a rate slot) or (None, None)."""
    rows, wait_s = claim_batch(channel_id=channel_id, limit=1, include_pull=include_pull)
    return (rows[0] if rows else None), wait_s


def attempt(message: OutboundMessage):
    """Send one claimed row through its type, without touching the database (safe in any thread).
    Returns the type's SendResult, or the exception that says how it failed. Whether the row may
    be sent at all was decided by the claim."""
    channel_type = get_type(message.channel.type)
    try:
        if channel_type is None:
            raise base.PermanentError(f"unknown channel type {message.channel.type!r}")
        return channel_type.send(message.channel, message)
    except Exception as exc:  # classified by record()
        return exc


def record(message: OutboundMessage, outcome, *, sent_at=None) -> OutboundMessage:
    """Record what `attempt` returned: sent, failed for good, or retried later with backoff."""
    if isinstance(outcome, base.SendResult):
        return finish(message, status=outcome.status, provider_id=outcome.provider_id[:200],
                      sent_at=sent_at or timezone.now(), error="")
    if isinstance(outcome, base.PermanentError):
        code = str(getattr(outcome, "code", "") or "")[:40]
        message = finish(message, status=Status.FAILED, error=str(outcome), error_code=code)
        if code and message.status == Status.FAILED and message.error_code == code:
            refused(message, code)
        return message
    # Temporary by default: a bug or an outage should not lose the message.
    if not isinstance(outcome, base.TemporaryError):
        log.error("channel %s: unexpected error while sending: %r", message.channel_id, outcome)
    return retry_later(message, str(outcome))


def deliver(message: OutboundMessage) -> OutboundMessage:
    """Send one claimed row through its type and record the outcome."""
    sent_at = timezone.now()
    return record(message, attempt(message), sent_at=sent_at)


def retry_later(message: OutboundMessage, error: str) -> OutboundMessage:
    """A temporary failure: back off exponentially, or give up after CHANNEL_MAX_ATTEMPTS."""
    if message.attempts >= settings.CHANNEL_MAX_ATTEMPTS:
        return finish(message, status=Status.FAILED, error=error)
    delay = settings.CHANNEL_RETRY_BASE_SECONDS * (2 ** (message.attempts - 1))
    return finish(message, status=Status.QUEUED, error=error,
                  next_attempt_at=timezone.now() + timedelta(seconds=delay))


def refused(message: OutboundMessage, code: str) -> None:
    """Let the row's type act on a refusal with `code` (WhatsApp: send it again as a template).
    A bug there must not undo the recorded failure: logged, in its own savepoint."""
    channel_type = get_type(message.channel.type)
    if channel_type is None:
        return
    try:
        with transaction.atomic():
            channel_type.on_refused(message.channel, message, code)
    except Exception:
        log.exception("channel %s: handling refusal %s of outbox row %s failed", message.channel_id, code, message.pk)


def finish(message: OutboundMessage, **fields) -> OutboundMessage:
    fields["error"] = (fields.get("error") or "")[:500]
    fields.setdefault("error_code", "")
    # Only the claimer may finish: a delivery report may already have moved the row on.
    if OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(**fields):
        for name, value in fields.items():
            setattr(message, name, value)
    else:
        message.refresh_from_db()
    return message


def confirm_sent(*, channel_id: int, provider_ids: list[str]) -> list[str]:
    """A gateway that sends from its own phone confirms what it sent (SMSSync's task=sent): its
    rows still `sending` become sent. Returns which of `provider_ids` are this channel's."""
    rows = OutboundMessage.objects.filter(channel_id=channel_id, provider_id__in=provider_ids)
    known = list(rows.values_list("provider_id", flat=True))
    rows.filter(status=Status.SENDING).update(status=Status.SENT, sent_at=timezone.now())
    return known


def record_sent(results: list[tuple[OutboundMessage, base.SendResult, object]]) -> None:
    """Record several successful sends in one transaction: (row, result, sent_at) each. Only rows
    still `sending`: a delivery report may already have moved a row on."""
    table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    params = [(r.status, r.provider_id[:200], connection.ops.adapt_datetimefield_value(at), m.pk, Status.SENDING)
              for m, r, at in results]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET status = %s, provider_id = %s, sent_at = %s, error = '', "
                           "error_code = '' "
                           "WHERE id = %s AND status = %s", params)
    for message, result, at in results:
        message.status, message.provider_id, message.sent_at, message.error, message.error_code = (
            result.status, result.provider_id[:200], at, "", "")


def _send_parallel(rows: list[OutboundMessage], pool: ThreadPoolExecutor, parallel: int) -> None:
    """Send claimed rows over `parallel` connections. Outcomes are recorded here, in the calling
    thread (one database connection), as soon as their sends return (those that return together,
    in one transaction); a slot takes its next row only then, so at most `parallel` messages are
    ever sent but not yet recorded."""
    todo, running = deque(rows), {}
    while todo or running:
        while todo and len(running) < parallel:
            row = todo.popleft()
            running[pool.submit(attempt, row)] = (row, timezone.now())
        done, _pending = wait(running, return_when=FIRST_COMPLETED)
        sent = []
        for future in done:
            row, started = running.pop(future)
            outcome = future.result()
            if isinstance(outcome, base.SendResult):
                sent.append((row, outcome, started))
            else:
                record(row, outcome)
        if sent:
            record_sent(sent)


def send_due(*, channel_id: int | None = None, max_messages: int = 500, max_seconds: float = 50,
             batch: int = 1, parallel: int = 1) -> int:
    """Send due messages until none is due, `max_messages` were sent or time is up.

    `batch` > 1 claims up to that many rows of a channel at once (bounded by one second of its
    rate) and sends them over `parallel` connections: for alerts to many people.
    """
    sent, deadline = 0, time.monotonic() + max_seconds
    pool = ThreadPoolExecutor(parallel) if parallel > 1 else None
    try:
        while sent < max_messages and time.monotonic() < deadline:
            rows, wait_s = claim_batch(channel_id=channel_id, limit=min(batch, max_messages - sent))
            if not rows:
                if wait_s is None:
                    break
                time.sleep(min(wait_s, max(0.0, deadline - time.monotonic())))
                continue
            if pool is None or len(rows) == 1:
                for row in rows:
                    deliver(row)
            else:
                _send_parallel(rows, pool, parallel)
            sent += len(rows)
    finally:
        if pool is not None:
            pool.shutdown()
    return sent


def send_bulk(*, channel_id: int, max_messages: int = 100_000, max_seconds: float = 50) -> int:
    """Send a channel's due rows in batches at its rate (alerts to thousands) until none is due,
    or limits are reached."""
    return send_due(channel_id=channel_id, max_messages=max_messages, max_seconds=max_seconds,
                    batch=BULK_BATCH, parallel=BULK_PARALLEL)


def has_due(*, channel_id: int | None = None) -> bool:
    """Whether rows are due for sending now (on `channel_id`, or on any channel)."""
    return _claimable(timezone.now(), channel_id).exists()
