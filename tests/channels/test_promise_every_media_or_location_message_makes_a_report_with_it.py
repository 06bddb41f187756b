"""Every real provider payload we keep (tests/channels/payloads/, each with its source) goes in
through the channel's real webhook, signed as the provider signs it; the message is processed and
the worker fetches each file from a local server playing the provider's media endpoints (Telegram
getFile, WhatsApp's media id, Twilio's media URL, httpSMS attachments; SMSGate's inline parts; the
stored e-mail), cleans it with Pillow, ffmpeg or mat2 and attaches it.

The promise, for every payload, whatever it is: a message that carries files or a place makes a
report (or joins one) that has each file, cleaned, and the place. Nothing here lists which payloads
carry what: the type's parsing says it, and the report must show it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone
from PIL import Image

from testigo.channels import inbound
from testigo.channels.inbound import extras_of
from testigo.channels.models import InboundMedia, InboundMessage
from testigo.channels.selectors import webhook_url
from testigo.channels.types import email as email_type
from tests.channels.test_promise_an_httpsms_phone_brings_sms_and_photos_and_sends_replies import httpsms_token

PAYLOADS = Path(__file__).parent / "payloads"
SAMPLES = Path(__file__).parent.parent / "reports" / "media_samples"
HOST = "testigo.example.org"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


# What the local provider serves for an attachment of each kind (real files; see SOURCES.md there).
SERVED = {"image": (jpeg, "image/jpeg"), "voice": (lambda: (SAMPLES / "voice-note.opus").read_bytes(), "audio/ogg"),
          "audio": (lambda: (SAMPLES / "voice-note.amr").read_bytes(), "audio/amr"),
          "video": (lambda: (SAMPLES / "phone.3gp").read_bytes(), "video/3gpp"),
          "document": (lambda: (SAMPLES / "wkhtmltopdf-with-title.pdf").read_bytes(), "application/pdf")}
# What the cleaned copy is, by what was served.
STORED_KIND = {"image": "image", "voice": "audio", "audio": "audio", "video": "video", "document": "document"}


def payload_files(provider: str, suffixes=(".json",)) -> list[Path]:
    return sorted(p for p in (PAYLOADS / provider).rglob("*") if p.suffix in suffixes and "sending" not in p.parts)


@pytest.fixture
def world(settings, provider_server, make_channel):
    settings.CHANNEL_BASE_URL = f"https://{HOST}"
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    settings.CHANNEL_API_BASES = {code: provider_server.url for code in ("telegram", "whatsapp", "twilio", "httpsms")}
    return provider_server


def serve(server, path: str, kind: str) -> None:
    data, content_type = SERVED.get(kind, SERVED["document"])
    server.route(path, data(), headers={"Content-Type": content_type})


def fetch_everything(callbacks, server, channel) -> None:
    """After the webhook: give the provider's media endpoint a real file for every attachment the
    type described, then let the worker's queued jobs run (what `testigo worker` does)."""
    for item in InboundMedia.objects.filter(message__channel=channel):
        ref = str(item.attachment.get("ref") or "")
        if channel.type == "telegram":
            server.route(f"/bot{channel.config['bot_token']}/getFile",
                         lambda r: (200, {"Content-Type": "application/json"}, json.dumps(
                             {"ok": True, "result": {"file_id": parse_qs(urlsplit(r["path"]).query).get("file_id", [""])[0],
                                                     "file_path": "files/" + parse_qs(urlsplit(r["path"]).query)
                                                     .get("file_id", [""])[0]}}).encode()))
            serve(server, f"/file/bot{channel.config['bot_token']}/files/{ref}", item.kind)
        elif channel.type == "whatsapp":
            server.route(f"/v21.0/{ref}", {"messaging_product": "whatsapp", "url": f"{server.url}/media/{ref}",
                                           "mime_type": "application/octet-stream", "id": ref})
            serve(server, f"/media/{ref}", item.kind)
        elif ref.startswith(server.url):  # Twilio, httpSMS: the URL the payload gave, rewritten to us
            serve(server, urlsplit(ref).path, item.kind)
    for callback in callbacks:
        callback()


