"""The generic HTTP gateway: an aggregator's documented webhook and sending API, connected by the
channel's settings alone (field names, a body template), with no code for that aggregator."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from testigo.channels import outbox
from testigo.channels.inbound import extras_of
from testigo.channels.models import Contact, InboundMessage, OutboundMessage
from testigo.channels.types import get

PAYLOADS = Path(__file__).parent / "payloads" / "generic"
SECRET = "s3cret-key"


def payload(name: str):
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
def smsgateway24(make_channel):
    """Configured like SMSGateway24's incoming-message webhook (JSON: address, body, sms_id, date)."""
    return make_channel("generic_http", secret=SECRET, in_from="address", in_text="body", in_id="sms_id",
                        in_time="date")


def test_an_aggregators_json_webhook_is_read_with_the_configured_field_names(client, smsgateway24):
    response = client.post(f"/ch/generic_http/{smsgateway24.uuid}/?key={SECRET}",
                           json.dumps(payload("smsgateway24_incoming.json")), content_type="application/json")
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.contact.address, message.text) == ("+59171234567", "Corte de agua en la zona sur desde ayer")
    assert message.provider_id == "9183321"
    assert message.sent_at == datetime(2026, 3, 14, 9, 21, 5, tzinfo=UTC)
    assert "key" not in message.raw and message.raw["device_name"] == "Oficina La Paz"


def test_a_batch_keeps_its_good_messages_when_one_cannot_be_read(client, smsgateway24):
    url = f"/ch/generic_http/{smsgateway24.uuid}/?key={SECRET}"
    batch = payload("smsgateway24_batch.json")
    assert client.post(url, json.dumps(batch), content_type="application/json").status_code == 200
    assert sorted(InboundMessage.objects.values_list("text", flat=True)) == ["Primer mensaje", "Segundo mensaje"]
    response = client.post(url, json.dumps([batch[1]]), content_type="application/json")
    assert response.status_code == 400 and "sender" in response.json()["error"]


