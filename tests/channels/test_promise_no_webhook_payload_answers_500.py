"""Promise: whatever a gateway (or anyone who knows a webhook URL) sends — NULs, JSON nested
thousands deep, 30-digit numbers, lists where text belongs, missing fields, bytes that are not
UTF-8 — every registered channel type answers with a clear 4xx, never a 500. A readable message
with an impossible timestamp is kept, dated by its reception."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from testigo.channels.models import InboundMessage, InboundRejected
from testigo.channels.types import all_types

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
HUGE = 10**30
DEEP = "[" * 5000 + "]" * 5000
# Every field name the registered types read, so each payload reaches each type's parser.
NAMES = ["from", "message", "message_id", "sent_timestamp", "secret", "id", "text", "time", "MessageSid", "From",
         "Body", "MessageStatus", "messageId", "msisdn", "message-timestamp", "concat", "concat-ref", "concat-total",
         "concat-part", "status", "st", "update_id", "entry", "queued_messages", "message_result", "date"]

PAYLOADS = {
    "nul_form": (FORM, urlencode({n: "a\x00b" for n in NAMES} | {"concat": "true"})),
    "nul_json": (JSON, json.dumps({n: "a\u0000b" for n in NAMES})),
    "deep_json": (JSON, DEEP),
    "deep_json_in_field": (JSON, json.dumps({"message_result": DEEP, "from": "+50499990001", "message": "x"})),
    "deep_json_within_limit_elsewhere": (JSON, '{"update_id": 1, "message": ' + "[" * 40 + "]" * 40 + "}"),
    "huge_numbers_json": (JSON, json.dumps({n: HUGE for n in NAMES} | {
        "message": {"date": HUGE, "chat": {"id": HUGE}, "text": "x", "from": {"first_name": HUGE}},
        "entry": [{"changes": [{"value": {"messages": [{"id": "w", "from": "504", "timestamp": str(HUGE)}]}}]}]})),
    "huge_numbers_form": (FORM, urlencode({n: str(HUGE) for n in NAMES} | {"concat": "true"})),
    "digits_beyond_python_limit": (JSON, '{"update_id": ' + "9" * 5000 + "}"),
    "wrong_types_json": (JSON, json.dumps({n: [{"x": None}] for n in NAMES} | {
        "update_id": [], "message": {"chat": {"id": []}, "from": [], "text": {"a": 1}, "date": []},
        "entry": [None, 5, {"changes": [5, {"value": {"messages": [{"id": [], "from": 5}], "contacts": [5],
                                                      "statuses": [{"id": [], "status": "sent"}]}}]}],
        "queued_messages": [{"x": 1}, None], "message_result": [{"uuid": {"a": 1}}, 5]})),
    "wrong_types_json_top_level_list": (JSON, "[1, 2, 3]"),
    "json_null": (JSON, "null"),
    "missing_fields_json": (JSON, "{}"),
    "missing_fields_form": (FORM, ""),
    "not_utf8_json": (JSON, b"\xff\xfe{\x00"),
    "not_utf8_form": (FORM, b"from=\xff&message=\xfe"),
    "truncated_json": (JSON, '{"from": "+504'),
}
POST_QUERIES = ["", "?task=result", "?task=sent&key=k"]  # SMSSync's tasks; the URL key of key-checked types
GET_QUERIES = ["?key=k&id=1&from=%2B504&text=%00&time=" + str(HUGE), "?key=k&id=a%00&st=x%00",
               "?key=k&messageId=1&msisdn=504&message-timestamp=99999-99-99", "?task=send&secret=k",
               "?hub.mode=subscribe&hub.challenge=%00&hub.verify_token=k", "?key=k&st=1&id=" + "9" * 5000,
               "?key=k&st=1&id=" + "9" * 30]


def webhook_types():
    return sorted(code for code, kind in all_types().items() if kind.webhook)


@pytest.fixture
def no_crash_client():
    return Client(raise_request_exception=False)  # a 500 is a status to assert on, not an exception


def channel_of(make_channel, code: str):
    config = {f.key: "https://gateway.example.org/x" if getattr(f, "kind", "") == "url" else "k" for f in all_types()[code].config_fields}
    if code == "vonage":
        config.pop("signature_secret")  # unsigned: the URL key (k) authenticates
    return make_channel(code, **config)


@pytest.mark.parametrize("code", webhook_types())
@pytest.mark.parametrize("authenticated", [True, False], ids=["authenticated", "unauthenticated"])
def test_promise_every_channel_type_answers_malformed_payloads_without_a_500(
        code, authenticated, make_channel, no_crash_client, monkeypatch, settings):
    settings.ALLOW_PRIVATE_GATEWAYS = True  # nothing is sent here; the dummy gateway address is irrelevant
    channel = channel_of(make_channel, code)
    if authenticated:  # every type's own check is tested elsewhere; here the parser faces the payload
        monkeypatch.setattr(type(all_types()[code]), "verify", lambda self, channel, request, action: True)
    failures = []
    for action in ("", "status/"):
        base = f"/ch/{code}/{channel.uuid}/{action}"
        for name, (ctype, body) in PAYLOADS.items():
            for query in POST_QUERIES:
                status = no_crash_client.post(base + query, body, content_type=ctype).status_code
                failures += [f"POST {name} {action}{query} -> {status}"] if status >= 500 else []
        for query in GET_QUERIES:
            status = no_crash_client.get(base + query).status_code
            failures += [f"GET {action}{query} -> {status}"] if status >= 500 else []
    assert not failures, "\n".join(failures[:20])
    # Bounded: however many unreadable payloads arrived, only the hourly sample is kept.
    from testigo.channels.services import REJECTED_SAMPLES_PER_HOUR

    assert InboundRejected.objects.filter(channel=channel).count() <= REJECTED_SAMPLES_PER_HOUR


def telegram_update(date) -> str:
    return json.dumps({"update_id": 1, "message": {"message_id": 1, "date": date, "text": "REPORTE robo",
                                                   "chat": {"id": 777}, "from": {"id": 777}}})


@pytest.mark.parametrize("date", [int("9" * 30), -1, 2**63, "soon", 0, None])
def test_promise_telegram_message_with_an_impossible_date_is_kept_and_dated_by_its_reception(
        client, make_channel, date):
    bot = make_channel("telegram", bot_token="123:ABC", secret_token="tok")
    response = client.post(f"/ch/telegram/{bot.uuid}/", telegram_update(date), content_type=JSON,
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tok")
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "REPORTE robo" and message.sent_at is None and message.received_at is not None


def test_promise_smssync_sms_with_an_impossible_timestamp_is_kept(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = urlencode({"secret": "s3cret", "from": "+50499990001", "message": "hola", "sent_timestamp": "9" * 30})
    assert client.post(f"/ch/smssync/{phone.uuid}/", body, content_type=FORM).status_code == 200
    assert InboundMessage.objects.get().sent_at is None


def test_promise_deeply_nested_webhook_json_is_a_clear_400(client, make_channel):
    from testigo.core import untrusted

    bot = make_channel("telegram", bot_token="123:ABC", secret_token="tok")
    response = client.post(f"/ch/telegram/{bot.uuid}/", '{"update_id": 1, "message": ' + DEEP + "}",
                           content_type=JSON, HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tok")
    assert response.status_code == 400
    assert f"nested deeper than {untrusted.MAX_JSON_DEPTH} levels" in response.json()["error"]
    assert InboundRejected.objects.get().channel == bot


def test_promise_an_email_with_an_impossible_date_is_dated_by_its_arrival():
    from testigo.channels.types.email import parse_message

    raw = b"From: Ana <ana@example.org>\r\nDate: Mon, 1 Jan 1900 00:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nhola"
    assert parse_message(raw).sent_at is None
    good = raw.replace(b"1900", b"2024")
    assert parse_message(good).sent_at.year == 2024


def test_promise_a_form_field_named_like_the_multipart_marker_does_not_block_processing(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = urlencode({"secret": "s3cret", "from": "+50499990001", "message": "REPORTE robo", "_concat": "x"})
    assert client.post(f"/ch/smssync/{phone.uuid}/", body, content_type=FORM).status_code == 200
    message = InboundMessage.objects.get()
    assert message.processed_at is not None and message.report is not None
    assert "_concat" not in message.raw
