"""Every write to channels: store inbound, process it, queue replies, record statuses, manage channels.

Inbound messages are stored in their own short transaction before the gateway is answered, so an
acknowledged message is never lost; processing (keywords, reports, replies) runs afterwards, in
a job, and is idempotent.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from testigo.channels import addresses, contacts, encoding, keywords, replies
from testigo.channels.models import (
    Channel,
    Contact,
    Conversation,
    InboundMessage,
    InboundRejected,
    OutboundMessage,
)
from testigo.channels.types import base
from testigo.channels.types import get as get_type
from testigo.core import audit, roles, untrusted
from testigo.reports import services as report_services

log = logging.getLogger(__name__)
Status = OutboundMessage.Status
MAX_ADDRESS_LENGTH = Contact._meta.get_field("address").max_length
# A payload we could not read is kept for an admin to inspect, but bounded: without these limits
# anyone who knows a webhook URL (no secret needed to be rejected) could fill the disk.
REJECTED_SAMPLE_BYTES = 4096  # the first 4 KB of a body or query show what went wrong
REJECTED_SAMPLES_PER_HOUR = 20  # per channel; beyond that only Channel.rejected_not_kept counts
TRUNCATED = "\n[… truncated by Testigo: the payload was longer]"
SECRET_KEYS = {"secret", "key", "token", "password", "pass", "apikey", "api_key", "sig", "hub.verify_token"}


def receive(*, channel: Channel, inbound: base.Inbound) -> InboundMessage:
    """Store one inbound message (and its contact) durably and idempotently, then queue processing.

    A retry of the same (channel, provider_id) returns the stored row and queues nothing. This is
    the webhook's hot path (bench/bench_inbound.py): a few prepared statements in one short write
    transaction, without the ORM's query compilation (which cost more than the whole commit).
    """
    inbound = _storable(inbound)
    address = contacts.normalise(inbound.scheme, inbound.address)
    if len(address) > MAX_ADDRESS_LENGTH:
        raise base.Malformed(f"the sender's address is longer than {MAX_ADDRESS_LENGTH} characters")
    now = timezone.now()
    provider_id = inbound.provider_id[:200]
    sql = _store_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.find_contact, [inbound.scheme, address])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(sql.insert_contact, [inbound.scheme, address, inbound.name[:200], inbound.language[:2],
                                                None, sql.when(now)])
            row = cursor.fetchone() or _refetch(cursor, sql.find_contact, [inbound.scheme, address])
        contact_id = row[0]
        cursor.execute(sql.insert_message, [channel.pk, provider_id, contact_id, inbound.text, sql.when(inbound.sent_at),
                                            sql.when(now), sql.raw(inbound.raw), None, "", None, None])
        inserted = cursor.fetchone()
    if inserted is None:  # a retry: the gateway gets the same answer, nothing new is queued
        return InboundMessage.objects.get(channel=channel, provider_id=provider_id)
    message = InboundMessage(pk=inserted[0], channel=channel, provider_id=provider_id, contact_id=contact_id,
                             text=inbound.text, sent_at=inbound.sent_at, received_at=now, raw=inbound.raw)
    _queue_processing(message.pk)
    return message


def _storable(inbound: base.Inbound) -> base.Inbound:
    """The message as every back end can store it: a NUL (which PostgreSQL refuses) becomes U+FFFD
    in every field, so the message is kept and acknowledged instead of failing on every retry."""
    fields = {"provider_id": inbound.provider_id, "address": inbound.address, "text": inbound.text,
              "name": inbound.name, "language": inbound.language}
    wrong = [name for name, value in fields.items() if not isinstance(value, str)]
    if wrong or not isinstance(inbound.raw, dict):
        raise base.Malformed("not text: " + ", ".join(wrong or ["raw"]))
    raw = untrusted.clean(inbound.raw)
    if CONCAT_KEY in raw and not _is_concat(raw[CONCAT_KEY]):
        # A form field named like our own multi-part marker (types copy the gateway's fields into
        # raw): ignored, or processing would fail on it for ever.
        raw.pop(CONCAT_KEY)
    return dataclasses.replace(inbound, **{k: untrusted.without_nul(v) for k, v in fields.items()}, raw=raw)


def _is_concat(value) -> bool:
    """The shape types give CONCAT_KEY: {"ref": str, "total": n, "part": i} with 1 <= i <= n <= 255."""
    if not isinstance(value, dict) or not isinstance(value.get("ref"), str):
        return False
    total, part = value.get("total"), value.get("part")
    return isinstance(total, int) and isinstance(part, int) and 1 <= part <= total <= 255


def _refetch(cursor, sql: str, params: list):
    cursor.execute(sql, params)  # another request stored the same contact a moment earlier
    return cursor.fetchone()


class _StoreSQL:
    """The statements `receive` runs, built once per database backend from the models' metadata.
    Parameters follow the models' column order (checked here, so a new column fails loudly)."""

    CONTACT = ["scheme", "address", "name", "language", "opted_out_at", "created_at"]
    MESSAGE = ["channel_id", "provider_id", "contact_id", "text", "sent_at", "received_at", "raw",
               "processed_at", "keyword", "conversation_id", "report_id"]

    def __init__(self):
        q = connection.ops.quote_name

        def insert(meta, columns: list[str], conflict: list[str]) -> str:
            actual = [f.column for f in meta.concrete_fields if not f.primary_key]
            if actual != columns:
                raise RuntimeError(f"{meta.db_table} columns changed: {actual}; update receive()")
            return (f"INSERT INTO {q(meta.db_table)} ({', '.join(q(c) for c in columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))}) "
                    f"ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO NOTHING RETURNING {q(meta.pk.column)}")

        contact = Contact._meta
        self.find_contact = (f"SELECT {q(contact.pk.column)} FROM {q(contact.db_table)} "
                             f"WHERE {q('scheme')} = %s AND {q('address')} = %s")
        self.insert_contact = insert(contact, self.CONTACT, ["scheme", "address"])
        self.insert_message = insert(InboundMessage._meta, self.MESSAGE, ["channel_id", "provider_id"])
        self._raw = InboundMessage._meta.get_field("raw")

    def when(self, value):
        return connection.ops.adapt_datetimefield_value(value)

    def raw(self, value):
        return self._raw.get_db_prep_save(value, connection)


