"""FrontlineSMS / FrontlineCloud: a "Forward to URL" activity posts from/message/secret (names are
chosen by the admin; we expect Ushahidi's); replies through a "Send SMS from a web service" activity."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    SendResult,
    content_id,
    form_or_json,
    http_request,
    raise_for_status,
    require,
    same,
)

API = "https://cloud.frontlinesms.com/api/1/webhook"


class FrontlineSMS(ChannelType):
    code = "frontlinesms"
    name = "FrontlineSMS / FrontlineCloud"
    config_fields = [
        ConfigField("secret", _("Secret (sent as secret=… by the Forward to URL activity)"), secret=True),
        ConfigField("api_key", _("API key of the 'Send SMS from a web service' activity"), secret=True),
        ConfigField("api_url", _("Web service URL (default FrontlineCloud)"), required=False, kind="url"),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        return same(form_or_json(request).get("secret"), channel.config.get("secret"))

    def rejection(self, status: int, message: str):
        return JsonResponse({"payload": {"success": False, "error": message}}, status=status)

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        data = form_or_json(request)
        sender, text = require(data, "from", "message")
        # No fixed id in FrontlineSMS: use one if the admin mapped it, else hash sender+date+text
        # so a re-forward of the same SMS is still recognised.
        provider_id = data.get("id") or data.get("message_id") or content_id(sender, data.get("date", ""), text)
        raw = {k: v for k, v in data.items() if k != "secret"}
        return [Inbound(provider_id=provider_id, scheme="tel", address=sender, text=text, raw=raw)]

    def acknowledge(self, channel, request, stored):
        return JsonResponse({"payload": {"success": True, "error": None}})

    def send(self, channel, message) -> SendResult:
        body = {"apiKey": channel.config.get("api_key", ""),
                "payload": {"message": message.text,
                            "recipients": [{"type": "mobile", "value": message.contact.address}]}}
        result = http_request(channel.config.get("api_url") or API, data=json.dumps(body).encode("utf-8"),
                              headers={"Content-Type": "application/json"}, admin_url=True)
        raise_for_status(result, ok={200})
        return SendResult(provider_id=f"frontline-{message.pk}")


TYPE = FrontlineSMS()
