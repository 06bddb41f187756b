"""Telegram Bot API: webhook updates with a secret-token header; replies with sendMessage."""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    Malformed,
    SendResult,
    TemporaryError,
    http_request,
    loads_json,
    provider_time,
    raise_for_status,
    same,
)

API = "https://api.telegram.org/bot{token}/{method}"


class Telegram(ChannelType):
    code = "telegram"
    name = "Telegram"
    scheme = "telegram"
    max_length = 4096
    config_fields = [
        ConfigField("bot_token", _("Bot token (from @BotFather)"), secret=True),
        ConfigField("secret_token", _("Webhook secret token (A-Z a-z 0-9 _ -)"), secret=True),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        return same(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), channel.config.get("secret_token"))

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        update = loads_json(request.body)
        if not isinstance(update, dict) or "update_id" not in update:
            raise Malformed("the Update has no update_id")
        message = update.get("message")
        if not isinstance(message, dict):
            return []  # edited messages, callbacks, channel posts: nothing for the inbox
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if not isinstance(chat, dict) or not isinstance(sender, dict) or "id" not in chat:
            raise Malformed("the message has no chat.id")
        text = message.get("text") or message.get("caption") or ""
        if not isinstance(text, str):
            raise Malformed("the message text is not a string")
        if not text:
            kinds = [k for k in ("photo", "voice", "audio", "video", "document", "location", "sticker") if k in message]
            text = f"[{kinds[0] if kinds else 'message'}]"
        name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
        sent_at = provider_time(message.get("date"))
        # Telegram retries the same update_id; it is unique per bot, so it is our idempotency key.
        return [Inbound(provider_id=str(update["update_id"]), scheme="telegram", address=str(chat["id"]),
                        text=text, sent_at=sent_at, name=name,
                        language=str(sender.get("language_code") or "")[:2], raw=update)]

    def send(self, channel, message) -> SendResult:
        url = API.format(token=channel.config.get("bot_token", ""), method="sendMessage")
        body = json.dumps({"chat_id": message.contact.address, "text": message.text}).encode("utf-8")
        result = http_request(url, data=body, headers={"Content-Type": "application/json"})
        raise_for_status(result)
        data = result.json()
        if not data.get("ok"):
            raise TemporaryError(f"Telegram: {data.get('description', 'not ok')}")
        return SendResult(provider_id=str((data.get("result") or {}).get("message_id", "")))


TYPE = Telegram()
