"""Promise: a person who sent STOP gets nothing more from us but the confirmation they asked for,
whichever gateway would carry it: pushed by a worker (Kannel, Twilio, Vonage, Telegram), fetched
by SMSSync's phone or submitted by the SMPP session. And nothing leaves a deactivated channel.

One claim (channels.outbox) decides for all of them. Two ways a row for such a person can be
waiting there: it was queued before they wrote STOP, or it was queued just after, by a broadcast
whose transaction read the subscriber list before the STOP was committed (the race this file
closes: the row is younger than the opt-out, so "queued before STOP" alone let it out).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.utils import timezone, translation

from testigo.channels import outbox, replies, services
from testigo.channels.models import Contact, OutboundMessage
from testigo.channels.types.base import Inbound
from testigo.core import roles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NUMBER = "+50499990002"
ALERT = "Testigo-alerta-3-robos-en-Centro"  # survives form, JSON and query encoding unchanged

PUSH = {
    "kannel": dict(secret="k", sendsms_url="https://sms.example.org/cgi-bin/sendsms", username="u", password="p"),
    "twilio": dict(account_sid="AC1", auth_token="t", from_number="+15005550006"),
    "vonage": dict(api_key="k", api_secret="s", from_number="Testigo", secret="url-key"),
    "telegram": dict(bot_token="123:abc", secret_token="tok"),
}
PULL = {
    "smssync": dict(secret="s"),
    "smpp": dict(host="127.0.0.1", port="2775", system_id="testigo", password="p", source_addr="Testigo"),
}


def _address(type_code: str) -> tuple[str, str]:
    return ("telegram", "4242") if type_code == "telegram" else ("tel", NUMBER)


def _send_stop(channel) -> Contact:
    """The person writes STOP on this channel; it is stored and processed (their confirmation queued)."""
    scheme, address = _address(channel.type)
    stored = services.receive(channel=channel, inbound=Inbound(provider_id=f"stop-{channel.pk}", scheme=scheme,
                                                               address=address, text="STOP"))
    services.process_inbound(message_id=stored.pk)
    contact = Contact.objects.get(scheme=scheme, address=address)
    assert contact.opted_out_at is not None
    return contact


def _row(channel, contact: Contact, *, created_at) -> OutboundMessage:
    return OutboundMessage.objects.create(channel=channel, contact=contact, text=ALERT, created_at=created_at,
                                          next_attempt_at=timezone.now() - timedelta(seconds=1))


def _handed_out(channel, provider, client) -> list[str]:
    """What the gateway was given: the provider API calls, the phone's poll, the SMPP submits."""
    if channel.type == "smssync":
        payload = client.get(f"/ch/smssync/{channel.uuid}/?task=send&secret=s").json()["payload"]
        return [m["message"] for m in payload["messages"]]
    if channel.type == "smpp":
        from testigo.channels.types.smpp import Session

        session, submitted = Session(channel), []  # never bound: submit_sm is recorded instead of sent

        def send_message(**pdu):
            submitted.append(pdu["short_message"].decode("latin-1"))
            return SimpleNamespace(sequence=len(submitted))

        session.client.send_message = send_message
        session.send_due()
        return submitted
    outbox.send_due(channel_id=channel.pk)
    return [f"{c['url']} {c['data'] or b''!r}" for c in provider.calls]


def _assert_withheld(row: OutboundMessage) -> None:
    row.refresh_from_db()
    assert (row.status, row.error) == (OutboundMessage.Status.FAILED, "the contact opted out")


@pytest.mark.parametrize("type_code", [*PUSH, *PULL])
def test_promise_a_message_queued_before_stop_is_never_handed_out(type_code, make_channel, provider, client,
                                                                  loopback_gateways):
    channel = make_channel(type_code, **{**PUSH, **PULL}[type_code])
    scheme, address = _address(type_code)
    contact = Contact.objects.create(scheme=scheme, address=address)
    queued = _row(channel, contact, created_at=timezone.now() - timedelta(minutes=5))
    _send_stop(channel)

    handed = _handed_out(channel, provider, client)

    assert not any(ALERT in h for h in handed)
    assert len(handed) == 1  # the confirmation of their STOP still leaves
    _assert_withheld(queued)


@pytest.mark.parametrize("type_code", [*PUSH, *PULL])
def test_promise_a_message_queued_after_stop_by_a_racing_broadcast_is_never_handed_out(
        type_code, make_channel, provider, client, loopback_gateways):
    channel = make_channel(type_code, **{**PUSH, **PULL}[type_code])
    contact = _send_stop(channel)
    # The broadcast read its recipients before the STOP committed and inserted a moment later.
    raced = _row(channel, contact, created_at=contact.opted_out_at + timedelta(milliseconds=5))

    handed = _handed_out(channel, provider, client)

    assert not any(ALERT in h for h in handed)
    assert len(handed) == 1
    _assert_withheld(raced)


def test_promise_the_stop_confirmation_is_the_one_message_an_opted_out_person_gets(make_channel, client):
    phone = make_channel("smssync", secret="s")
    body = urlencode({"from": NUMBER, "message": "BAJA", "message_id": "baja-1", "secret": "s"})
    client.post(f"/ch/smssync/{phone.uuid}/", body, content_type="application/x-www-form-urlencoded")

    handed = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s").json()["payload"]["messages"]

    assert [m["to"] for m in handed] == [NUMBER]
    with translation.override("es"):  # BAJA is Spanish: so is the confirmation
        assert [m["message"] for m in handed] == [replies.stopped()]
    assert OutboundMessage.objects.get().in_reply_to.text == "BAJA"


@pytest.mark.parametrize("type_code", [*PUSH, "smpp"])
def test_promise_a_deactivated_channel_hands_out_nothing(type_code, make_channel, provider, client,
                                                         loopback_gateways):
    channel = make_channel(type_code, **{**PUSH, **PULL}[type_code])
    scheme, address = _address(type_code)
    contact = Contact.objects.create(scheme=scheme, address=address)
    row = _row(channel, contact, created_at=timezone.now())
    services.update_channel(actor=roles.SYSTEM, channel=channel, name=channel.name, config=channel.config,
                            rate_per_second=channel.rate_per_second, transliterate=False, is_active=False)

    assert _handed_out(channel, provider, client) == []
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.QUEUED  # it leaves once the channel is active again


def test_promise_a_phone_that_polls_gets_no_more_than_the_channel_rate(make_channel, client):
    phone = make_channel("smssync", rate=0.05, secret="s")  # one message per 20 s: 3 per minute's poll
    contact = Contact.objects.create(scheme="tel", address=NUMBER)
    for _ in range(10):
        _row(phone, contact, created_at=timezone.now())

    first = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s").json()["payload"]["messages"]
    second = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s").json()["payload"]["messages"]

    assert (len(first), len(second)) == (3, 0)