_store_sql_by_vendor: dict[str, _StoreSQL] = {}


def _store_sql() -> _StoreSQL:
    sql = _store_sql_by_vendor.get(connection.vendor)
    if sql is None:
        sql = _store_sql_by_vendor[connection.vendor] = _StoreSQL()
    return sql


_last_drain_request = 0.0
DRAIN_DEBOUNCE_S = 0.2


def _queue_processing(message_id: int) -> None:
    """Ask a worker to process stored messages. Under load one request per DRAIN_DEBOUNCE_S per
    process is enough: the drain job takes every unprocessed message, and the periodic job covers
    the rest. (Queueing one job per message would double the write cost of the webhook.)"""
    global _last_drain_request
    from huey.contrib.djhuey import HUEY

    from testigo.channels import tasks

    try:
        if HUEY.immediate:
            tasks.process_inbound_task(message_id)
            return
        now = time.monotonic()
        if now - _last_drain_request >= DRAIN_DEBOUNCE_S:
            _last_drain_request = now
            tasks.drain_inbound_task()
    except Exception:  # the message is stored; the periodic job will process it
        log.exception("could not queue processing of inbound message %s", message_id)


def drain_inbound(*, grace_s: float = DRAIN_DEBOUNCE_S * 2) -> int:
    """Process every stored, unprocessed message in arrival order; look once more after `grace_s`
    for messages whose drain request was debounced."""
    done, looked_again = 0, False
    while True:
        pending = list(InboundMessage.objects.filter(processed_at__isnull=True).order_by("pk")
                       .values_list("pk", flat=True)[:200])
        if not pending:
            if looked_again:
                return done
            looked_again = True
            time.sleep(grace_s)
            continue
        looked_again = False
        for pk in pending:
            try:
                process_inbound(message_id=pk)
            except Exception:
                log.exception("inbound message %s could not be processed", pk)
            done += 1


def process_inbound(*, message_id: int) -> InboundMessage:
    """Act on a stored message once: keywords, opt-out, new report or joining a conversation."""
    with transaction.atomic():
        message = (InboundMessage.objects.select_for_update()
                   .select_related("channel", "contact").get(pk=message_id))
        if message.processed_at is not None:
            return message
        text = assembled_text(message)
        if text is None:  # one part of a longer SMS; the last part to arrive acts for all
            message.keyword, message.processed_at = "part", timezone.now()
            message.save(update_fields=["keyword", "processed_at"])
            return message
        parsed = keywords.parse(text)
        contact = message.contact
        if parsed.language and contact.language != parsed.language:
            contact.language = parsed.language
            contact.save(update_fields=["language"])
        if parsed.explicit and parsed.keyword != keywords.STOP and contact.opted_out_at:
            # Writing a keyword again is an explicit request to hear from us again.
            contact.opted_out_at = None
            contact.save(update_fields=["opted_out_at"])
        with translation.override(language_of(contact)):
            HANDLERS[parsed.keyword](message, parsed)
        message.keyword = parsed.keyword
        message.processed_at = timezone.now()
        message.save(update_fields=["keyword", "processed_at", "report", "conversation"])
        if message.raw.get(CONCAT_KEY):
            _parts_of(message).exclude(pk=message.pk).update(report=message.report,
                                                             conversation=message.conversation)
    return message


