"""Twilio Programmable Messaging: signed form webhooks, TwiML answers, Messages API, status callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    PermanentError,
    SendResult,
    StatusUpdate,
    TemporaryError,
    http_request,
    raise_for_status,
    require,
)

API = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
STATUSES = {"queued": "sent", "accepted": "sent", "scheduled": "sent", "sending": "sent", "sent": "sent",
            "delivered": "delivered", "read": "delivered", "partially_delivered": "delivered",
            "failed": "failed", "undelivered": "failed", "canceled": "failed"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def signature(key: str, url: str, params: list[tuple[str, str]], digest=hashlib.sha1) -> str:
    """Twilio's documented algorithm: URL + every parameter name+value, sorted by name (then value)."""
    payload = url + "".join(name + value for name, value in sorted(params))
    mac = hmac.new(key.encode("utf-8"), payload.encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def url_variants(url: str) -> list[str]:
    """The URL as configured, with and without the scheme's default port (Twilio signs either)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None:
        with_port = parts._replace(netloc=f"{host}:{default}")
        return [url, urlunsplit(with_port)]
    if parts.port == default:
        return [url, urlunsplit(parts._replace(netloc=host))]
    return [url]


class Twilio(ChannelType):
    code = "twilio"
    name = "Twilio"
    config_fields = [
        ConfigField("account_sid", _("Account SID")),
        ConfigField("auth_token", _("Auth token"), secret=True),
        ConfigField("from_number", _("From number (or leave empty and give a Messaging Service SID)"), required=False),
        ConfigField("messaging_service_sid", _("Messaging Service SID"), required=False),
        ConfigField("shared_key", _("Webhook shared key (beta, HMAC-SHA256)"), secret=True, required=False),
    ]

    def _signed_url(self, channel, request: HttpRequest) -> str:
        # Behind a proxy the URL Twilio called is the public one; CHANNEL_BASE_URL says what it is.
        from django.conf import settings

        if settings.CHANNEL_BASE_URL:
            return settings.CHANNEL_BASE_URL + request.get_full_path()
        return request.build_absolute_uri()

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        given = request.headers.get("X-Twilio-Signature", "")
        if not given:
            return False
        url = self._signed_url(channel, request)
        if (request.content_type or "").startswith("application/json"):
            body_hash = dict(parse_qsl(urlsplit(url).query)).get("bodySHA256", "")
            if not hmac.compare_digest(body_hash, hashlib.sha256(request.body).hexdigest()):
                return False
            params: list[tuple[str, str]] = []
        else:
            params = [(k, v) for k, values in request.POST.lists() for v in values]
        settings_header = request.headers.get("X-Twilio-Webhooks-Signature-Settings", "")
        if "HMAC_SHA256" in settings_header.upper():
            key, digest = channel.config.get("shared_key", ""), hashlib.sha256
        else:
            key, digest = channel.config.get("auth_token", ""), hashlib.sha1
        if not key:
            return False
        ok = False
        for candidate in url_variants(url):
            ok |= hmac.compare_digest(signature(key, candidate, params, digest), given)
        return ok

    def rejection(self, status: int, message: str) -> HttpResponse:
        return HttpResponse(message, status=status, content_type="text/plain")

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        data = request.POST if request.method == "POST" else request.GET
        sid, sender = require(data, "MessageSid", "From")
        body = data.get("Body", "")
        raw = {k: v for k, v in data.items()}
        return [Inbound(provider_id=sid, scheme="tel", address=sender.removeprefix("whatsapp:"), text=body, raw=raw)]

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        sid, status = require(request.POST, "MessageSid", "MessageStatus")
        mapped = STATUSES.get(status)
        if mapped is None:
            return []  # receiving/received: not about our outbound messages
        return [StatusUpdate(sid, mapped, request.POST.get("ErrorCode", ""))]

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        # Replies go out through the outbox (so they are counted, rate-limited and tracked).
        return HttpResponse(EMPTY_TWIML if stored else "", content_type="text/xml")

    def send(self, channel, message) -> SendResult:
        from testigo.channels.selectors import webhook_url

        config = channel.config
        fields = {"To": message.contact.address, "Body": message.text,
                  "StatusCallback": webhook_url(channel, "status")}
        if config.get("messaging_service_sid"):
            fields["MessagingServiceSid"] = config["messaging_service_sid"]
        elif config.get("from_number"):
            fields["From"] = config["from_number"]
        else:
            raise PermanentError("the channel has neither a From number nor a Messaging Service SID")
        auth = base64.b64encode(f"{config.get('account_sid', '')}:{config.get('auth_token', '')}".encode()).decode()
        result = http_request(API.format(sid=config.get("account_sid", "")), data=urlencode(fields).encode(),
                              headers={"Authorization": f"Basic {auth}",
                                       "Content-Type": "application/x-www-form-urlencoded"})
        raise_for_status(result)
        sid = result.json().get("sid")
        if not sid:
            raise TemporaryError("Twilio answered without a message sid")
        return SendResult(provider_id=sid)


TYPE = Twilio()
