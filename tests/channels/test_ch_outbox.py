"""The outbox: claims, retries with backoff, permanent failures, rate limits, crash recovery, statuses."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from testigo.channels import outbox, services
from testigo.channels.models import Contact, OutboundMessage
from testigo.channels.types import base

Status = OutboundMessage.Status


@pytest.fixture
def tg(make_channel):
    return make_channel("telegram", bot_token="123:abc", secret_token="tok")


def queue(channel, n=1, text="Hola"):
    contact, _ = Contact.objects.get_or_create(scheme="telegram", address="42")
    return [OutboundMessage.objects.create(channel=channel, contact=contact, text=f"{text} {i}",
                                           next_attempt_at=timezone.now()) for i in range(n)]


def ok(message_id=7):
    return base.HttpResult(200, b'{"ok":true,"result":{"message_id":%d}}' % message_id)


def test_sent_message_records_provider_id(tg, provider):
    provider.responses.append(ok(99))
    (row,) = queue(tg)
    assert outbox.send_due() == 1
    row.refresh_from_db()
    assert (row.status, row.provider_id, row.attempts) == (Status.SENT, "99", 1)
    assert provider.calls[0]["url"] == "https://api.telegram.org/bot123:abc/sendMessage"


def test_temporary_error_retries_with_exponential_backoff(tg, provider, settings):
    settings.CHANNEL_RETRY_BASE_SECONDS = 30
    (row,) = queue(tg)
    delays = []
    for _ in range(3):
        provider.reply(502, {"ok": False})
        start = timezone.now()
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=start)
        outbox.send_due()
        row.refresh_from_db()
        assert row.status == Status.QUEUED and "502" in row.error
        delays.append(round((row.next_attempt_at - start).total_seconds()))
    assert delays == [30, 60, 120]
    provider.responses.append(ok())
    OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 4)


def test_network_failure_is_temporary_and_gives_up_after_max_attempts(tg, provider, settings):
    settings.CHANNEL_MAX_ATTEMPTS = 2
    (row,) = queue(tg)
    for _ in range(2):
        provider.responses.append(base.TemporaryError("network error: refused"))
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outbox.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 2)


def test_permanent_error_is_not_retried(tg, provider):
    provider.reply(400, {"ok": False, "description": "Bad Request: chat not found"})
    (row,) = queue(tg)
    outbox.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "chat not found" in row.error
    assert outbox.send_due() == 0 and len(provider.calls) == 1


def test_rate_limit_makes_the_second_claim_wait(tg):
    tg.rate_per_second = 2
    tg.save()
    queue(tg, 3)
    first, _ = outbox.claim()
    second, wait = outbox.claim()
    assert first is not None and second is None
    assert 0.4 < wait <= 0.5


@pytest.mark.django_db(transaction=True)
def test_rate_limit_holds_across_concurrent_workers(make_channel, provider):
    channel = make_channel("telegram", rate=10, bot_token="1:a", secret_token="t")
    queue(channel, 15)
    provider.default = ok()
    start = time.monotonic()

    def worker():
        outbox.send_due(max_seconds=5)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    sent_at = sorted(OutboundMessage.objects.values_list("claimed_at", flat=True))
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 15
    assert len(provider.calls) == 15  # no message sent twice by two workers
    gaps = [(b - a).total_seconds() for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert min(gaps) >= 0.099 and elapsed >= 1.3


def test_crash_mid_send_resends_only_the_message_in_flight(tg, provider):
    rows = queue(tg, 3)
    provider.default = ok()
    crashed, _ = outbox.claim()  # the worker claimed it and died before recording anything
    assert crashed.pk == rows[0].pk
    OutboundMessage.objects.filter(pk=crashed.pk).update(claimed_at=timezone.now() - timedelta(minutes=6))
    tg.next_send_at = None
    tg.save()
    assert outbox.send_due() == 3
    assert len(provider.calls) == 3
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_fresh_claim_is_not_taken_by_another_worker(tg):
    queue(tg, 1)
    first, _ = outbox.claim()
    tg.refresh_from_db()
    tg.next_send_at = None
    tg.save()
    assert outbox.claim() == (None, None)


def test_delivery_reports_never_move_status_backwards(tg):
    (row,) = queue(tg)
    OutboundMessage.objects.filter(pk=row.pk).update(status=Status.SENT, provider_id="p1")
    services.record_status(channel=tg, update=base.StatusUpdate("p1", "delivered"))
    services.record_status(channel=tg, update=base.StatusUpdate("p1", "sent"))
    row.refresh_from_db()
    assert row.status == Status.DELIVERED and row.delivered_at is not None
    assert services.record_status(channel=tg, update=base.StatusUpdate("unknown", "delivered")) is None


def test_opted_out_contact_gets_nothing_queued(tg):
    contact = Contact.objects.create(scheme="telegram", address="7", opted_out_at=timezone.now())
    assert outbox.queue(channel=tg, contact=contact, text="hola") is None
    assert OutboundMessage.objects.count() == 0


def test_queue_many_queues_one_text_to_many_leaving_out_opted_out_contacts_and_inactive_channels(
        tg, make_channel, django_capture_on_commit_callbacks):
    sms = make_channel("twilio", account_sid="AC1", auth_token="t", from_number="+1")
    sms.transliterate = True
    sms.save()
    off = make_channel("twilio", name="off", account_sid="AC2", auth_token="t", from_number="+2")
    off.is_active = False
    off.save()
    people = [Contact.objects.create(scheme="tel", address=f"+5049999000{i}") for i in range(4)]
    people[1].opted_out_at = timezone.now()
    people[1].save()
    with django_capture_on_commit_callbacks(execute=False):
        queued = outbox.queue_many(messages=[
            outbox.Outgoing(channel_id=sms.pk, contact_id=people[0].pk, text="Alerta: evite el área"),
            outbox.Outgoing(channel_id=sms.pk, contact_id=people[1].pk, text="Alerta: evite el área"),
            outbox.Outgoing(channel_id=off.pk, contact_id=people[2].pk, text="Alerta: evite el área"),
            outbox.Outgoing(channel_id=sms.pk, contact_id=people[3].pk, text="Alerta: evite el área"),
        ])
    assert set(queued) == {people[0].pk, people[3].pk}
    rows = OutboundMessage.objects.order_by("contact_id")
    assert [(r.contact_id, r.pk) for r in rows] == sorted(queued.items())
    assert {(r.text, r.encoding, r.segments, r.status) for r in rows} == {("Alerta: evite el area", "GSM-7", 1,
                                                                           Status.QUEUED)}
    with pytest.raises(ValueError):
        outbox.queue_many(messages=[outbox.Outgoing(sms.pk, people[0].pk, "a"), outbox.Outgoing(tg.pk, people[0].pk, "b")])


def test_transliterating_channel_stores_gsm7_text_and_segment_count(make_channel):
    channel = make_channel("twilio", account_sid="AC1", auth_token="t", from_number="+1")
    channel.transliterate = True
    channel.save()
    contact = Contact.objects.create(scheme="tel", address="+50499990000")
    row = outbox.queue(channel=channel, contact=contact, text="Recibimos su denuncia, ¿algún herido?")
    assert row.text == "Recibimos su denuncia, ¿algun herido?"
    assert (row.encoding, row.segments) == ("GSM-7", 1)


def test_reply_queued_before_an_opt_out_is_not_sent(tg, provider):
    (row,) = queue(tg)
    Contact.objects.update(opted_out_at=timezone.now())
    outbox.send_due()
    row.refresh_from_db()
    assert (row.status, row.error) == (Status.FAILED, "the contact opted out")
    assert provider.calls == []


def test_batch_claim_takes_one_second_of_the_channel_rate(tg):
    tg.rate_per_second = 5
    tg.save()
    queue(tg, 12)
    rows, wait = outbox.claim_batch(channel_id=tg.pk, limit=100)
    assert len(rows) == 5 and wait is None
    assert {r.status for r in rows} == {Status.SENDING} and {r.attempts for r in rows} == {1}
    again, wait = outbox.claim_batch(channel_id=tg.pk, limit=100)
    assert again == [] and 0.9 < wait <= 1.0
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 7


class Crash(BaseException):
    """The worker process dying: not an error the outbox may catch and classify."""


def test_crash_during_a_parallel_batch_resends_at_most_one_message_per_sending_thread(tg, monkeypatch):
    rows = queue(tg, 20)
    calls = []

    def gateway(url, *, data=None, headers=None, method=None, timeout=15):
        calls.append(data)
        if len(calls) == 10:
            raise Crash()
        return ok(len(calls))

    from testigo.channels.types import telegram

    monkeypatch.setattr(telegram, "http_request", gateway)
    with pytest.raises(Crash):
        outbox.send_due(channel_id=tg.pk, batch=100, parallel=4)
    sent_before = OutboundMessage.objects.filter(status=Status.SENT).count()
    assert sent_before >= 5  # outcomes were recorded as they came, not at the end of the batch
    OutboundMessage.objects.filter(status=Status.SENDING).update(claimed_at=timezone.now() - timedelta(minutes=6))
    tg.next_send_at = None
    tg.save()
    assert outbox.send_due(channel_id=tg.pk, batch=100, parallel=4) == 20 - sent_before
    texts = [json.loads(c)["text"] for c in calls]
    resent = [t for t in set(texts) if texts.count(t) > 1]
    assert set(texts) == {r.text for r in rows}
    assert len(resent) <= 4  # only what the 4 sending threads had in flight when the worker died
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 20


@pytest.mark.django_db(transaction=True)
def test_batched_workers_together_keep_to_the_channel_rate(make_channel, provider):
    channel = make_channel("telegram", rate=10, bot_token="1:a", secret_token="t")
    queue(channel, 25)
    provider.default = ok()
    start = time.monotonic()

    def worker():
        outbox.send_due(channel_id=channel.pk, batch=100, parallel=4, max_seconds=6)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(provider.calls) == 25 and OutboundMessage.objects.filter(status=Status.SENT).count() == 25
    claimed = sorted(OutboundMessage.objects.values_list("claimed_at", flat=True))
    for first in claimed:  # never more than one second's budget (10) claimed within any second
        assert sum(1 for t in claimed if first <= t < first + timedelta(seconds=0.999)) <= 10
    assert time.monotonic() - start >= 1.9  # 25 at 10/s: batches at 0 s, 1 s and 2 s


def test_channels_the_gateway_polls_are_never_due_for_workers(make_channel):
    phone = make_channel("smssync", secret="s")
    contact = Contact.objects.create(scheme="tel", address="+50499990000")
    OutboundMessage.objects.create(channel=phone, contact=contact, text="hola", next_attempt_at=timezone.now())
    assert outbox.has_due(channel_id=phone.pk) is False  # SMSSync fetches its own outbox (task=send)
    assert outbox.send_due(channel_id=phone.pk, batch=100, parallel=4) == 0