CONCAT_KEY = "_concat"  # {"ref": …, "total": n, "part": i}, set by types that receive SMS in parts


def _parts_of(message: InboundMessage):
    ref = message.raw[CONCAT_KEY]["ref"]
    return InboundMessage.objects.filter(channel=message.channel, contact=message.contact,
                                         **{f"raw__{CONCAT_KEY}__ref": ref})


def assembled_text(message: InboundMessage) -> str | None:
    """The whole text of a multi-part SMS once every part is stored (None while parts are missing,
    or when a later-stored part will act for the message); a single message's own text."""
    concat = message.raw.get(CONCAT_KEY)
    if not concat:
        return message.text
    parts = {}
    for pk, raw, text in _parts_of(message).values_list("pk", "raw", "text"):
        parts.setdefault(int(raw[CONCAT_KEY]["part"]), (pk, text))
    if len(parts) < int(concat["total"]) or max(pk for pk, _t in parts.values()) != message.pk:
        return None
    return "".join(text for _n, (_pk, text) in sorted(parts.items()))


def language_of(contact: Contact) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return contact.language if contact.language in codes else settings.LANGUAGE_CODE[:2]


def _on_report(message: InboundMessage, parsed: keywords.Parsed) -> None:
    if not parsed.rest:
        _auto_reply(message, replies.empty_report())
        return
    now = timezone.now()
    window = timedelta(hours=settings.CONVERSATION_WINDOW_HOURS)
    conversation = (Conversation.objects.filter(contact=message.contact, last_message_at__gte=now - window)
                    .order_by("-last_message_at").first())
    if conversation is not None:
        conversation.last_message_at = now
        conversation.channel = message.channel
        conversation.save(update_fields=["last_message_at", "channel"])
    else:
        report = report_services.create_report(
            title=_title(parsed.rest), description=parsed.rest, source=message.channel.type,
            language=language_of(message.contact), reporter_name=message.contact.name,
            reporter_contact=message.contact.address, received_at=message.received_at,
        )
        conversation = Conversation.objects.create(
            contact=message.contact, report=report, channel=message.channel, started_at=now,
            last_message_at=now,
        )
        _auto_reply(message, replies.report_received(report.reference), report=report)
    message.conversation, message.report = conversation, conversation.report


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def _on_alert(message: InboundMessage, parsed: keywords.Parsed) -> None:
    from testigo.alerts.services import handle_alert_keyword  # alerts imports channels: import here

    _auto_reply(message, handle_alert_keyword(channel=message.channel, contact=message.contact,
                                              text=parsed.rest, language=language_of(message.contact)))


def _on_help(message: InboundMessage, parsed: keywords.Parsed) -> None:
    _auto_reply(message, replies.help_text())


def _on_stop(message: InboundMessage, parsed: keywords.Parsed) -> None:
    contact = message.contact
    contact.opted_out_at = timezone.now()
    contact.save(update_fields=["opted_out_at"])
    # The one message an opted-out person still gets: the confirmation they asked for.
    _auto_reply(message, replies.stopped(), force=True)


HANDLERS = {keywords.REPORT: _on_report, keywords.ALERT: _on_alert, keywords.HELP: _on_help,
            keywords.STOP: _on_stop}


def _auto_reply(message: InboundMessage, text: str, *, report=None, force: bool = False) -> None:
    queue_message(channel=message.channel, contact=message.contact, text=text, report=report,
                  in_reply_to=message, force=force)


def queue_message(*, channel: Channel, contact: Contact, text: str, report=None, in_reply_to=None,
                  actor=None, force: bool = False) -> OutboundMessage | None:
    """Put one message in the outbox (None if the contact opted out); workers send it after commit."""
    if contact.opted_out_at is not None and not force:
        return None
    channel_type = get_type(channel.type)
    text = channel_type.prepare_text(channel, text) if channel_type else text
    info = encoding.count(text)
    outbound = OutboundMessage.objects.create(
        channel=channel, contact=contact, text=text, next_attempt_at=timezone.now(), report=report,
        in_reply_to=in_reply_to, created_by=roles.person(actor), segments=info.segments, encoding=info.encoding,
    )
    transaction.on_commit(lambda: _queue_sending(channel.pk))
    return outbound


