"""Africa's Talking SMS: inbound and delivery-report form POSTs (no signature, so a secret `key` in
the callback URL), outbound through the messaging API."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    PermanentError,
    SendResult,
    StatusUpdate,
    http_request,
    raise_for_status,
    require,
    same,
)

API = "https://api.africastalking.com/version1/messaging"
SANDBOX_API = "https://api.sandbox.africastalking.com/version1/messaging"
DLR = {"Sent": "sent", "Submitted": "sent", "Buffered": "sent", "Success": "delivered",
       "Rejected": "failed", "Failed": "failed"}


class AfricasTalking(ChannelType):
    code = "africastalking"
    name = "Africa's Talking"
    config_fields = [
        ConfigField("secret", _("URL key (added to the callback URLs as key=…)"), secret=True),
        ConfigField("username", _("Username ('sandbox' for the sandbox)")),
        ConfigField("api_key", _("API key"), secret=True),
        ConfigField("from_number", _("Short code or sender id"), required=False),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        return same(request.GET.get("key"), channel.config.get("secret"))

    def rejection(self, status: int, message: str) -> HttpResponse:
        return HttpResponse(message, status=status, content_type="text/plain")

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        data = request.POST
        provider_id, sender = require(data, "id", "from")
        raw = {k: v for k, v in data.items()}
        return [Inbound(provider_id=provider_id, scheme="tel", address=sender, text=data.get("text", ""), raw=raw)]

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        provider_id, status = require(request.POST, "id", "status")
        mapped = DLR.get(status)
        return [StatusUpdate(provider_id, mapped, request.POST.get("failureReason", ""))] if mapped else []

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        return HttpResponse("", content_type="text/plain")

    def send(self, channel, message) -> SendResult:
        config = channel.config
        fields = {"username": config.get("username", ""), "to": message.contact.address, "message": message.text,
                  "bulkSMSMode": "1"}
        if config.get("from_number"):
            fields["from"] = config["from_number"]
        api = SANDBOX_API if config.get("username") == "sandbox" else API
        result = http_request(api, data=urlencode(fields).encode(),
                              headers={"apiKey": config.get("api_key", ""), "Accept": "application/json",
                                       "Content-Type": "application/x-www-form-urlencoded"})
        raise_for_status(result)
        recipients = (result.json().get("SMSMessageData") or {}).get("Recipients") or []
        if not recipients or recipients[0].get("status") != "Success":
            detail = recipients[0].get("status") if recipients else "no recipients in the answer"
            raise PermanentError(f"Africa's Talking: {detail}")
        return SendResult(provider_id=recipients[0].get("messageId", ""))


TYPE = AfricasTalking()
