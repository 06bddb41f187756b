"""httpSMS (httpsms.com, NdoleStudio/httpsms): an Android phone sends and receives, a hosted API
relays. Webhooks are CloudEvents signed with an HS256 JWT; sending goes through /v1/messages/send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    Attachment,
    ChannelType,
    ConfigField,
    Fetched,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    StatusUpdate,
    TemporaryError,
    api_base,
    attachment_kind,
    download,
    http_request,
    loads_json,
    provider_iso_time,
    raise_for_status,
)

API = "https://api.httpsms.com"
ISSUER = "api.httpsms.com"
# httpSMS signs with nbf = now - 10 min and exp = now + 10 min; this much clock difference between
# its servers and ours is still accepted at either end.
CLOCK_SKEW_S = 60
MAX_TOKEN_CHARS = 4096  # a real token is about 300 characters; a bigger header is not decoded
STATUSES = {"message.phone.sent": "sent", "message.phone.delivered": "delivered", "message.send.failed": "failed",
            "message.send.expired": "failed"}
MAX_ATTACHMENTS = 10


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def token_claims(authorization: str, key: str, audiences: set[str], now: float | None = None) -> dict | None:
    """The claims of httpSMS's webhook token if it is authentic and meant for us, else None.

    The token proves who sent the request, not what it carries (it does not cover the body): the
    CloudEvent id is the deduplication key, and HTTPS keeps the body from being changed."""
    if not key or not authorization.startswith("Bearer ") or len(authorization) > MAX_TOKEN_CHARS:
        return None
    try:
        header, payload, signature = authorization.removeprefix("Bearer ").strip().split(".")
        if json.loads(_b64url(header)).get("alg") != "HS256":
            return None
        expected = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64url(signature)):
            return None
        claims = json.loads(_b64url(payload))
        audience = claims.get("aud")
        audience = [audience] if isinstance(audience, str) else audience
        now = time.time() if now is None else now
        valid = (claims.get("iss") == ISSUER and isinstance(audience, list) and audiences & set(map(str, audience))
                 and float(claims.get("nbf", 0)) - CLOCK_SKEW_S <= now < float(claims["exp"]) + CLOCK_SKEW_S)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        return None
    return claims if valid else None


class HttpSMS(ChannelType):
    code = "httpsms"
    name = _("httpSMS (Android phone)")
    config_fields = [
        ConfigField("secret", _("Webhook signing key (give the same key to httpSMS)"), secret=True),
        ConfigField("api_key", _("httpSMS API key"), secret=True),
        ConfigField("from_number", _("Phone number of the Android phone, e.g. +50499990000")),
    ]

    def _audiences(self, channel, request: HttpRequest) -> set[str]:
        """The URLs httpSMS may have put in `aud`: the webhook URL the admin registered, which is
        the one it called (behind a proxy, CHANNEL_BASE_URL says what that is)."""
        from django.conf import settings

        from testigo.channels.selectors import webhook_url

        called = (settings.CHANNEL_BASE_URL.rstrip("/") + request.get_full_path() if settings.CHANNEL_BASE_URL
                  else request.build_absolute_uri())
        return {called, webhook_url(channel)}

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        key = channel.config.get("secret", "")
        authorization = request.headers.get("Authorization", "")
        return token_claims(authorization, key, self._audiences(channel, request)) is not None

    def parse(self, channel, request: HttpRequest, action: str):
        event = loads_json(request.body)
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise Malformed("expected a CloudEvent: a JSON object with \"type\", \"id\" and \"data\"")
        kind, data = str(event.get("type", "")), event["data"]
        if kind == "message.phone.received":
            return [self._received(event, data)], []
        if kind in STATUSES:
            update = self._status(kind, data)
            return [], [update] if update else []
        # Heartbeats, missed calls and events of newer versions: acknowledged, nothing stored.
        return [], []

    def _received(self, event: dict, data: dict) -> Inbound:
        event_id, sender = str(event.get("id") or ""), data.get("contact")
        if not event_id or not isinstance(sender, str) or not sender.strip():
            raise Malformed("message.phone.received needs the event \"id\" and data.contact")
        text = data.get("content") or ""
        if not isinstance(text, str):
            raise Malformed("data.content must be text")
        if data.get("encrypted") is True:
            # End-to-end encrypted in the app with a key only the phone's owner has. The ciphertext
            # stays in raw; staff see why there is no text.
            text = gettext("This message was encrypted in the httpSMS app and Testigo cannot read it. "
                           "Turn off encryption in the app to receive messages as text.")
        urls = data.get("attachments") or []
        if not isinstance(urls, list):
            raise Malformed("data.attachments must be a list of URLs")
        attachments = []
        for url in urls[:MAX_ATTACHMENTS]:
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
                attachments.append(Attachment(kind=attachment_kind("", filename), ref=url, filename=filename))
        return Inbound(provider_id=event_id, scheme="tel", address=sender.strip(), text=text,
                       sent_at=provider_iso_time(data.get("timestamp")), raw=event, attachments=attachments)

    def _status(self, kind: str, data: dict) -> StatusUpdate | None:
        if kind == "message.send.expired" and data.get("is_final") is False:
            return None  # httpSMS tries again
        status = STATUSES[kind]
        error = ""
        if status == "failed":
            error = str(data.get("error_message") or ("expired" if kind == "message.send.expired" else "failed"))
        request_id = data.get("request_id")
        if isinstance(request_id, str) and request_id.isdigit():  # ours: the outbox id given in send()
            return StatusUpdate(request_id, status, error, by_outbox_id=True)
        message_id = data.get("id") or data.get("message_id")
        return StatusUpdate(str(message_id), status, error) if message_id else None

    def send(self, channel, message) -> SendResult:
        config = channel.config
        if not config.get("from_number"):
            raise PermanentError("the channel has no phone number to send from")
        body = {"from": config["from_number"], "to": message.contact.address, "content": message.text,
                "encrypted": False, "request_id": str(message.pk)}
        result = http_request(api_base(self.code, API) + "/v1/messages/send", data=json.dumps(body).encode(),
                              headers={"x-api-key": config.get("api_key", ""), "Content-Type": "application/json",
                                       "Accept": "application/json"})
        # 400/401/402/422: the request, the key or the plan is wrong: retrying cannot help.
        raise_for_status(result, ok={200, 201, 202})
        data = result.json().get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise TemporaryError("httpSMS answered without a message id")
        return SendResult(provider_id=str(data["id"]))

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """httpSMS serves MMS parts at public URLs without authentication. A URL on another host
        than httpSMS's API came from the payload: only public addresses are fetched."""
        url = str(attachment.get("ref") or "")
        own_host = urllib.parse.urlsplit(api_base(self.code, API)).hostname
        fetched = download(url, public_only=urllib.parse.urlsplit(url).hostname != own_host)
        if not fetched.filename:
            fetched.filename = attachment.get("filename", "")
        return fetched


TYPE = HttpSMS()
