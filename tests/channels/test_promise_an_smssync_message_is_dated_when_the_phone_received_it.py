"""SMSSync's docs say `sent_timestamp` is a UNIX timestamp (seconds); the app sends milliseconds
(Java's Date.getTime()). Both date the message when the phone received it, not in 1970 or 55000."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from testigo.channels.models import InboundMessage


@pytest.fixture
def phone(make_channel):
    return make_channel("smssync", secret="s3cret")


def post(client, phone, stamp):
    body = urlencode({"from": "+50499990001", "message": "hola", "message_id": f"m-{stamp}", "secret": "s3cret",
                      "sent_timestamp": stamp})
    assert client.post(f"/ch/smssync/{phone.uuid}/", body,
                       content_type="application/x-www-form-urlencoded").status_code == 200
    return InboundMessage.objects.get(provider_id=f"m-{stamp}").sent_at


def test_seconds_as_the_docs_say(client, phone):
    assert post(client, phone, "1700000000") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_milliseconds_as_the_app_sends_and_seconds_date_the_same_moment(client, phone):
    assert post(client, phone, "1700000000123").timestamp() == pytest.approx(1700000000.123)
    assert post(client, phone, "1700000000").timestamp() == pytest.approx(1700000000)
    assert post(client, phone, "ayer") is None  # unreadable: dated by its arrival (received_at)
