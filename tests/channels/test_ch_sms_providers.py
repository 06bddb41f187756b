"""FrontlineSMS, Vonage and Africa's Talking: documented payloads in, API calls out."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlencode

import pytest

from testigo.channels import outbox
from testigo.channels.models import Contact, InboundMessage, OutboundMessage

FORM = "application/x-www-form-urlencoded"


def test_frontlinesms_forward_to_url_with_secret(client, make_channel):
    channel = make_channel("frontlinesms", secret="fl-secret", api_key="k-1")
    body = urlencode({"from": "+50499990001", "message": "Robo en el centro", "secret": "fl-secret"})
    response = client.post(f"/ch/frontlinesms/{channel.uuid}/", body, content_type=FORM)
    assert response.json() == {"payload": {"success": True, "error": None}}
    client.post(f"/ch/frontlinesms/{channel.uuid}/", body, content_type=FORM)  # re-forwarded
    assert InboundMessage.objects.count() == 1
    bad = urlencode({"from": "+50499990001", "message": "x", "secret": "nope"})
    assert client.post(f"/ch/frontlinesms/{channel.uuid}/", bad, content_type=FORM).status_code == 403
    missing = urlencode({"message": "x", "secret": "fl-secret"})
    response = client.post(f"/ch/frontlinesms/{channel.uuid}/", missing, content_type=FORM)
    assert response.status_code == 400 and "'from'" in response.json()["payload"]["error"]


def test_frontlinesms_outbound_uses_the_web_service_api(make_channel, provider):
    channel = make_channel("frontlinesms", secret="s", api_key="k-1")
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    row = outbox.queue(channel=channel, contact=contact, text="Gracias")
    outbox.send_due()
    call = provider.calls[0]
    assert call["url"] == "https://cloud.frontlinesms.com/api/1/webhook"
    assert json.loads(call["data"]) == {"apiKey": "k-1", "payload": {
        "message": "Gracias", "recipients": [{"type": "mobile", "value": "+50499990001"}]}}
    row.refresh_from_db()
    assert row.status == "sent"


def vonage_params(**extra):
    params = {"msisdn": "50499990001", "to": "50422220000", "messageId": "0A0000000123ABCD1",
              "text": "REPORTE balacera", "type": "text", "keyword": "REPORTE",
              "message-timestamp": "2024-05-01 12:00:00", "timestamp": "1714564800", "nonce": "abc-123"}
    params.update(extra)
    return params


def vonage_sig(params, secret, method):
    text = "".join(f"&{k}={str(v).replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items()))
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("method", ["md5hash", "hmac-sha256"])
def test_vonage_signed_inbound(client, make_channel, method):
    channel = make_channel("vonage", api_key="k", api_secret="s", from_number="Testigo",
                           signature_secret="sig-secret", signature_method=method)
    params = vonage_params(text="a&b=c")
    params["sig"] = vonage_sig(params, "sig-secret", method).upper()  # case of sig does not matter
    response = client.post(f"/ch/vonage/{channel.uuid}/", urlencode(params), content_type=FORM)
    assert response.status_code == 204
    message = InboundMessage.objects.get()
    assert (message.text, message.contact.address) == ("a&b=c", "+50499990001")
    params["text"] = "changed"
    assert client.post(f"/ch/vonage/{channel.uuid}/", urlencode(params), content_type=FORM).status_code == 403


def test_vonage_unsigned_needs_the_url_key_and_accepts_get(client, make_channel):
    channel = make_channel("vonage", api_key="k", api_secret="s", from_number="Testigo", secret="url-key")
    query = urlencode(vonage_params())
    assert client.get(f"/ch/vonage/{channel.uuid}/?{query}").status_code == 403
    assert client.get(f"/ch/vonage/{channel.uuid}/?key=url-key&{query}").status_code == 204
    assert InboundMessage.objects.get().sent_at.isoformat() == "2024-05-01T12:00:00+00:00"


def test_vonage_send_and_delivery_receipt(client, make_channel, provider):
    channel = make_channel("vonage", api_key="k", api_secret="s", from_number="Testigo", secret="url-key")
    provider.reply(200, {"message-count": "1", "messages": [{"status": "0", "message-id": "0B00000012345678"}]})
    row = outbox.queue(channel=channel, contact=Contact.objects.create(scheme="tel", address="+50499990001"),
                        text="¿Está a salvo?")
    outbox.send_due()
    fields = parse_qs(provider.calls[0]["data"].decode())
    assert fields["to"] == ["50499990001"] and fields["type"] == ["unicode"]
    dlr = urlencode({"msisdn": "50499990001", "to": "Testigo", "messageId": "0B00000012345678",
                     "status": "delivered", "err-code": "0"})
    assert client.post(f"/ch/vonage/{channel.uuid}/status/?key=url-key", dlr, content_type=FORM).status_code == 204
    row.refresh_from_db()
    assert (row.provider_id, row.status) == ("0B00000012345678", "delivered")


def test_africastalking_inbound_dlr_and_send(client, make_channel, provider):
    channel = make_channel("africastalking", secret="at-key", username="sandbox", api_key="atk")
    body = urlencode({"from": "+254711082000", "to": "22384", "text": "HELP", "date": "2024-05-01 12:00:00",
                      "id": "ATXid_1", "linkId": "", "networkCode": "63902"})
    assert client.post(f"/ch/africastalking/{channel.uuid}/", body, content_type=FORM).status_code == 403
    assert client.post(f"/ch/africastalking/{channel.uuid}/?key=at-key", body, content_type=FORM).status_code == 200
    provider.reply(201, {"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
        {"number": "+254711082000", "status": "Success", "statusCode": 101, "messageId": "ATXid_out"}]}})
    outbox.send_due()  # the HELP answer
    call = provider.calls[0]
    assert call["url"] == "https://api.sandbox.africastalking.com/version1/messaging"
    assert call["headers"]["apiKey"] == "atk" and parse_qs(call["data"].decode())["username"] == ["sandbox"]
    dlr = urlencode({"id": "ATXid_out", "status": "Failed", "phoneNumber": "+254711082000",
                     "failureReason": "UserInBlacklist"})
    client.post(f"/ch/africastalking/{channel.uuid}/status/?key=at-key", dlr, content_type=FORM)
    row = OutboundMessage.objects.get()
    assert (row.status, row.error) == ("failed", "UserInBlacklist")


def test_kannel_post_url_and_wrong_key(client, make_channel):
    channel = make_channel("kannel", secret="k", sendsms_url="https://sms.example.org/cgi-bin/sendsms", username="u", password="p")
    url = f"/ch/kannel/{channel.uuid}/?key=k&id=0f3c-uuid"
    response = client.post(url, "REPORTE árbol caído".encode(), content_type="text/plain; charset=utf-8",
                           HTTP_X_KANNEL_FROM="0050499990001", HTTP_X_KANNEL_TO="12345")
    assert response.status_code == 200 and response.content == b""
    message = InboundMessage.objects.get()
    assert (message.text, message.contact.address, message.provider_id) == (
        "REPORTE árbol caído", "+50499990001", "0f3c-uuid")
    response = client.get(f"/ch/kannel/{channel.uuid}/?key=nope&id=1&from=1&text=x")
    assert response.status_code == 403
    response = client.get(f"/ch/kannel/{channel.uuid}/?key=k&text=x")
    assert response.status_code == 400 and b"'sender'" in response.content


def test_vonage_long_sms_parts_are_joined_in_order_into_one_report(client, make_channel):
    from testigo.reports.models import Report

    channel = make_channel("vonage", api_key="k", api_secret="s", from_number="Testigo", secret="url-key")
    parts = ["REPORTE Se inundó la colonia ", "y hay familias en los techos ", "esperando rescate."]
    order = [2, 0, 1, 2]  # out of order, and the gateway retries one part
    for index in order:
        params = vonage_params(messageId=f"part-{index}", text=parts[index], concat="true",
                               **{"concat-ref": "77", "concat-total": "3", "concat-part": str(index + 1)})
        assert client.post(f"/ch/vonage/{channel.uuid}/?key=url-key", urlencode(params),
                           content_type=FORM).status_code == 204
    report = Report.objects.get()
    assert report.description == "Se inundó la colonia y hay familias en los techos esperando rescate."
    assert set(InboundMessage.objects.values_list("report", flat=True)) == {report.pk}
    missing = vonage_params(messageId="x", concat="true")
    response = client.post(f"/ch/vonage/{channel.uuid}/?key=url-key", urlencode(missing), content_type=FORM)
    assert response.status_code == 400 and b"concat-ref" in response.content
