"""WhatsApp Cloud API: hub.challenge verification, X-Hub-Signature-256 over the raw body bytes,
text messages in; text replies inside the 24-hour customer-service window, approved templates
outside it (channels.wa_templates)."""

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
    TemporaryError,
    api_base,
    http_request,
    loads_json,
    provider_time,
    raise_for_status,
    same,
)

GRAPH = "https://graph.facebook.com"
WINDOW = timedelta(hours=24)
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "delivered", "failed": "failed"}
# Graph error codes that mean "later" (reference §2.5, from courier and pywa): throughput, pair and
# spam rate limits; and a media upload Meta often failed to fetch.
THROTTLED = {"4", "80007", "130429", "131048", "131056", "133016"}
RETRYABLE = {"131053"}
REFUSED_OUTSIDE_WINDOW = "131047"  # "re-engagement message": free-form text after the window closed


class WhatsApp(ChannelType):
    code = "whatsapp"
    name = _("WhatsApp Cloud API")
    max_length = 4096
    writes_first = False  # free-form text only within 24 hours of the person's last message (WINDOW)
    templates = True  # outside the window, approved templates (channels.wa_templates, console pages)
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
                    errors = [e for e in s.get("errors") or [] if isinstance(e, dict)]
                    error = "; ".join(": ".join(str(part) for part in (e.get("code"), e.get("title")) if part)
                                      for e in errors)
                    code = str(errors[0].get("code") or "") if errors else ""
                    updates.append(StatusUpdate(s["id"], mapped, error, code=code))
        return updates

    def send(self, channel, message) -> SendResult:
        """Text inside the 24-hour window; outside it (or when a refused row is sent again) an
        approved template (channels.wa_templates), or Refused with the reason."""
        from testigo.channels import wa_templates

        recipient = {"to": message.contact.address.lstrip("+")}
        if (message.template or {}).get("resend_of") or not self._inside_window(channel, message.contact):
            template = wa_templates.needed(channel, message)
            body = wa_templates.template_body(template, message, recipient)
        else:
            body = {"messaging_product": "whatsapp", **recipient, "type": "text", "text": {"body": message.text}}
        config = channel.config
        url = (f"{api_base(self.code, GRAPH)}/{config.get('api_version') or 'v21.0'}/"
               f"{config.get('phone_number_id', '')}/messages")
        result = http_request(url, data=json.dumps(body).encode("utf-8"),
                              headers={"Authorization": f"Bearer {config.get('access_token', '')}",
                                       "Content-Type": "application/json"})
        raise_for_graph_error(result)
        ids = [m.get("id") for m in result.json().get("messages") or []]
        return SendResult(provider_id=ids[0] if ids else "")

    def _inside_window(self, channel, contact) -> bool:
        """Whether the person wrote to this channel in the last 24 hours (WINDOW): only then may
        free-form text go. Their contact may be a phone number ("tel") or a WhatsApp user id."""
        from testigo.channels.models import InboundMessage

        last = (InboundMessage.objects.filter(channel=channel, contact=contact)
                .order_by("-received_at").values_list("received_at", flat=True).first())
        return last is not None and timezone.now() - last <= WINDOW

    def on_refused(self, channel, message, code: str) -> None:
        if code == REFUSED_OUTSIDE_WINDOW:
            from testigo.channels import wa_templates

            wa_templates.after_refusal(message)


class Refused(PermanentError):
    """A send that can never succeed as is, with a code stored on the row (OutboundMessage.error_code)
    and given to `on_refused`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def graph_error(result) -> tuple[str, str]:
    """(code, message) of a Graph API error answer ({"error": {"code": 131047, "message": …}})."""
    error = result.json().get("error") if result.quotable else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or error.get("title") or "")[:300]


def raise_for_graph_error(result) -> None:
    """Map a Graph error to the retry policy by its code (THROTTLED retry later, 131047 is Refused
    so the outbox sends the content again as a template); otherwise by HTTP status."""
    if result.status in {200, 201, 202}:
        return
    code, detail = graph_error(result)
    if code == REFUSED_OUTSIDE_WINDOW:
        raise Refused(f"WhatsApp error {code}: {detail}", code)
    if code in THROTTLED or code in RETRYABLE or result.status == 429 or result.status >= 500:
        raise TemporaryError(f"WhatsApp error {code}: {detail}")
    if code:
        raise PermanentError(f"WhatsApp error {code}: {detail}")
    raise_for_status(result)


TYPE = WhatsApp()
