"""Promise: after a person sends STOP, nothing queued for them before it leaves — whichever way the
gateway takes messages: pushed by a worker, polled by SMSSync's phone, or sent by the SMPP session.
The outbox's claim is the one place that decides; the types only format and transmit.

The attack (issue #13): SMSSync's task=send and SMPP's send_due claimed rows their own way and
handed an alert queued before STOP to the phone anyway.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from testigo.channels import outbox, replies, services
from testigo.channels.models import Contact, OutboundMessage
from testigo.channels.types.base import Inbound

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NUMBER = "+50499990001"
ALERT = "ALERTA Testigo: 3 reportes de robo"


def _queue_alert(channel) -> OutboundMessage:
    contact, _ = Contact.objects.get_or_create(scheme="tel", address=NUMBER)
    return outbox.queue(channel=channel, contact=contact, text=ALERT)


def _assert_withheld(row: OutboundMessage) -> None:
    row.refresh_from_db()
    assert (row.status, row.error) == (OutboundMessage.Status.FAILED, "the contact opted out")


def test_promise_smssync_poll_does_not_hand_out_a_message_queued_before_stop(client, make_channel):
    phone = make_channel("smssync", secret="s")
    queued = _queue_alert(phone)
    body = urlencode({"from": NUMBER, "message": "STOP", "message_id": "stop-1", "secret": "s"})
    client.post(f"/ch/smssync/{phone.uuid}/", body, content_type="application/x-www-form-urlencoded")
    assert Contact.objects.get(address=NUMBER).opted_out_at is not None

    handed = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s").json()["payload"]["messages"]

    assert ALERT not in [m["message"] for m in handed]
    assert [m["message"] for m in handed] == [replies.stopped()]  # the STOP confirmation, queued after it
    _assert_withheld(queued)


def test_promise_smpp_session_does_not_submit_a_message_queued_before_stop(make_channel, run_on_commit, loopback_gateways):
    from testigo.channels.types.smpp import Session

    smsc = make_channel("smpp", host="127.0.0.1", port="2775", system_id="testigo", password="p",
                        source_addr="Testigo")
    queued = _queue_alert(smsc)
    with run_on_commit():
        services.receive(channel=smsc, inbound=Inbound(provider_id="smpp-stop", scheme="tel", address=NUMBER,
                                                       text="STOP"))
    assert Contact.objects.get(address=NUMBER).opted_out_at is not None

    session = Session(smsc)  # never bound: submit_sm is recorded instead of sent
    submitted = []

    def send_message(**pdu):
        submitted.append(pdu["short_message"])
        return SimpleNamespace(sequence=len(submitted))

    session.client.send_message = send_message
    session.send_due()

    assert len(submitted) == 1  # the STOP confirmation, queued after it
    assert not any(ALERT.encode() in part or ALERT.encode("utf-16-be") in part for part in submitted)
    _assert_withheld(queued)
