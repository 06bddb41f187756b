"""WhatsApp Cloud API: hub.challenge verification, X-Hub-Signature-256 over the raw body bytes,
text messages in, text replies only inside the 24-hour customer-service window."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    StatusUpdate,
    http_request,
    loads_json,
    provider_time,
    raise_for_status,
    same,
)

API = "https://graph.facebook.com/{version}/{phone_id}/messages"
WINDOW = timedelta(hours=24)
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "delivered", "failed": "failed"}


class WhatsApp(ChannelType):
    code = "whatsapp"
    name = _("WhatsApp Cloud API")
    max_length = 4096
    writes_first = False  # free-form text only within 24 hours of the person's last message (WINDOW)
    config_fields = [
        ConfigField("app_secret", _("App secret (signs webhooks)"), secret=True),
        ConfigField("verify_token", _("Verify token (you choose it)"), secret=True),
        ConfigField("access_token", _("Access token"), secret=True),
        ConfigField("phone_number_id", _("Phone number ID")),
        ConfigField("api_version", _("Graph API version, e.g. v21.0"), required=False),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        if request.method == "GET":
            return same(request.GET.get("hub.verify_token"), channel.config.get("verify_token"))
        header = request.headers.get("X-Hub-Signature-256", "")
        secret = channel.config.get("app_secret", "")
        if not header.startswith("sha256=") or not secret:
            return False
        # Over the raw bytes, before parsing: Meta escapes non-ASCII, re-serialising would differ.
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.lower(), expected)

    def respond(self, channel, request: HttpRequest, action: str) -> HttpResponse | None:
        if request.method != "GET":
            return None
        if request.GET.get("hub.mode") != "subscribe":
            raise Malformed("expected hub.mode=subscribe")
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")

    def parse(self, channel, request: HttpRequest, action: str):
        payload = self._payload(request)
        return self._messages(payload), self._statuses(payload)

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        return HttpResponse("EVENT_RECEIVED", content_type="text/plain")

    def _payload(self, request) -> dict:
        payload = loads_json(request.body)
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise Malformed("expected an object with an \"entry\" list")
        return payload

    def _values(self, payload: dict):
        for entry in payload["entry"]:
            for change in (entry or {}).get("changes") or []:
                if isinstance(change, dict) and isinstance(change.get("value"), dict):
                    yield change["value"]

    def _messages(self, payload: dict) -> list[Inbound]:
        found = []
        for value in self._values(payload):
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
            for m in value.get("messages") or []:
                if not m.get("id") or not m.get("from"):
                    raise Malformed("a message lacks \"id\" or \"from\"")
                kind = m.get("type", "")
                text = (m.get("text") or {}).get("body", "") if kind == "text" else f"[{kind or 'message'}]"
                sent_at = provider_time(m.get("timestamp"))
                found.append(Inbound(provider_id=m["id"], scheme="tel", address="+" + m["from"].lstrip("+"),
                                     text=text, sent_at=sent_at, name=names.get(m["from"], ""), raw=m))
        return found

    def _statuses(self, payload: dict) -> list[StatusUpdate]:
        updates = []
        for value in self._values(payload):
            for s in value.get("statuses") or []:
                mapped = STATUSES.get(s.get("status", ""))
                if mapped and s.get("id"):
                    error = "; ".join(str(e.get("title") or e.get("code")) for e in s.get("errors") or [])
                    updates.append(StatusUpdate(s["id"], mapped, error))
        return updates

    def send(self, channel, message) -> SendResult:
        from testigo.channels.models import InboundMessage

        last = (InboundMessage.objects.filter(channel=channel, contact=message.contact)
                .order_by("-received_at").values_list("received_at", flat=True).first())
        if last is None or timezone.now() - last > WINDOW:
            raise PermanentError("outside WhatsApp's 24-hour window: free-form text needs an approved template")
        config = channel.config
        url = API.format(version=config.get("api_version") or "v21.0", phone_id=config.get("phone_number_id", ""))
        body = {"messaging_product": "whatsapp", "to": message.contact.address.lstrip("+"), "type": "text",
                "text": {"body": message.text}}
        result = http_request(url, data=json.dumps(body).encode("utf-8"),
                              headers={"Authorization": f"Bearer {config.get('access_token', '')}",
                                       "Content-Type": "application/json"})
        raise_for_status(result)
        ids = [m.get("id") for m in result.json().get("messages") or []]
        return SendResult(provider_id=ids[0] if ids else "")


TYPE = WhatsApp()