def check_reports(channel, server_url: str = "") -> tuple[int, int]:
    """Every message of `channel` with files or a place: its report has them, each file stored,
    or — only where the provider itself gave bytes that are not a file we accept (a truncated
    sample in a provider's docs), or a URL outside the provider's servers — listed on the report
    with the reason. Returns how many files were stored and places kept."""
    files = places = 0
    for message in InboundMessage.objects.filter(channel=channel).select_related("report"):
        extras = extras_of(message)
        attachments = extras.get("attachments") or []
        if not attachments and not extras.get("location"):
            continue
        assert message.report is not None, f"{message.provider_id}: no report for a message with files or a place"
        items = list(InboundMedia.objects.filter(message=message).select_related("media").order_by("position"))
        assert len(items) == len(attachments), message.provider_id
        for item in items:
            assert item.report_id == message.report_id
            ref = str(item.attachment.get("ref") or "")
            if item.status != InboundMedia.Status.STORED:
                own_bytes = channel.type in {"smsgate", "email"} and item.status == InboundMedia.Status.REFUSED
                foreign_url = channel.type in {"twilio", "httpsms"} and not ref.startswith(server_url)
                assert (own_bytes or foreign_url) and item.error, (message.provider_id, item.kind, item.status,
                                                                   item.error)
                continue
            assert item.media.report_id == message.report_id
            if channel.type not in {"smsgate", "email"}:  # those carry their own bytes
                assert item.media.kind == STORED_KIND[item.kind if item.kind in SERVED else "document"], item.kind
            assert len(item.media.sha256) == 64 and item.media.size > 0
            assert item.media.processed_sha256 == hashlib.sha256(item.media.file.read()).hexdigest()
            assert bool(item.media.poster) == (item.media.kind == "video"), item.media.kind  # a video's still frame
            files += 1
        if extras.get("location"):
            assert message.report.lat is not None, f"{message.provider_id}: the place was lost"
            places += 1
    return files, places


def telegram_post(client, channel, body: bytes):
    return client.post(f"/ch/telegram/{channel.uuid}/", body, content_type="application/json",
                       HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=channel.config["secret_token"])


def whatsapp_post(client, channel, body: bytes):
    signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    return client.post(f"/ch/whatsapp/{channel.uuid}/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=signature)


def _fresh_times(data, now: int):
    """Payloads are years old; providers' timestamps are refreshed so messages are in the
    conversation window like a live one (the message's date is not what is tested here)."""
    if isinstance(data, dict):
        return {k: (str(now) if k == "timestamp" and isinstance(v, str) and v.isdigit() else
                    now if k == "date" and isinstance(v, int) else _fresh_times(v, now)) for k, v in data.items()}
    if isinstance(data, list):
        return [_fresh_times(v, now) for v in data]
    return data


def _unique_ids(payload, number: int):
    """Fixtures of one provider often share one message id ("external_id"); a provider never
    does, and a repeated id is (rightly) stored once. Each file gets ids of its own."""
    if isinstance(payload, dict) and isinstance(payload.get("update_id"), int):
        payload["update_id"] = payload["update_id"] * 1000 + number
    for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
        for change in entry.get("changes") or []:
            for message in (change.get("value") or {}).get("messages") or []:
                if isinstance(message, dict) and message.get("id"):
                    message["id"] = f"{message['id']}-{number}"
    return payload


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["telegram", "whatsapp"])
def test_every_saved_messaging_app_payload_with_files_or_a_place_makes_a_report_with_them(
        provider, client, world, make_channel, django_capture_on_commit_callbacks):
    if provider == "telegram":
        channel = make_channel("telegram", bot_token="123:abc", secret_token="tg-secret")
        post = telegram_post
    else:
        channel = make_channel("whatsapp", app_secret="app-secret", verify_token="v", access_token="token",
                               phone_number_id="1234")
        post = whatsapp_post
    now = int(time.time())
    for number, path in enumerate(payload_files(provider)):
        body = json.dumps(_unique_ids(_fresh_times(json.loads(path.read_text()), now), number)).encode()
        with django_capture_on_commit_callbacks() as callbacks:
            response = post(client, channel, body)
        assert response.status_code in {200, 400}, (path.name, response.status_code)
        fetch_everything(callbacks, world, channel)
    files, places = check_reports(channel, world.url)
    assert files >= 5 and places >= 1, (files, places)  # the corpus has photos, voice, video, documents, pins