def _queue_sending(channel_id: int) -> None:
    from testigo.channels import tasks

    try:
        tasks.send_outbox_task(channel_id)
    except Exception:  # the row is queued; the periodic dispatcher will send it
        log.exception("could not queue sending for channel %s", channel_id)


@transaction.atomic
def reply(*, report, actor, text: str) -> OutboundMessage:
    """Send `text` from staff to the citizen behind `report`, through the channel they last used."""
    roles.require(actor, roles.EDIT)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write a message before sending."))
    last = (InboundMessage.objects.filter(report=report).select_related("channel", "contact")
            .order_by("-received_at").first())
    if last is None:
        raise ValidationError(_("This report did not arrive through a messaging channel."))
    channel_type = get_type(last.channel.type)
    if channel_type is not None and len(text) > channel_type.max_length:
        raise ValidationError(_("The message is too long: at most %(n)d characters.")
                              % {"n": channel_type.max_length})
    if last.contact.opted_out_at is not None:
        raise ValidationError(_("This person asked to receive no more messages (opt-out)."))
    if not last.channel.is_active:
        raise ValidationError(_("The channel this person wrote through is deactivated. "
                                "An administrator can activate it again under Messages → Channels."))
    outbound = queue_message(channel=last.channel, contact=last.contact, text=text, report=report,
                             in_reply_to=last, actor=actor)
    audit.record(action="channels.reply", actor=actor, obj=outbound,
                 data={"report": report.reference, "channel": last.channel.pk,
                       "segments": outbound.segments, "encoding": outbound.encoding})
    return outbound


STATUS_RANK = {Status.QUEUED: 0, Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3}


def record_status(*, channel: Channel, update: base.StatusUpdate) -> OutboundMessage | None:
    """Apply a delivery report. Reports arrive late and out of order: never move a status backwards."""
    update = dataclasses.replace(update, provider_id=untrusted.without_nul(str(update.provider_id)),
                                 error=untrusted.without_nul(str(update.error)))
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
        outbound.save(update_fields=fields)
    return outbound


def count_auth_failure(*, channel: Channel) -> None:
    """Count a request that failed the signature/secret check; its content is not kept or logged."""
    Channel.objects.filter(pk=channel.pk).update(auth_failures=F("auth_failures") + 1)
    log.warning("channel %s: request failed authentication", channel.pk)


def _scrub(pairs: str) -> str:
    items = parse_qsl(pairs, keep_blank_values=True)
    return urlencode([(k, "***" if k.lower() in SECRET_KEYS else v) for k, v in items])


_SECRET_JSON = re.compile(r'("(?:%s)"\s*:\s*)"(?:[^"\\]|\\.)*"' % "|".join(re.escape(k) for k in SECRET_KEYS),
                          re.IGNORECASE)


def _scrub_json(body: str) -> str:
    try:
        data = untrusted.loads(body)
    except ValueError:  # invalid or too deep: mask what looks like a secret, keep the rest as sent
        return _SECRET_JSON.sub(lambda m: m.group(1) + '"***"', body)
    if isinstance(data, dict):
        data = {k: "***" if k.lower() in SECRET_KEYS else v for k, v in data.items()}
    return json.dumps(data, ensure_ascii=False)


def record_rejection(*, channel: Channel, channel_type: str, request, reason: str) -> InboundRejected | None:
    """Keep a sample of a payload we could not read for an admin to inspect: secrets masked, no
    client address, at most REJECTED_SAMPLE_BYTES of body and query, and at most
    REJECTED_SAMPLES_PER_HOUR per channel. Beyond that only a counter grows (None is returned)."""
    since = timezone.now() - timedelta(hours=1)
    if InboundRejected.objects.filter(channel=channel, received_at__gte=since).count() >= REJECTED_SAMPLES_PER_HOUR:
        Channel.objects.filter(pk=channel.pk).update(rejected_not_kept=F("rejected_not_kept") + 1)
        return None
    ctype = request.content_type or ""
    body = request.body.decode("utf-8", "replace")  # whole, so secrets in JSON are masked before sampling
    if ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        body = urlencode([(k, "***" if k.lower() in SECRET_KEYS else v)
                          for k, values in request.POST.lists() for v in values])
    elif ctype == "application/json":
        body = _scrub_json(body)
    return InboundRejected.objects.create(
        channel=channel, channel_type=channel_type, reason=_sample(reason, 500), method=request.method[:10],
        content_type=_sample(ctype, 200), query=_sample(_scrub(request.META.get("QUERY_STRING", ""))),
        body=_sample(body),
    )


