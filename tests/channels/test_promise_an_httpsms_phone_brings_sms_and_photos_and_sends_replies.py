"""httpSMS: an Android phone relayed by httpsms.com. Signed CloudEvents in (an HS256 JWT built as
httpSMS's webhook_service.go builds it), messages out through /v1/messages/send, MMS parts fetched."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testigo.channels import outbox
from testigo.channels.inbound import extras_of
from testigo.channels.models import Contact, InboundMessage, OutboundMessage
from testigo.channels.selectors import webhook_url
from testigo.channels.types import base, get

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

PAYLOADS = Path(__file__).parent / "payloads" / "httpsms"
KEY = "signing-key-from-the-channel"
HOST = "testigo.example.org"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def httpsms_token(key: str, url: str, *, now: float | None = None, alg: str = "HS256", issuer: str = "api.httpsms.com",
                  lifetime: int = 600) -> str:
    """getAuthToken in api/pkg/services/webhook_service.go: RegisteredClaims signed with HS256."""
    now = time.time() if now is None else now
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iss": issuer, "sub": "XtABz6zdeFMoBLoltz6SREDvRSh2", "aud": [url],
                             "exp": int(now + lifetime), "nbf": int(now - 600), "iat": int(now)}).encode())
    signature = b64(hmac.new(key.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
    return f"{header}.{claims}.{signature}"


@pytest.fixture
def channel(make_channel, settings):
    settings.CHANNEL_BASE_URL = f"https://{HOST}"
    settings.ALLOWED_HOSTS = [HOST]
    return make_channel("httpsms", secret=KEY, api_key="hs-api-key", from_number="+37253920216")


def deliver(client, channel, event: dict, token: str | None = "auto"):
    if token == "auto":
        token = httpsms_token(KEY, webhook_url(channel))
    headers = {"HTTP_HOST": HOST, "HTTP_X_EVENT_TYPE": event.get("type", "")}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(f"/ch/httpsms/{channel.uuid}/", json.dumps(event), content_type="application/json", **headers)


def test_a_received_sms_with_mms_parts_becomes_a_message_with_its_attachments(client, channel):
    response = deliver(client, channel, payload("received.json"))
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "Hay un bloqueo en la carretera"
    assert message.contact.address == "+50499990001"  # `contact` is the sender; `owner` is our phone
    assert message.provider_id == "8dca3b0a-446a-4a5d-8d2a-95314926c4ed"
    assert message.sent_at == datetime(2024, 1, 21, 12, 27, 17, 949000, tzinfo=UTC)
    attachments = extras_of(message)["attachments"]
    assert [(a["kind"], a["filename"]) for a in attachments] == [("image", "foto.jpg"), ("voice", "audio.amr")]
    assert attachments[0]["ref"].startswith("https://api.httpsms.com/v1/attachments/")


def test_an_event_httpsms_sends_again_is_stored_once(client, channel):
    assert deliver(client, channel, payload("received.json")).status_code == 200
    assert deliver(client, channel, payload("received.json")).status_code == 200
    assert InboundMessage.objects.count() == 1


def test_an_encrypted_message_is_kept_and_says_it_cannot_be_read(client, channel):
    assert deliver(client, channel, payload("received_encrypted.json")).status_code == 200
    message = InboundMessage.objects.get()
    assert "encrypted" in message.text and "bdmZ7n6JVf" not in message.text
    assert message.raw["data"]["content"] == "bdmZ7n6JVf/ST+SoNlSaOGUL1DcL5705ETw8GAB4llYBgE9HOOL+Pu/h+w=="


@pytest.mark.parametrize("token", [
    None,  # no signing key set in httpSMS: no Authorization header
    "wrong-key",
    "other-url",
    "expired",
    "alg-none",
    "other-issuer",
    "garbage",
])
def test_a_request_without_httpsms_valid_token_for_this_channel_is_refused(client, channel, token):
    url = webhook_url(channel)
    tokens = {
        None: None,
        "wrong-key": httpsms_token("another-key", url),
        "other-url": httpsms_token(KEY, "https://attacker.example/hook"),
        "expired": httpsms_token(KEY, url, now=time.time() - 3600),
        "alg-none": httpsms_token(KEY, url, alg="none"),
        "other-issuer": httpsms_token(KEY, url, issuer="evil.example"),
        "garbage": "a.b",
    }
    assert deliver(client, channel, payload("received.json"), token=tokens[token]).status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_channel_without_a_signing_key_refuses_every_request(client, channel):
    channel.config = {k: v for k, v in channel.config.items() if k != "secret"}
    channel.save()
    token = httpsms_token("", webhook_url(channel))
    assert deliver(client, channel, payload("received.json"), token=token).status_code == 403


def test_heartbeats_are_acknowledged_and_store_nothing(client, channel):
    response = deliver(client, channel, payload("heartbeat_offline.json"))
    assert response.status_code == 200
    assert not InboundMessage.objects.exists()


def test_a_payload_that_is_not_a_cloudevent_is_a_400(client, channel):
    assert deliver(client, channel, {"type": "message.phone.received", "data": "x"}).status_code == 400
    event = payload("received.json")
    del event["data"]["contact"]
    assert deliver(client, channel, event).status_code == 400


def send_one(channel, provider_server, status=200, body=None):
    provider_server.route("/v1/messages/send", body if body is not None else payload("send_response.json"),
                          status=status)
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    row = outbox.queue(channel=channel, contact=contact, text="Gracias, recibimos su reporte")
    outbox.send_due()
    row.refresh_from_db()
    return row


def test_a_reply_goes_out_from_the_phone_with_our_outbox_id(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"httpsms": provider_server.url}
    row = send_one(channel, provider_server)
    request = provider_server.requests[0]
    assert request["method"] == "POST" and request["path"] == "/v1/messages/send"
    assert {k.lower(): v for k, v in request["headers"].items()}["x-api-key"] == "hs-api-key"
    assert json.loads(request["body"]) == {"from": "+37253920216", "to": "+50499990001",
                                           "content": "Gracias, recibimos su reporte", "encrypted": False,
                                           "request_id": str(row.pk)}
    assert row.status == "sent" and row.provider_id == "32343a19-da5e-4b1b-a767-3298a73703cb"


def test_a_refused_api_key_fails_the_message_and_an_outage_retries_it(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"httpsms": provider_server.url}
    row = send_one(channel, provider_server, status=401, body=payload("unauthorized.json"))
    assert row.status == OutboundMessage.Status.FAILED and "401" in row.error
    provider_server.route("/v1/messages/send", {"status": "error"}, status=500)
    contact = Contact.objects.get()
    retried = outbox.queue(channel=channel, contact=contact, text="otra")
    outbox.send_due()
    retried.refresh_from_db()
    assert retried.status == OutboundMessage.Status.QUEUED and "500" in retried.error


def test_delivery_events_move_the_outbox_row_found_by_our_request_id(client, channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"httpsms": provider_server.url}
    row = send_one(channel, provider_server)
    for name in ("sent.json", "delivered.json"):
        event = payload(name)
        event["data"]["request_id"] = str(row.pk)
        assert deliver(client, channel, event).status_code == 200
    row.refresh_from_db()
    assert row.status == "delivered"

    other = outbox.queue(channel=channel, contact=row.contact, text="x")
    outbox.send_due()
    event = payload("failed.json")
    event["data"]["request_id"] = str(other.pk)
    deliver(client, channel, event)
    other.refresh_from_db()
    assert other.status == "failed" and other.error == "RESULT_ERROR_GENERIC_FAILURE"


def test_an_expiry_httpsms_will_retry_is_not_a_failure(client, channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"httpsms": provider_server.url}
    row = send_one(channel, provider_server)
    event = payload("expired.json")
    event["data"].update(request_id=str(row.pk), is_final=False)
    deliver(client, channel, event)
    row.refresh_from_db()
    assert row.status == "sent"
    event["data"]["is_final"] = True
    event["id"] = "another-event"
    deliver(client, channel, event)
    row.refresh_from_db()
    assert row.status == "failed" and row.error == "expired"


def test_the_worker_fetches_an_mms_part_from_httpsms(client, channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"httpsms": provider_server.url}
    event = payload("received.json")
    path = "/v1/attachments/XtABz6zdeFMoBLoltz6SREDvRSh2/0681b838-4157-44bb-a4ea-721e40ee7ca7/0/foto.jpg"
    event["data"]["attachments"] = [provider_server.url + path]
    provider_server.route(path, b"\xff\xd8\xff\xe0 jpeg bytes", headers={"Content-Type": "image/jpeg"})
    deliver(client, channel, event)
    message = InboundMessage.objects.get()
    attachment = extras_of(message)["attachments"][0]
    fetched = get("httpsms").fetch_media(channel, message, attachment)
    assert fetched.data == b"\xff\xd8\xff\xe0 jpeg bytes" and fetched.content_type == "image/jpeg"
    assert fetched.filename == "foto.jpg"
    assert "x-api-key" not in {k.lower() for k in provider_server.requests[-1]["headers"]}


def test_an_attachment_url_on_another_host_is_not_fetched_from_a_private_address(channel, provider_server, settings):
    settings.ALLOW_PRIVATE_GATEWAYS = False  # httpSMS's own API stays at its default, public host
    attachment = {"kind": "image", "ref": provider_server.url + "/x.jpg", "filename": "x.jpg"}
    provider_server.route("/x.jpg", b"secret intranet bytes")
    with pytest.raises(base.PermanentError):
        get("httpsms").fetch_media(channel, None, attachment)
    assert provider_server.requests == []
