"""SMSSync: the four requests exactly as the Android app (v3.1.1) sends them."""

from __future__ import annotations

import json

import pytest

from testigo.channels import outbox
from testigo.channels.models import Contact, OutboundMessage

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def phone(make_channel):
    return make_channel("smssync", secret="s3 cret&")


@pytest.fixture
def queued(phone):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    return [outbox.queue(channel=phone, contact=contact, text=f"Respuesta {i}") for i in range(2)]


def test_task_send_hands_queued_messages_to_the_phone_with_the_secret(client, phone, queued):
    response = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s3+cret%26")
    payload = response.json()["payload"]
    assert response.status_code == 200
    assert payload["task"] == "send" and payload["secret"] == "s3 cret&"
    assert [m["to"] for m in payload["messages"]] == ["+50499990001"] * 2
    assert [m["message"] for m in payload["messages"]] == ["Respuesta 0", "Respuesta 1"]
    uuids = [m["uuid"] for m in payload["messages"]]
    assert len(set(uuids)) == 2
    # Handed out once: the next poll does not send them again.
    again = client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s3+cret%26").json()
    assert again["payload"]["messages"] == []


def test_task_send_without_secret_is_refused(client, phone, queued):
    response = client.get(f"/ch/smssync/{phone.uuid}/?task=send")
    assert response.status_code == 403
    assert response.json() == {"payload": {"success": False, "error": "Incorrect or missing secret key"}}


def test_task_sent_has_no_secret_and_echoes_only_our_uuids(client, phone, queued):
    uuids = [m["uuid"] for m in client.get(
        f"/ch/smssync/{phone.uuid}/?task=send&secret=s3+cret%26").json()["payload"]["messages"]]
    body = json.dumps({"queued_messages": uuids + ["not-ours"]})
    response = client.post(f"/ch/smssync/{phone.uuid}/?task=sent", body, content_type="application/json")
    assert response.status_code == 200
    assert sorted(response.json()["message_uuids"]) == sorted(uuids)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_task_result_lists_pending_and_accepts_the_double_encoded_results(client, phone, queued):
    base = f"/ch/smssync/{phone.uuid}/"
    uuids = [m["uuid"] for m in client.get(f"{base}?task=send&secret=s3+cret%26").json()["payload"]["messages"]]
    client.post(f"{base}?task=sent", json.dumps({"queued_messages": uuids}), content_type="application/json")
    pending = client.get(f"{base}?task=result&secret=s3+cret%26").json()["message_uuids"]
    assert sorted(pending) == sorted(uuids)
    results = [
        {"uuid": uuids[0], "sent_result_code": 0, "sent_result_message": "SMSSync Message Sent",
         "delivered_result_code": 0, "delivered_result_message": "SMS Delivered",
         "sent_timestamp": "Feb 14, 2017 10:08:57 AM", "delivered_timestamp": "Feb 14, 2017 10:09:01 AM"},
        {"uuid": uuids[1], "sent_result_code": 1, "sent_result_message": "Generic failure",
         "delivered_result_code": -1, "delivered_result_message": ""},
    ]
    # Gson-serialised array put into an org.json object as a string: the real wire format.
    body = json.dumps({"message_result": json.dumps(results)})
    response = client.post(f"{base}?task=result&secret=s3+cret%26", body, content_type="application/json")
    assert response.status_code == 200
    statuses = dict(OutboundMessage.objects.values_list("provider_id", "status"))
    assert statuses == {uuids[0]: "delivered", uuids[1]: "failed"}
    # A plain JSON array is accepted too.
    body = json.dumps({"message_result": [dict(results[0], uuid="unknown")]})
    assert client.post(f"{base}?task=result&secret=s3+cret%26", body, content_type="application/json").status_code == 200


def test_task_result_with_garbage_is_400(client, phone):
    body = json.dumps({"message_result": "[{not json"})
    response = client.post(f"/ch/smssync/{phone.uuid}/?task=result&secret=s3+cret%26", body,
                           content_type="application/json")
    assert response.status_code == 400
    assert "message_result" in response.json()["payload"]["error"]


def test_inbound_json_sync_scheme_is_accepted(client, phone):
    body = json.dumps({"from": "+50499990001", "message": "Incendio", "message_id": "u1", "secret": "s3 cret&",
                       "sent_timestamp": "1700000000000"})
    response = client.post(f"/ch/smssync/{phone.uuid}/", body, content_type="application/json")
    assert response.status_code == 200
    assert Contact.objects.get().address == "+50499990001"
