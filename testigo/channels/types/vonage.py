"""Vonage (Nexmo) SMS API: inbound GET/form/JSON, delivery receipts, outbound /sms/json.

Signed webhooks (enabled by Vonage support) are checked when a signature secret is configured;
otherwise a secret `key` in the webhook URL is required."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels import encoding
from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    StatusUpdate,
    TemporaryError,
    form_or_json,
    http_request,
    provider_time,
    raise_for_status,
    require,
    same,
)

API = "https://rest.nexmo.com/sms/json"
DIGESTS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
DLR = {"delivered": "delivered", "accepted": "sent", "buffered": "sent", "expired": "failed",
       "failed": "failed", "rejected": "failed"}


def signature(params: dict, secret: str, method: str = "md5hash") -> str:
    """Vonage's algorithm: drop sig, sort, replace & and = in values with _, "&k=v…", then hash."""
    pairs = sorted((k, str(v)) for k, v in params.items() if k != "sig")
    text = "".join(f"&{k}={v.replace('&', '_').replace('=', '_')}" for k, v in pairs)
    if method == "md5hash":
        return hashlib.md5((text + secret).encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), DIGESTS[method.removeprefix("hmac-")]).hexdigest()


class Vonage(ChannelType):
    code = "vonage"
    name = "Vonage (Nexmo)"
    config_fields = [
        ConfigField("api_key", _("API key")),
        ConfigField("api_secret", _("API secret"), secret=True),
        ConfigField("from_number", _("From (number or sender id)")),
        ConfigField("signature_secret", _("Signature secret (if signed webhooks are on)"), secret=True, required=False),
        ConfigField("signature_method", _("md5hash, hmac-md5, hmac-sha1, hmac-sha256 or hmac-sha512"), required=False),
        ConfigField("secret", _("URL key (used when webhooks are not signed)"), secret=True, required=False),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        config = channel.config
        if config.get("signature_secret"):
            params = form_or_json(request)
            method = (config.get("signature_method") or "md5hash").lower()
            if method not in {"md5hash", "hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512"}:
                return False
            params.pop("key", None)  # our own URL key is not part of what Vonage signed
            return same(str(params.get("sig", "")).lower(), signature(params, config["signature_secret"], method))
        return same(request.GET.get("key"), config.get("secret"))

    def rejection(self, status: int, message: str) -> HttpResponse:
        return HttpResponse(message, status=status, content_type="text/plain")

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        data = form_or_json(request)
        provider_id, sender = require(data, "messageId", "msisdn")
        if data.get("type") == "binary":
            raise Malformed("binary messages are not supported")
        sent_at = _timestamp(data.get("message-timestamp", ""))
        raw = {k: v for k, v in data.items() if k not in {"key", "sig"}}
        if str(data.get("concat", "")).lower() == "true":
            # Long SMS arrive part by part; the pipeline joins them once all are stored.
            require(data, "concat-ref", "concat-total", "concat-part")
            raw["_concat"] = {"ref": f"vonage-{data['concat-ref']}", "total": int(data["concat-total"]),
                              "part": int(data["concat-part"])}
        return [Inbound(provider_id=provider_id, scheme="tel", address=sender, text=data.get("text", ""),
                        sent_at=sent_at, raw=raw)]

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        data = form_or_json(request)
        provider_id, status = require(data, "messageId", "status")
        mapped = DLR.get(status)
        return [StatusUpdate(provider_id, mapped, data.get("err-code", "") if mapped == "failed" else "")] \
            if mapped else []

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        return HttpResponse(status=204)

    def send(self, channel, message) -> SendResult:
        config = channel.config
        fields = {"api_key": config.get("api_key", ""), "api_secret": config.get("api_secret", ""),
                  "from": config.get("from_number", ""), "to": message.contact.address.lstrip("+"),
                  "text": message.text, "type": "text" if encoding.is_gsm7(message.text) else "unicode"}
        result = http_request(API, data=urlencode(fields).encode(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        raise_for_status(result)
        parts = result.json().get("messages") or []
        bad = [p for p in parts if str(p.get("status")) != "0"]
        if not parts or bad:
            detail = bad[0].get("error-text", "") if bad else "no messages in the answer"
            # 1 = throttled, 5 = internal error: worth retrying. The rest are about the request.
            if bad and str(bad[0].get("status")) in {"1", "5"}:
                raise TemporaryError(f"Vonage: {detail}")
            raise PermanentError(f"Vonage: {detail}")
        return SendResult(provider_id=parts[0].get("message-id", ""))


def _timestamp(value: str) -> datetime | None:
    """Vonage's "YYYY-MM-DD HH:MM:SS" (UTC); an unreadable one dates the message by its reception."""
    try:
        when = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return provider_time(int(when.timestamp()))


TYPE = Vonage()