def _sample(text: str, limit: int = REJECTED_SAMPLE_BYTES) -> str:
    """At most `limit` UTF-8 bytes of `text`, NULs replaced, marked when something was cut off."""
    text = untrusted.without_nul(text)
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = TRUNCATED if limit >= 4 * len(TRUNCATED) else "…"
    keep = limit - len(marker.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + marker


AUTO_SECRETS = {"secret", "secret_token", "verify_token"}


def _clean_channel(*, channel_type, name: str, config: dict, rate_per_second: float) -> tuple[str, dict]:
    """Validate a channel's settings (shared by adding and editing); returns (name, config)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the channel a name."))
    if not rate_per_second or rate_per_second <= 0 or rate_per_second > 1000:
        raise ValidationError(_("The rate must be between 0 and 1000 messages per second."))
    config = {k: str(v).strip() for k, v in config.items() if str(v).strip()}
    missing = [str(f.label) for f in channel_type.config_fields if f.required and not config.get(f.key)]
    if missing:
        raise ValidationError(_("Missing settings: %(fields)s.") % {"fields": ", ".join(missing)})
    for field in channel_type.config_fields:
        if field.kind in {"url", "host"} and config.get(field.key):
            # Also checked at every connection (addresses.connect): DNS may answer differently later.
            addresses.validate(kind=field.kind, value=config[field.key], label=field.label)
    return name[:100], config


@transaction.atomic
def add_channel(*, actor, type_code: str, name: str, config: dict | None = None, rate_per_second: float = 1.0,
                transliterate: bool = False) -> Channel:
    """Create a channel (admins, or the operator's CLI as roles.SYSTEM). Missing URL secrets are
    generated, since every webhook must carry one."""
    import secrets as _secrets

    roles.require(actor, roles.MANAGE_CHANNELS)
    channel_type = get_type(type_code)
    if channel_type is None:
        raise ValidationError(_("Unknown channel type: %(type)s.") % {"type": type_code})
    config = {k: str(v).strip() for k, v in (config or {}).items() if str(v).strip()}
    for field in channel_type.config_fields:
        if field.key in AUTO_SECRETS and not config.get(field.key):
            config[field.key] = _secrets.token_urlsafe(24)
    name, config = _clean_channel(channel_type=channel_type, name=name, config=config,
                                  rate_per_second=rate_per_second)
    channel = Channel.objects.create(type=type_code, name=name, config=config,
                                     rate_per_second=rate_per_second, transliterate=transliterate)
    audit.record(action="channels.added", actor=actor, obj=channel, data={"type": type_code, "name": name})
    return channel


@transaction.atomic
def update_channel(*, actor, channel: Channel, name: str, config: dict, rate_per_second: float,
                   transliterate: bool, is_active: bool) -> Channel:
    """Change a channel's settings (admins). A secret left empty keeps its stored value: pages never
    show secrets, so an empty field means "unchanged". A deactivated channel refuses its webhook
    and sends nothing; what waits in its outbox leaves once it is active again."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    channel_type = get_type(channel.type)
    if channel_type is None:
        raise ValidationError(_("Unknown channel type: %(type)s.") % {"type": channel.type})
    merged = dict(channel.config)
    for field in channel_type.config_fields:
        value = str(config.get(field.key, "")).strip()
        if value or not field.secret:
            merged[field.key] = value
    name, merged = _clean_channel(channel_type=channel_type, name=name, config=merged,
                                  rate_per_second=rate_per_second)
    changed = sorted(k for k in set(merged) | set(channel.config) if merged.get(k) != channel.config.get(k))
    was_active = channel.is_active
    channel.name, channel.config, channel.rate_per_second = name, merged, rate_per_second
    channel.transliterate, channel.is_active = transliterate, is_active
    channel.save(update_fields=["name", "config", "rate_per_second", "transliterate", "is_active"])
    action = "channels.updated"
    if was_active != is_active:
        action = "channels.activated" if is_active else "channels.deactivated"
    # Which settings changed, never their values (secrets).
    audit.record(action=action, actor=actor, obj=channel, data={"name": name, "settings_changed": changed,
                                                                 "active": is_active})
    return channel
