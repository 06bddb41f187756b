"""Kannel configs in the wild name the get-url fields differently: RapidPro's courier sends
sender/message/ts/id; others from/msisdn/phone, text/msg/body, smsid, timestamp. All are read,
by GET or POST form, and an SMS without any id is still stored once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from testigo.channels.models import InboundMessage

PAYLOADS = Path(__file__).parent / "payloads" / "kannel"


@pytest.fixture
def kannel(make_channel):
    return make_channel("kannel", secret="k", sendsms_url="https://sms.example.org/cgi-bin/sendsms", username="u",
                        password="p")


def test_courier_style_get_url_is_read(client, kannel):
    # The query RapidPro's courier documents for its Kannel channel (handlers/kannel/handler_test.go).
    query = (PAYLOADS / "courier_receive_query.txt").read_text().strip()
    response = client.get(f"/ch/kannel/{kannel.uuid}/?key=k&{query}")
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.provider_id, message.text, message.contact.address) == ("asdf-asdf", "Join", "+2349067554729")
    assert message.sent_at == datetime.fromtimestamp(1493735509, tz=UTC)


def test_courier_style_post_form_is_read(client, kannel):
    query = (PAYLOADS / "courier_receive_query.txt").read_text().strip()
    response = client.post(f"/ch/kannel/{kannel.uuid}/?key=k", urlencode(parse_qsl(query)),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert InboundMessage.objects.get().text == "Join"


@pytest.mark.parametrize("fields", [
    {"msisdn": "+50499990001", "msg": "robo en la parada", "smsid": "s-1", "timestamp": "1700000000"},
    {"phone": "+50499990001", "body": "robo en la parada", "message_id": "s-1"},
])
def test_other_names_for_the_same_fields(client, kannel, fields):
    assert client.get(f"/ch/kannel/{kannel.uuid}/", {"key": "k", **fields}).status_code == 200
    message = InboundMessage.objects.get()
    assert (message.provider_id, message.text, message.contact.address) == ("s-1", "robo en la parada",
                                                                           "+50499990001")


def test_without_an_id_the_same_sms_forwarded_twice_is_stored_once(client, kannel):
    fields = {"key": "k", "sender": "+50499990001", "message": "incendio en el mercado", "ts": "1700000000"}
    for _ in range(2):
        assert client.get(f"/ch/kannel/{kannel.uuid}/", fields).status_code == 200
    assert client.get(f"/ch/kannel/{kannel.uuid}/", {**fields, "message": "otro"}).status_code == 200
    assert InboundMessage.objects.count() == 2
    assert len(InboundMessage.objects.first().provider_id) == 64


def test_a_request_without_a_sender_names_what_is_missing(client, kannel):
    response = client.get(f"/ch/kannel/{kannel.uuid}/", {"key": "k", "message": "hola"})
    assert response.status_code == 400 and b"'msisdn'" in response.content
