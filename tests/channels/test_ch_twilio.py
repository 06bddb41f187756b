"""Twilio: signature over the full URL (query string included) and every parameter; TwiML; API."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlencode

import pytest

from testigo.channels import outbox
from testigo.channels.models import Contact, InboundMessage, OutboundMessage
from testigo.channels.types.twilio import signature

TOKEN = "12345"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def channel(make_channel, settings):
    settings.CHANNEL_BASE_URL = "https://testigo.example.org"
    settings.ALLOWED_HOSTS = ["testigo.example.org"]
    return make_channel("twilio", account_sid="ACxxxxxxxx", auth_token=TOKEN, from_number="+15005550006")


def documented_signature(url: str, params: dict) -> str:
    """Twilio's docs, step by step, independent of our implementation."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def inbound_params(**extra):
    params = {"MessageSid": "SM0123456789abcdef", "SmsSid": "SM0123456789abcdef",
              "SmsMessageSid": "SM0123456789abcdef", "AccountSid": "ACxxxxxxxx", "From": "+50499990001",
              "To": "+15005550006", "Body": "Robo en la colonia Kennedy", "NumMedia": "0", "NumSegments": "1",
              "FromCountry": "HN", "ApiVersion": "2010-04-01", "SmsStatus": "received"}
    params.update(extra)
    return params


def post(client, channel, params, sig, path="", query="?lang=es&x=1"):
    url_path = f"/ch/twilio/{channel.uuid}/{path}{query}"
    return client.post(url_path, urlencode(params), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=sig,
                       HTTP_HOST="testigo.example.org")


def test_documented_example_signature_matches():
    # The example from Twilio's webhook-security documentation and twilio-python's tests.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert signature("12345", url, list(params.items())) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_signed_inbound_over_url_with_query_string_is_stored_and_answered_with_twiml(client, channel):
    params = inbound_params(FromCity="TEGUCIGALPA", NewParamTwilioAddedLater="x")
    url = f"https://testigo.example.org/ch/twilio/{channel.uuid}/?lang=es&x=1"
    response = post(client, channel, params, documented_signature(url, params))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    message = InboundMessage.objects.get()
    assert (message.provider_id, message.text) == ("SM0123456789abcdef", "Robo en la colonia Kennedy")


def test_signature_accepts_url_with_explicit_default_port(client, channel):
    params = inbound_params()
    url = f"https://testigo.example.org:443/ch/twilio/{channel.uuid}/?lang=es&x=1"
    assert post(client, channel, params, documented_signature(url, params)).status_code == 200


def test_signature_must_cover_every_parameter(client, channel):
    params = inbound_params()
    url = f"https://testigo.example.org/ch/twilio/{channel.uuid}/?lang=es&x=1"
    sig = documented_signature(url, params)
    tampered = dict(params, Body="otro texto")
    assert post(client, channel, tampered, sig).status_code == 403
    assert post(client, channel, dict(params, Extra="1"), sig).status_code == 403
    assert post(client, channel, params, sig, query="?lang=en&x=1").status_code == 403
    assert InboundMessage.objects.count() == 0
    channel.refresh_from_db()
    assert channel.auth_failures == 3


def test_status_callback_updates_delivery(client, channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    row = outbox.queue(channel=channel, contact=contact, text="hola")
    OutboundMessage.objects.filter(pk=row.pk).update(status="sent", provider_id="SMabc")
    params = {"MessageSid": "SMabc", "MessageStatus": "undelivered", "SmsStatus": "undelivered",
              "ErrorCode": "30003", "AccountSid": "ACxxxxxxxx", "From": "+15005550006", "To": "+50499990001",
              "ApiVersion": "2010-04-01"}
    url = f"https://testigo.example.org/ch/twilio/{channel.uuid}/status/"
    response = post(client, channel, params, documented_signature(url, params), path="status/", query="")
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.error) == ("failed", "30003")


def test_send_posts_to_messages_api_with_basic_auth_and_status_callback(channel, provider):
    from testigo.channels import outbox

    provider.reply(201, {"sid": "SM99", "status": "queued"})
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    row = outbox.queue(channel=channel, contact=contact, text="Gracias, ¿dónde ocurrió?")
    outbox.send_due()
    call = provider.calls[0]
    assert call["url"] == "https://api.twilio.com/2010-04-01/Accounts/ACxxxxxxxx/Messages.json"
    assert call["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ACxxxxxxxx:12345").decode()
    fields = parse_qs(call["data"].decode())
    assert fields["To"] == ["+50499990001"] and fields["From"] == ["+15005550006"]
    assert fields["Body"] == ["Gracias, ¿dónde ocurrió?"]
    assert fields["StatusCallback"] == [f"https://testigo.example.org/ch/twilio/{channel.uuid}/status/"]
    row.refresh_from_db()
    assert (row.status, row.provider_id) == ("sent", "SM99")
