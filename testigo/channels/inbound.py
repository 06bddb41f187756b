"""Storing what arrives: one inbound message, durably and idempotently, before the gateway is answered.

Inbound messages are stored in their own short transaction before the gateway is answered, so an
acknowledged message is never lost; processing (keywords, reports, replies: processing.py) runs
afterwards, in a job, and is idempotent.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from testigo.channels import contacts
from testigo.channels.models import Channel, Contact, InboundMessage
from testigo.channels.types import base
from testigo.core import untrusted

log = logging.getLogger(__name__)
MAX_ADDRESS_LENGTH = Contact._meta.get_field("address").max_length
CONCAT_KEY = "_concat"  # {"ref": …, "total": n, "part": i}, set by types that receive SMS in parts
# What the type understood beyond the text: {"attachments": [...], "location": {...}, "choice": {...},
# "event": "..."} (base.Attachment/Location/Choice as dicts). Read back with `extras_of`.
EXTRAS_KEY = "_testigo"


def receive(*, channel: Channel, inbound: base.Inbound) -> InboundMessage:
    """Store one inbound message (and its contact) durably and idempotently, then queue processing.

    A retry of the same (channel, provider_id) returns the stored row and queues nothing. This is
    the webhook's hot path (bench/bench_inbound.py): a few prepared statements in one short write
    transaction, without the ORM's query compilation (which cost more than the whole commit).
    """
    inbound = _storable(inbound)
    try:
        address = contacts.normalise(inbound.scheme, inbound.address)
    except contacts.NotAnAddress as exc:
        raise base.Malformed(str(exc)) from exc
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
    raw.pop(EXTRAS_KEY, None)  # only ours: a provider's field of that name is not trusted
    extras = _extras(inbound)
    if extras:
        raw[EXTRAS_KEY] = untrusted.clean(extras)
    if CONCAT_KEY in raw and not _is_concat(raw[CONCAT_KEY]):
        # A form field named like our own multi-part marker (types copy the gateway's fields into
        # raw): ignored, or processing would fail on it for ever.
        raw.pop(CONCAT_KEY)
    return dataclasses.replace(inbound, **{k: untrusted.without_nul(v) for k, v in fields.items()}, raw=raw)


def _extras(inbound: base.Inbound) -> dict:
    extras: dict = {}
    if inbound.attachments:
        kinds = [a.kind for a in inbound.attachments if a.kind not in base.ATTACHMENT_KINDS]
        if kinds:
            raise base.Malformed(f"unknown attachment kind {kinds[0]!r}")
        extras["attachments"] = [dataclasses.asdict(a) for a in inbound.attachments]
    if inbound.location is not None:
        location = inbound.location
        try:
            inside = -90 <= float(location.lat) <= 90 and -180 <= float(location.lon) <= 180
        except (TypeError, ValueError, OverflowError):
            inside = False
        if not inside:
            raise base.Malformed("the location is not a latitude and longitude (-90..90, -180..180)")
        extras["location"] = dataclasses.asdict(location)
    if inbound.choice is not None:
        extras["choice"] = dataclasses.asdict(inbound.choice)
    if inbound.event:
        extras["event"] = inbound.event
    return extras


def extras_of(message) -> dict:
    """What the type understood beyond the text of a stored message (see EXTRAS_KEY); {} if none."""
    value = (message.raw or {}).get(EXTRAS_KEY)
    return value if isinstance(value, dict) else {}


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