def test_a_kannel_style_get_works_with_the_default_field_names(client, make_channel):
    channel = make_channel("generic_http", secret=SECRET)
    query = urlencode({"key": SECRET, "from": "+50499990001", "text": "Robo en el mercado", "id": "k-77",
                       "time": "1714564800"})
    assert client.get(f"/ch/generic_http/{channel.uuid}/?{query}").status_code == 200
    client.get(f"/ch/generic_http/{channel.uuid}/?{query}")  # the gateway retries: stored once
    message = InboundMessage.objects.get()
    assert (message.text, message.provider_id) == ("Robo en el mercado", "k-77")
    assert message.sent_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_media_urls_in_a_form_post_become_attachments_the_worker_fetches(client, make_channel, provider_server):
    channel = make_channel("generic_http", secret=SECRET, in_media="MediaUrl0,MediaUrl1")
    provider_server.route("/media/foto.jpg", b"\xff\xd8\xff jpeg", headers={"Content-Type": "image/jpeg"})
    body = urlencode({"From": "+50499990001", "Body": "mire", "MessageSid": "MM1",
                      "MediaUrl0": provider_server.url + "/media/foto.jpg", "MediaUrl1": "javascript:alert(1)"})
    response = client.post(f"/ch/generic_http/{channel.uuid}/?key={SECRET}", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    [attachment] = extras_of(message)["attachments"]
    assert (attachment["kind"], attachment["filename"]) == ("image", "foto.jpg")
    fetched = get("generic_http").fetch_media(channel, message, attachment)
    assert fetched.data == b"\xff\xd8\xff jpeg" and fetched.filename == "foto.jpg"


def test_nested_json_fields_are_reached_by_a_dotted_path(client, make_channel):
    channel = make_channel("generic_http", secret=SECRET, in_from="payload.sender", in_text="payload.message",
                           in_id="id", in_time="payload.receivedAt")
    event = {"id": "Ey6E", "event": "sms:received",
             "payload": {"sender": "+50499990001", "message": "Hola", "receivedAt": "2024-06-22T15:46:11.000+07:00"}}
    client.post(f"/ch/generic_http/{channel.uuid}/?key={SECRET}", json.dumps(event), content_type="application/json")
    message = InboundMessage.objects.get()
    assert (message.text, message.sent_at) == ("Hola", datetime(2024, 6, 22, 8, 46, 11, tzinfo=UTC))


def test_the_secret_is_required_where_the_admin_said_it_comes(client, make_channel):
    in_url = make_channel("generic_http", secret=SECRET)
    body = {"from": "+50499990001", "text": "x"}
    url = f"/ch/generic_http/{in_url.uuid}/"
    assert client.post(url + "?key=wrong", body).status_code == 403
    assert client.post(url, body).status_code == 403
    in_header = make_channel("generic_http", secret=SECRET, secret_header="X-Webhook-Token")
    url = f"/ch/generic_http/{in_header.uuid}/"
    assert client.post(url + f"?key={SECRET}", body).status_code == 403
    assert client.post(url, body, HTTP_X_WEBHOOK_TOKEN=SECRET).status_code == 200
    assert InboundMessage.objects.count() == 1


def send_through(channel, text="Gracias por su reporte"):
    contact, _ = Contact.objects.get_or_create(scheme="tel", address="+573001234567")
    row = outbox.queue(channel=channel, contact=contact, text=text)
    outbox.send_due()
    row.refresh_from_db()
    return row


@pytest.fixture
def trucontact(make_channel, provider_server):
    """Configured like TruContact's SMS API (Colombia): JSON POST, X-API-KEY header, smsId back."""
    provider_server.route("/send_sms", payload("trucontact_send_response.json"))
    return make_channel("generic_http", secret=SECRET, out_url=provider_server.url + "/send_sms",
                        out_content_type="json", out_body='{"recipient": "{{to}}", "messageBody": "{{text}}"}',
                        out_header="X-API-KEY: tc-key", out_ok="200", out_id_path="smsId")


def test_a_reply_is_sent_as_the_aggregators_documented_json(trucontact, provider_server):
    row = send_through(trucontact, text='Dijo "gracias" — ¿algo más?\nFin')
    request = provider_server.requests[0]
    assert request["method"] == "POST" and request["path"] == "/send_sms"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-type"] == "application/json" and headers["x-api-key"] == "tc-key"
    assert json.loads(request["body"]) == {"recipient": "+573001234567", "messageBody": 'Dijo "gracias" — ¿algo más?\nFin'}
    assert row.status == "sent" and row.provider_id == "64ccdfb4ddf40404f498e5b2"


def test_a_get_gateway_gets_its_parameters_encoded_in_the_url(make_channel, provider_server):
    provider_server.route("/cgi-bin/sendsms", b"0: Accepted for delivery", status=202)
    channel = make_channel("generic_http", secret=SECRET, out_url=provider_server.url + "/cgi-bin/sendsms?smsc=tigo",
                           out_method="GET", out_body="to={{to}}&text={{text}}&from={{from}}&dlr={{id}}",
                           from_number="Testigo", out_user="tester", out_password="p&ss", out_ok="202")
    row = send_through(channel, text="Sí & no = 100%")
    request = provider_server.requests[0]
    assert request["method"] == "GET"
    query = parse_qs(urlsplit(request["path"]).query)
    assert query == {"smsc": ["tigo"], "to": ["+573001234567"], "text": ["Sí & no = 100%"], "from": ["Testigo"],
                     "dlr": [str(row.pk)]}
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"tester:p&ss").decode()
    assert row.status == "sent" and row.provider_id == f"generic-{row.pk}"


def test_an_answer_outside_the_success_statuses_fails_or_retries_without_quoting_it(trucontact, provider_server):
    provider_server.route("/send_sms", b"<html>internal detail: db password x</html>", status=400)
    failed = send_through(trucontact)
    assert failed.status == OutboundMessage.Status.FAILED and "400" in failed.error
    assert "password" not in failed.error
    provider_server.route("/send_sms", b"busy", status=503)
    retried = send_through(trucontact, "otra")
    assert retried.status == OutboundMessage.Status.QUEUED and "503" in retried.error


def test_a_body_template_that_is_not_json_once_filled_fails_the_message(trucontact, provider_server):
    trucontact.config["out_body"] = '{"recipient": {{to}}}'
    trucontact.save()
    row = send_through(trucontact)
    assert row.status == OutboundMessage.Status.FAILED and "JSON" in row.error
    assert provider_server.requests == []


def test_a_sending_url_on_a_private_network_is_refused_unless_the_operator_allows_it(trucontact, provider_server,
                                                                                     settings):
    settings.ALLOW_PRIVATE_GATEWAYS = False
    row = send_through(trucontact)
    assert row.status == OutboundMessage.Status.FAILED and "TESTIGO_ALLOW_PRIVATE_GATEWAYS" in row.error
    assert provider_server.requests == []
