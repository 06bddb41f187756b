"""Twilio media URLs come in the webhook's payload: only Twilio's own are fetched (anything else
would let a forged payload make the server fetch internal addresses), with HTTP Basic auth, and the
credentials are not sent on to the CDN the media URL redirects to."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from testigo.channels.inbound import extras_of, receive
from testigo.channels.types import base, get
from testigo.channels.types.twilio import media_of

PAYLOADS = Path(__file__).parent / "payloads" / "twilio"
MEDIA_PATH = "/2010-04-01/Accounts/ACxxx/Messages/MMxx/Media/MExx"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def channel(make_channel):
    return make_channel("twilio", account_sid="ACxxx", auth_token="tok", messaging_service_sid="MGxxx")


def stored(channel, media_url: str):
    """The chatwoot payload, its Twilio host pointed at `media_url`, received as the webhook would."""
    params = json.loads((PAYLOADS / "chatwoot_media_on_twilio_host.json").read_text())
    params["MediaUrl0"] = media_url
    message = receive(channel=channel, inbound=base.Inbound(
        provider_id="MMxx", scheme="tel", address="+50499990001", text="", attachments=media_of(params)))
    return message, extras_of(message)["attachments"][0]


def test_the_media_redirect_to_the_cdn_is_followed_without_the_credentials(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"twilio": provider_server.url}
    cdn = provider_server.url.replace("127.0.0.1", "localhost")  # another host, the same local server
    provider_server.route(MEDIA_PATH, b"", status=307, headers={"Location": cdn + "/cdn/ME557ce644.jpg"})
    provider_server.route("/cdn/ME557ce644.jpg", JPEG, headers={"Content-Type": "image/jpeg"})
    message, attachment = stored(channel, provider_server.url + MEDIA_PATH)

    fetched = get("twilio").fetch_media(channel, message, attachment)

    assert fetched.data == JPEG and fetched.content_type == "image/jpeg"
    first, second = provider_server.requests
    assert first["path"] == MEDIA_PATH and first["headers"]["Authorization"] == basic("ACxxx", "tok")
    assert second["path"] == "/cdn/ME557ce644.jpg" and "Authorization" not in second["headers"]
    assert second["headers"]["Host"].startswith("localhost")


def test_an_api_key_is_used_instead_of_the_auth_token_when_set(make_channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"twilio": provider_server.url}
    channel = make_channel("twilio", account_sid="ACxxx", auth_token="tok", messaging_service_sid="MGxxx",
                           api_key_sid="SKxxx", api_key_secret="key-secret")
    provider_server.route(MEDIA_PATH, JPEG, headers={"Content-Type": "image/jpeg"})
    message, attachment = stored(channel, provider_server.url + MEDIA_PATH)
    get("twilio").fetch_media(channel, message, attachment)
    assert provider_server.requests[0]["headers"]["Authorization"] == basic("SKxxx", "key-secret")


@pytest.mark.parametrize("url", [
    "http://internal.example/file.png",  # chatwoot's own SSRF case
    "http://169.254.169.254/latest/meta-data/",
    "https://twilio.com.attacker.example/Media/ME1",
    "https://attacker.example/api.twilio.com/Media/ME1",
    "http://api.twilio.com/2010-04-01/Accounts/ACxxx/Messages/MMxx/Media/MExx",  # not https
    "file:///etc/passwd",
])
def test_a_media_url_that_is_not_twilios_is_never_fetched(channel, provider_server, settings, url):
    settings.CHANNEL_API_BASES = {"twilio": provider_server.url}
    message, attachment = stored(channel, url)
    with pytest.raises(base.PermanentError, match="not Twilio's"):
        get("twilio").fetch_media(channel, message, attachment)
    assert provider_server.requests == []


def test_the_local_stand_in_on_another_port_is_not_twilio(channel, provider_server, settings):
    settings.CHANNEL_API_BASES = {"twilio": provider_server.url}
    other_port = provider_server.url.rsplit(":", 1)[0] + ":1" + MEDIA_PATH
    message, attachment = stored(channel, other_port)
    with pytest.raises(base.PermanentError):
        get("twilio").fetch_media(channel, message, attachment)


def test_twilio_refusing_the_credentials_is_a_permanent_error_and_a_5xx_is_retried(channel, provider_server,
                                                                                  settings):
    settings.CHANNEL_API_BASES = {"twilio": provider_server.url}
    provider_server.route(MEDIA_PATH, {"code": 20003, "message": "Authenticate"}, status=401)
    message, attachment = stored(channel, provider_server.url + MEDIA_PATH)
    with pytest.raises(base.PermanentError):
        get("twilio").fetch_media(channel, message, attachment)
    provider_server.route(MEDIA_PATH, b"busy", status=503)
    with pytest.raises(base.TemporaryError):
        get("twilio").fetch_media(channel, message, attachment)
