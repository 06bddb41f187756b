"""Telegram and WhatsApp Cloud API webhooks and sending, with the providers' documented payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.channels import outbox
from testigo.channels.models import Contact, InboundMessage, OutboundMessage
from testigo.reports.models import Report

APP_SECRET = "meta-app-secret"


def tg_update(update_id=1001, text="REPORTE incendio en Comayagüela", **message):
    msg = {"message_id": 5, "from": {"id": 777, "is_bot": False, "first_name": "Ana", "language_code": "es"},
           "chat": {"id": 777, "first_name": "Ana", "type": "private"}, "date": 1700000000, "text": text}
    msg.update(message)
    return json.dumps({"update_id": update_id, "message": msg})


@pytest.fixture
def bot(make_channel):
    return make_channel("telegram", bot_token="123:ABC", secret_token="s3cret_token-1")


def test_telegram_update_with_secret_header_makes_a_report_deduplicated_on_update_id(client, bot):
    for _ in range(3):
        response = client.post(f"/ch/telegram/{bot.uuid}/", tg_update(), content_type="application/json",
                               HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret_token-1")
        assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.provider_id, message.contact.urn, message.contact.name) == ("1001", "telegram:777", "Ana")
    assert message.contact.language == "es"
    assert Report.objects.get().description == "incendio en Comayagüela"


def test_telegram_without_or_with_wrong_secret_header_is_403(client, bot):
    assert client.post(f"/ch/telegram/{bot.uuid}/", tg_update(), content_type="application/json").status_code == 403
    response = client.post(f"/ch/telegram/{bot.uuid}/", tg_update(), content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret_token-2")
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


def test_telegram_non_message_update_is_acknowledged_and_ignored(client, bot):
    body = json.dumps({"update_id": 5, "edited_message": {"message_id": 1, "chat": {"id": 1}, "text": "x"}})
    response = client.post(f"/ch/telegram/{bot.uuid}/", body, content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret_token-1")
    assert response.status_code == 200 and InboundMessage.objects.count() == 0


def test_telegram_reply_goes_through_send_message(client, bot, provider, django_capture_on_commit_callbacks):
    provider.reply(200, {"ok": True, "result": {"message_id": 321}})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ch/telegram/{bot.uuid}/", tg_update(), content_type="application/json",
                    HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret_token-1")
    body = json.loads(provider.calls[0]["data"])
    assert body["chat_id"] == "777" and Report.objects.get().reference in body["text"]
    assert OutboundMessage.objects.get().provider_id == "321"


@pytest.fixture
def wa(make_channel):
    return make_channel("whatsapp", app_secret=APP_SECRET, verify_token="vt-123", access_token="EAAG",
                        phone_number_id="1098765")


def wa_body(text="Hubo un deslave en la colonia, ¿pueden ayudar? 🙏", msg_id="wamid.HBgM"):
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
               "value": {"messaging_product": "whatsapp",
                         "metadata": {"display_phone_number": "50422220000", "phone_number_id": "1098765"},
                         "contacts": [{"profile": {"name": "José Núñez"}, "wa_id": "50499990001"}],
                         "messages": [{"from": "50499990001", "id": msg_id, "timestamp": "1700000000",
                                       "type": "text", "text": {"body": text}}]}}]}]}
    # Meta escapes non-ASCII: the signed bytes are \\u escapes, not UTF-8.
    return json.dumps(payload, ensure_ascii=True).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_whatsapp_verification_echoes_the_challenge_only_with_the_right_token(client, wa):
    url = f"/ch/whatsapp/{wa.uuid}/?hub.mode=subscribe&hub.verify_token=vt-123&hub.challenge=1158201444"
    response = client.get(url)
    assert (response.status_code, response.content) == (200, b"1158201444")
    assert client.get(url.replace("vt-123", "nope")).status_code == 403


def test_whatsapp_signature_is_checked_over_the_raw_non_ascii_bytes(client, wa):
    body = wa_body()
    response = client.post(f"/ch/whatsapp/{wa.uuid}/", body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=sign(body))
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "Hubo un deslave en la colonia, ¿pueden ayudar? 🙏"
    assert (message.contact.address, message.contact.name) == ("+50499990001", "José Núñez")
    # The same JSON re-serialised as UTF-8 has a different signature: must be refused.
    reencoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
    response = client.post(f"/ch/whatsapp/{wa.uuid}/", reencoded, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=sign(body))
    assert response.status_code == 403


def test_whatsapp_statuses_update_delivery(client, wa):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    row = outbox.queue(channel=wa, contact=contact, text="hola")
    OutboundMessage.objects.filter(pk=row.pk).update(status="sent", provider_id="wamid.OUT")
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages",
                      "value": {"statuses": [{"id": "wamid.OUT", "status": "read", "timestamp": "1",
                                              "recipient_id": "50499990001"}]}}]}]}).encode()
    assert client.post(f"/ch/whatsapp/{wa.uuid}/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=sign(body)).status_code == 200
    row.refresh_from_db()
    assert row.status == "delivered"


def test_whatsapp_text_reply_only_inside_the_24_hour_window(client, wa, provider):
    body = wa_body()
    client.post(f"/ch/whatsapp/{wa.uuid}/", body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sign(body))
    provider.default.body = b'{"messages":[{"id":"wamid.REPLY"}]}'
    OutboundMessage.objects.all().delete()
    contact = Contact.objects.get()
    inside = outbox.queue(channel=wa, contact=contact, text="¿Dónde exactamente?")
    outbox.send_due()
    inside.refresh_from_db()
    assert (inside.status, inside.provider_id) == ("sent", "wamid.REPLY")
    call = provider.calls[0]
    assert call["url"] == "https://graph.facebook.com/v21.0/1098765/messages"
    assert json.loads(call["data"]) == {"messaging_product": "whatsapp", "to": "50499990001", "type": "text",
                                        "text": {"body": "¿Dónde exactamente?"}}
    InboundMessage.objects.update(received_at=timezone.now() - timedelta(hours=25))
    wa.next_send_at = None
    wa.save()
    outside = outbox.queue(channel=wa, contact=contact, text="¿Sigue ahí?")
    outbox.send_due()
    outside.refresh_from_db()
    assert outside.status == "failed" and "24-hour" in outside.error
    assert len(provider.calls) == 1


def test_whatsapp_malformed_body_is_400_and_kept(client, wa):
    body = b'{"object": "whatsapp_business_account"}'
    response = client.post(f"/ch/whatsapp/{wa.uuid}/", body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=sign(body))
    assert response.status_code == 400 and "entry" in response.json()["error"]
