"""Promise: an SMS (or chat message) carrying a NUL character is stored and acknowledged, with the
NUL shown as U+FFFD, on SQLite and PostgreSQL alike. Before, PostgreSQL refused the row, the
webhook answered 500 to every retry, and the message was never stored."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from testigo.channels.models import InboundMessage, InboundRejected, OutboundMessage
from testigo.channels.services import record_status
from testigo.channels.types.base import StatusUpdate
from testigo.channels.types.twilio import signature

FORM = "application/x-www-form-urlencoded"
REPLACED = "Robo en la colonia \ufffd Kennedy"


def test_promise_smssync_form_sms_with_a_nul_is_stored_and_acknowledged_on_every_retry(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = urlencode({"secret": "s3cret", "from": "+50499990001", "message": "Robo en la colonia \x00 Kennedy",
                      "message_id": "m\x00-1", "sent_timestamp": "1700000000000", "device_id": "a\x00"})
    for _attempt in range(2):  # the gateway's retry gets the same answer and stores nothing new
        response = client.post(f"/ch/smssync/{phone.uuid}/", body, content_type=FORM)
        assert response.status_code == 200, response.content
        assert response.json()["payload"]["success"] is True
    message = InboundMessage.objects.get()
    assert message.text == REPLACED
    assert message.provider_id == "m\ufffd-1"
    assert message.raw["device_id"] == "a\ufffd"
    assert message.report is not None and "\ufffd" in message.report.description


def test_promise_smssync_json_sms_with_an_escaped_nul_is_stored(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = json.dumps({"secret": "s3cret", "from": "+50499990001", "message": "Robo en la colonia \u0000 Kennedy",
                       "message_id": "j-1", "extra": {"deep\u0000key": ["\u0000"]}})
    response = client.post(f"/ch/smssync/{phone.uuid}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    message = InboundMessage.objects.get()
    assert message.text == REPLACED
    assert json.loads(message.raw["extra"]) == {"deep\ufffdkey": ["\ufffd"]}


def test_promise_twilio_signed_sms_with_a_nul_is_stored_and_the_signature_still_checks(client, make_channel,
                                                                                       settings):
    settings.CHANNEL_BASE_URL, settings.ALLOWED_HOSTS = "https://testigo.example.org", ["testigo.example.org"]
    channel = make_channel("twilio", account_sid="ACx", auth_token="tok", from_number="+15005550006")
    params = {"MessageSid": "SM\x001", "From": "+50499990001", "Body": "Robo en la colonia \x00 Kennedy"}
    url = f"https://testigo.example.org/ch/twilio/{channel.uuid}/"
    sig = signature("tok", url, list(params.items()))  # Twilio signs what it sent, NUL included
    response = client.post(f"/ch/twilio/{channel.uuid}/", urlencode(params), content_type=FORM,
                           HTTP_X_TWILIO_SIGNATURE=sig, HTTP_HOST="testigo.example.org")
    assert response.status_code == 200, response.content
    message = InboundMessage.objects.get()
    assert (message.provider_id, message.text) == ("SM\ufffd1", REPLACED)


def test_promise_telegram_message_with_a_nul_in_text_and_name_is_stored(client, make_channel):
    bot = make_channel("telegram", bot_token="123:ABC", secret_token="tok")
    update = {"update_id": 9, "message": {"message_id": 1, "date": 1700000000, "text": "Robo en la colonia \u0000 Kennedy",
                                          "chat": {"id": 777}, "from": {"id": 777, "first_name": "A\u0000na"}}}
    response = client.post(f"/ch/telegram/{bot.uuid}/", json.dumps(update), content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tok")
    assert response.status_code == 200, response.content
    message = InboundMessage.objects.get()
    assert (message.text, message.contact.name) == (REPLACED, "A\ufffdna")


def test_promise_kannel_get_url_sms_with_a_nul_is_stored(client, make_channel):
    channel = make_channel("kannel", secret="k", sendsms_url="https://sms.example.org/cgi-bin/sendsms",
                           username="u", password="p")
    response = client.get(f"/ch/kannel/{channel.uuid}/?key=k&id=1&from=%2B50499990001"
                          "&text=Robo+en+la+colonia+%00+Kennedy&time=1700000000")
    assert response.status_code == 200, response.content
    assert InboundMessage.objects.get().text == REPLACED


def test_promise_a_delivery_report_with_a_nul_is_applied_not_a_500(make_channel, db):
    channel = make_channel("twilio", account_sid="ACx", auth_token="tok", from_number="+15005550006")
    assert record_status(channel=channel, update=StatusUpdate("SM\x00x", "delivered", "err\x00")) is None
    assert not OutboundMessage.objects.exists()


def test_promise_a_rejected_payload_with_a_nul_is_kept_not_a_500(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    response = client.post(f"/ch/smssync/{phone.uuid}/?task=x%00y", b'{"secret": "s3cret", \x00',
                           content_type="application/json")
    assert response.status_code == 400
    rejected = InboundRejected.objects.get()
    assert "\x00" not in rejected.body + rejected.query


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    """Replies are queued, not sent: these tests are about what comes in."""
    from testigo.channels import outbox

    monkeypatch.setattr(outbox, "_start_sending", lambda channel_ids, bulk: None)
