"""SMS Gateway for Android (SMSGate): webhooks signed by the phone (HMAC-SHA256 over body +
timestamp), SMS and downloaded MMS in, delivery events by our own message id, sending through the
phone's local server, the cloud or a private server."""

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
from testigo.channels.types import base, get

PAYLOADS = Path(__file__).parent / "payloads" / "smsgate"
KEY = "Xn3kQp9a"  # the app's signing key: an 8-character NanoID unless the admin types another


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def signed(body: bytes, key: str = KEY, timestamp: int | None = None) -> dict:
    """PayloadSingingPlugin.kt: X-Signature = hex HMAC-SHA256(key, body + X-Timestamp)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"HTTP_X_TIMESTAMP": ts,
            "HTTP_X_SIGNATURE": hmac.new(key.encode(), body + ts.encode(), hashlib.sha256).hexdigest()}


@pytest.fixture
def channel(make_channel):
    return make_channel("smsgate", secret=KEY, username="sms", password="app-password")


def post(client, channel, body: bytes, headers: dict | None = None):
    headers = signed(body) if headers is None else headers
    return client.post(f"/ch/smsgate/{channel.uuid}/", body, content_type="application/json", **headers)


def test_a_received_sms_is_stored_with_its_time_in_utc(client, channel):
    assert post(client, channel, raw("sms_received.json")).status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "Android is always a sweet treat!"
    assert message.contact.address.endswith("6505551212")
    assert message.provider_id == "Ey6ECgOkVVFjz3CL48B8C"  # the event id, not the repeating messageId
    assert message.sent_at == datetime(2024, 6, 22, 8, 46, 11, tzinfo=UTC)


def test_a_retried_webhook_is_stored_once_and_two_identical_sms_twice(client, channel):
    body = raw("sms_received.json")
    post(client, channel, body)
    post(client, channel, body)  # the app's retry: same event id
    assert InboundMessage.objects.count() == 1
    second = json.loads(body)
    second["id"] = "Zz9Other-event-id-0001"  # same text, same messageId: a second SMS
    post(client, channel, json.dumps(second).encode())
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize("case", ["no signature", "wrong key", "old timestamp", "future timestamp", "body changed"])
def test_a_webhook_not_signed_by_the_phone_now_is_refused(client, channel, case):
    body = raw("sms_received.json")
    headers = {
        "no signature": {},
        "wrong key": signed(body, key="another"),
        "old timestamp": signed(body, timestamp=int(time.time()) - 301),
        "future timestamp": signed(body, timestamp=int(time.time()) + 301),
        "body changed": signed(body.replace(b"sweet", b"sour")),
    }[case]
    if case == "body changed":
        headers = signed(body)
        body = body.replace(b"sweet", b"sour")
    assert post(client, channel, body, headers).status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_downloaded_mms_is_stored_with_its_photo_which_the_worker_decodes(client, channel):
    body = raw("mms_downloaded_photo.json")
    assert post(client, channel, body).status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "Photo attachment\nHello! Here is the photo."
    attachment = extras_of(message)["attachments"][0]
    assert (attachment["kind"], attachment["ref"], attachment["extra"]) == ("image", "", {"index": 0})
    assert attachment["content_type"] == "image/jpeg" and attachment["filename"] == "photo.jpg"
    fetched = get("smsgate").fetch_media(channel, message, attachment)
    expected = base64.b64decode(json.loads(body)["payload"]["attachments"][0]["data"])
    assert fetched.data == expected and fetched.data.startswith(b"\xff\xd8")
    assert fetched.content_type == "image/jpeg"


def test_an_mms_part_over_the_size_cap_is_refused_without_decoding(client, channel, settings):
    post(client, channel, raw("mms_downloaded_photo.json"))
    message = InboundMessage.objects.get()
    settings.CHANNEL_MEDIA_MAX_BYTES = 100
    with pytest.raises(base.PermanentError, match="larger"):
        get("smsgate").fetch_media(channel, message, extras_of(message)["attachments"][0])


def test_mms_notices_pings_and_data_sms_are_acknowledged_without_storing(client, channel):
    for name in ("mms_received.json", "system_ping.json", "sms_data_received.json", "app_started.json"):
        assert post(client, channel, raw(name)).status_code == 200, name
    assert not InboundMessage.objects.exists()


def test_an_unreadable_payload_is_a_400(client, channel):
    assert post(client, channel, b'{"event": "sms:received", "id": "x", "payload": []}').status_code == 400
    body = json.loads(raw("sms_received.json"))
    del body["payload"]["sender"]
    assert post(client, channel, json.dumps(body).encode()).status_code == 400


def queue_one(channel, text="Gracias, recibimos su reporte"):
    contact, _ = Contact.objects.get_or_create(scheme="tel", address="+50499990001")
    return outbox.queue(channel=channel, contact=contact, text=text)


def test_a_reply_goes_to_the_cloud_server_with_our_id_and_basic_auth(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"smsgate": provider_server.url}
    provider_server.route("/messages", raw("send_response.json"), status=202,
                          headers={"Content-Type": "application/json"})
    row = queue_one(channel)
    outbox.send_due()
    request = provider_server.requests[0]
    assert request["method"] == "POST" and request["path"] == "/messages"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"sms:app-password").decode()
    assert json.loads(request["body"]) == {"textMessage": {"text": "Gracias, recibimos su reporte"},
                                           "phoneNumbers": ["+50499990001"], "id": str(row.pk),
                                           "withDeliveryReport": True}
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_reply_goes_to_the_phone_local_server_the_admin_gave(make_channel, provider_server):
    channel = make_channel("smsgate", secret=KEY, username="sms", password="pw", api_url=provider_server.url + "/")
    provider_server.route("/messages", raw("send_response.json"), status=202)
    row = queue_one(channel)
    outbox.send_due()
    assert provider_server.requests[0]["path"] == "/messages"
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_duplicate_id_answer_means_an_earlier_attempt_got_through(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"smsgate": provider_server.url}
    provider_server.route("/messages", {"message": "message with such ID already exists"}, status=409)
    row = queue_one(channel)
    outbox.send_due()
    row.refresh_from_db()
    assert row.status == "sent" and row.provider_id == str(row.pk)


def test_wrong_credentials_fail_and_an_unreachable_phone_retries(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"smsgate": provider_server.url}
    provider_server.route("/messages", {"message": "Unauthorized"}, status=401)
    row = queue_one(channel)
    outbox.send_due()
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.FAILED
    settings.CHANNEL_API_BASES = {"smsgate": "http://127.0.0.1:9"}  # nothing listens: phone off-line
    retried = queue_one(channel, "otra")
    outbox.send_due()
    retried.refresh_from_db()
    assert retried.status == OutboundMessage.Status.QUEUED


def test_delivery_events_move_our_outbox_row(client, channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"smsgate": provider_server.url}
    provider_server.route("/messages", raw("send_response.json"), status=202)
    row, failing = queue_one(channel), queue_one(channel, "x")
    outbox.send_due()
    for name, target in (("sms_sent.json", row), ("sms_delivered.json", row), ("sms_failed.json", failing)):
        event = json.loads(raw(name))
        event["payload"]["messageId"] = str(target.pk)
        event["id"] = name
        assert post(client, channel, json.dumps(event).encode()).status_code == 200
    row.refresh_from_db()
    failing.refresh_from_db()
    assert row.status == "delivered"
    assert failing.status == "failed" and failing.error == "Network error"


def test_mms_parts_are_told_apart_by_their_declared_type(client, channel):
    event = json.loads(raw("mms_downloaded_photo.json"))
    photo = event["payload"]["attachments"][0]
    event["payload"]["attachments"] = [
        photo,
        {"partId": 2, "contentType": "audio/amr", "name": "nota.amr", "size": 4, "data": "IyFBTVI="},
        {"partId": 3, "contentType": "video/3gpp", "name": None, "size": None, "data": None},
        {"partId": 4, "contentType": "text/x-vCard", "name": "contacto.vcf", "size": 3, "data": "QkVH"},
    ]
    assert post(client, channel, json.dumps(event).encode()).status_code == 200
    message = InboundMessage.objects.get()
    attachments = extras_of(message)["attachments"]
    assert [a["kind"] for a in attachments] == ["image", "voice", "video", "document"]
    assert get("smsgate").fetch_media(channel, message, attachments[1]).data == b"#!AMR"
    with pytest.raises(base.PermanentError, match="without its content"):
        get("smsgate").fetch_media(channel, message, attachments[2])
