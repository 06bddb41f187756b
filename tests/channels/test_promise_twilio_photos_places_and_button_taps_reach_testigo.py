"""Twilio (SMS/MMS and WhatsApp): photos and audio are kept as attachments even without text, a
shared place becomes a location, a template button tap a choice, and WhatsApp senders keep their
name and, when they have no phone number, their WhatsApp id (never turned into digits)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from testigo.channels.inbound import extras_of
from testigo.channels.models import Contact, InboundMessage, InboundRejected

PAYLOADS = Path(__file__).parent / "payloads" / "twilio"
TOKEN = "12345"


def load(name: str) -> dict:
    text = (PAYLOADS / name).read_text()
    return json.loads(text) if name.endswith(".json") else dict(parse_qsl(text.strip(), keep_blank_values=True))


@pytest.fixture
def channel(make_channel, settings):
    settings.CHANNEL_BASE_URL = "https://testigo.example.org"
    return make_channel("twilio", account_sid="ACxxx", auth_token=TOKEN, messaging_service_sid="MGxxx")


def post(client, channel, params):
    """Signed as Twilio signs: the public URL plus every parameter, sorted (X-Twilio-Signature)."""
    path = f"/ch/twilio/{channel.uuid}/"
    data = "https://testigo.example.org" + path + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return client.post(path, urlencode(params), content_type="application/x-www-form-urlencoded",
                       HTTP_X_TWILIO_SIGNATURE=sig)


def test_an_mms_with_photos_and_no_text_is_stored_with_its_files(client, channel):
    params = load("courier_receive_media_no_body.txt")
    params.update(MediaContentType0="image/jpeg", MediaContentType1="video/mp4")
    assert post(client, channel, params).status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "" and message.provider_id == "SMe287d7109a5a925f182f0e07fe5b223b"
    attachments = extras_of(message)["attachments"]
    assert [(a["kind"], a["ref"], a["content_type"]) for a in attachments] == [
        ("image", "cat.jpg", "image/jpeg"), ("video", "dog.jpg", "video/mp4")]


def test_media_kinds_follow_the_declared_content_type(client, channel):
    params = load("chatwoot_media_on_twilio_host.json")
    params.update(NumMedia="4", MediaUrl1=params["MediaUrl0"] + "1", MediaContentType1="audio/ogg",
                  MediaUrl2=params["MediaUrl0"] + "2", MediaContentType2="application/pdf",
                  MediaUrl3=params["MediaUrl0"] + "3", MediaContentType3="text/vcard")
    assert post(client, channel, params).status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "media"
    assert [a["kind"] for a in extras_of(message)["attachments"]] == ["image", "audio", "document", "document"]


def test_num_media_beyond_what_twilio_sends_is_not_believed(client, channel):
    params = load("chatwoot_media_on_twilio_host.json")
    params.update({"NumMedia": "1000000", **{f"MediaUrl{n}": f"https://api.twilio.com/m{n}" for n in range(12)}})
    assert post(client, channel, params).status_code == 200
    assert len(extras_of(InboundMessage.objects.get())["attachments"]) == 10


def test_num_media_that_is_not_a_number_is_refused_and_kept(client, channel):
    params = dict(load("chatwoot_media_on_twilio_host.json"), NumMedia="dos")
    response = post(client, channel, params)
    assert response.status_code == 400 and b"NumMedia" in response.content
    assert InboundRejected.objects.count() == 1 and not InboundMessage.objects.exists()


def test_a_shared_location_becomes_the_message_location(client, channel):
    params = dict(load("chatwoot_location.json"), Address="Mercado Zonal Belén, Comayagüela", Label="Mercado")
    assert post(client, channel, params).status_code == 200
    location = extras_of(InboundMessage.objects.get())["location"]
    assert (location["lat"], location["lon"]) == (12.160894393921, 75.265205383301)
    assert (location["name"], location["address"]) == ("Mercado", "Mercado Zonal Belén, Comayagüela")


def test_a_location_outside_the_globe_is_refused(client, channel):
    response = post(client, channel, dict(load("chatwoot_location.json"), Latitude="123.4"))
    assert response.status_code == 400 and b"latitude" in response.content
    assert not InboundMessage.objects.exists()


def test_a_template_button_tap_is_a_choice_and_its_label_the_text(client, channel):
    params = dict(load("courier_whatsapp_button.txt"), ButtonPayload="confirm-report-42", Body="")
    assert post(client, channel, params).status_code == 200
    message = InboundMessage.objects.get()
    assert message.text == "Confirm"
    assert extras_of(message)["choice"] == {"id": "confirm-report-42", "text": "Confirm", "kind": "template_button",
                                            "data": {}}


def test_a_whatsapp_sender_is_their_phone_number_with_their_profile_name(client, channel):
    assert post(client, channel, load("chatwoot_whatsapp_profile_name.json")).status_code == 200
    contact = Contact.objects.get()
    assert (contact.scheme, contact.address, contact.name) == ("tel", "+5541988887777", "João Silva")


@pytest.mark.parametrize(("payload", "bsuid"), [("chatwoot_whatsapp_bsuid_only.json", "IN.2081978709342942"),
                                                ("courier_whatsapp_from_bsuid.txt", "US.1234")])
def test_a_whatsapp_user_without_a_phone_keeps_their_whatsapp_id(client, channel, payload, bsuid):
    assert post(client, channel, load(payload)).status_code == 200
    contact = Contact.objects.get()
    assert (contact.scheme, contact.address) == ("whatsapp", bsuid)


def test_replies_to_whatsapp_users_are_addressed_as_whatsapp(client, make_channel, provider, settings):
    from testigo.channels import outbox
    from testigo.channels.models import OutboundMessage

    settings.CHANNEL_BASE_URL = "https://testigo.example.org"
    wa = make_channel("twilio", name="wa", account_sid="ACxxx", auth_token=TOKEN, from_number="whatsapp:+14155238886")
    provider.reply(201, {"sid": "SM1"})
    provider.reply(201, {"sid": "SM2"})
    outbox.queue(channel=wa, contact=Contact.objects.create(scheme="whatsapp", address="US.1234"), text="Recibido")
    outbox.queue(channel=wa, contact=Contact.objects.create(scheme="tel", address="+50499990001"), text="Recibido")
    outbox.send_due()
    sent = [dict(parse_qsl(call["data"].decode()))["To"] for call in provider.calls]
    assert sorted(sent) == ["whatsapp:+50499990001", "whatsapp:US.1234"]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