def twilio_post(client, channel, params: dict):
    path = f"/ch/twilio/{channel.uuid}/"
    data = f"https://{HOST}" + path + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(b"twilio-token", data.encode(), hashlib.sha1).digest()).decode()
    return client.post(path, urlencode(params), content_type="application/x-www-form-urlencoded",
                       HTTP_HOST=HOST, HTTP_X_TWILIO_SIGNATURE=sig)


@pytest.mark.django_db
def test_every_saved_twilio_payload_with_files_or_a_place_makes_a_report_with_them(
        client, world, make_channel, django_capture_on_commit_callbacks):
    channel = make_channel("twilio", account_sid="ACxxx", auth_token="twilio-token", messaging_service_sid="MGxxx")
    for number, path in enumerate(payload_files("twilio", (".json", ".txt"))):
        text = path.read_text()
        params = json.loads(text) if path.suffix == ".json" else {k: v[0] for k, v in parse_qs(
            text.strip(), keep_blank_values=True).items()}
        # Media URLs point at api.twilio.com; the local stand-in plays it (CHANNEL_API_BASES).
        params = {k: v.replace("https://api.twilio.com", world.url) if isinstance(v, str) else v
                  for k, v in params.items()}
        params.update({k: f"{params[k]}{number}" for k in ("MessageSid", "SmsSid", "SmsMessageSid") if k in params})
        with django_capture_on_commit_callbacks() as callbacks:
            response = twilio_post(client, channel, params)
        assert response.status_code in {200, 400}, path.name
        fetch_everything(callbacks, world, channel)
    files, places = check_reports(channel, world.url)
    assert files >= 1 and places >= 1, (files, places)


@pytest.mark.django_db
def test_every_saved_android_gateway_payload_with_files_makes_a_report_with_them(
        client, world, make_channel, django_capture_on_commit_callbacks):
    httpsms = make_channel("httpsms", secret="hs-key", api_key="k", from_number="+37253920216")
    for path in payload_files("httpsms"):
        event = json.loads(path.read_text())
        if not isinstance(event, dict) or "specversion" not in event:
            continue  # an API answer, not a webhook
        data = event.get("data") or {}
        if isinstance(data.get("attachments"), list):
            data["attachments"] = [u.replace("https://api.httpsms.com", world.url) for u in data["attachments"]]
        token = httpsms_token("hs-key", webhook_url(httpsms))
        with django_capture_on_commit_callbacks() as callbacks:
            client.post(f"/ch/httpsms/{httpsms.uuid}/", json.dumps(event), content_type="application/json",
                        HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_EVENT_TYPE=event.get("type", ""))
        fetch_everything(callbacks, world, httpsms)
    smsgate = make_channel("smsgate", secret="sg-key", username="sms", password="p")
    for path in payload_files("smsgate"):
        body = path.read_bytes()
        if b'"event"' not in body:
            continue
        ts = str(int(time.time()))
        with django_capture_on_commit_callbacks() as callbacks:
            client.post(f"/ch/smsgate/{smsgate.uuid}/", body, content_type="application/json", HTTP_X_TIMESTAMP=ts,
                        HTTP_X_SIGNATURE=hmac.new(b"sg-key", body + ts.encode(), hashlib.sha256).hexdigest())
        fetch_everything(callbacks, world, smsgate)
    files = check_reports(httpsms, world.url)[0] + check_reports(smsgate, world.url)[0]
    assert files >= 2, files


@pytest.mark.django_db
def test_every_saved_email_with_attachments_makes_a_report_with_them(make_channel, django_capture_on_commit_callbacks):
    channel = make_channel("email", imap_host="imap.example.org", username="u", password="p",
                           smtp_host="smtp.example.org", from_address="reportes@example.org")
    for path in payload_files("email", (".eml",)):
        raw = path.read_bytes()
        try:
            message = email_type.parse_message(raw)
        except Exception:  # a mail the type refuses (no sender) is its tests' business
            continue
        message.sent_at = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            email_type.keep_for_the_worker(raw, message)  # what the poll does, then stores it
            inbound.receive(channel=channel, inbound=message)
    files, _places = check_reports(channel)
    assert files >= 2, files
