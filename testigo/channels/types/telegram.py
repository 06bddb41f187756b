"""Telegram Bot API: webhook updates with a secret-token header; replies with sendMessage.

What people send a bot (reference messaging-media.md §1): text, photos and files with a caption,
voice notes, pins and venues, taps on inline buttons (callback_query), and commands (/start from
the Start button or a deep link, /ayuda, /help@OurBot in groups). Files are fetched later by the
worker through getFile (at most 20 MB for bots); the bot token is in those URLs, so they are
never stored or logged.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.channels import keywords
from testigo.channels.types.base import (
    EVENT_COMMAND,
    EVENT_START,
    Attachment,
    ChannelType,
    Choice,
    ConfigField,
    Fetched,
    Inbound,
    Location,
    Malformed,
    PermanentError,
    SendResult,
    TemporaryError,
    api_base,
    download,
    http_request,
    loads_json,
    max_media_bytes,
    provider_time,
    raise_for_status,
    same,
)

log = logging.getLogger(__name__)
DEFAULT_API = "https://api.telegram.org"
# Bots may download files of up to 20 MB through getFile (a self-hosted Bot API server lifts it).
BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024
# Checked in this order: an animation also sets `document` (documented), so it comes first.
MEDIA_KINDS = (("animation", "video"), ("video", "video"), ("video_note", "video"), ("voice", "voice"),
               ("audio", "audio"), ("document", "document"))
# A deep link t.me/<bot>?start=<payload>: 1-64 characters of A-Z a-z 0-9 _ - (Telegram's rule).
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A command as Telegram writes it: 1-32 letters, digits or _, maybe @OurBotName (in groups).
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{1,64})?(?=\s|$)")


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
        if isinstance(update.get("callback_query"), dict):
            return _callback(update)
        message = update.get("message")
        if not isinstance(message, dict):
            # Edited messages (also a live location's later positions), channel posts, membership
            # changes: nothing new for the inbox.
            return []
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if not isinstance(chat, dict) or not isinstance(sender, dict) or "id" not in chat:
            raise Malformed("the message has no chat.id")
        text = message.get("text") or message.get("caption") or ""
        if not isinstance(text, str):
            raise Malformed("the message text is not a string")
        inbound = Inbound(provider_id=str(update["update_id"]), scheme="telegram", address=str(chat["id"]),
                          text=text, sent_at=provider_time(message.get("date")), name=_name(sender),
                          language=str(sender.get("language_code") or "")[:2], raw=update)
        # Telegram retries the same update_id; it is unique per bot, so it is our idempotency key.
        if "text" in message:
            _command(inbound, message)
        else:
            inbound.attachments = _attachments(message)
            inbound.location = _location(message)
            if not text and isinstance(message.get("contact"), dict):
                inbound.text = _contact_card(message["contact"])
        return [inbound]

    def send(self, channel, message) -> SendResult:
        url = f"{api_base(self.code, DEFAULT_API)}/bot{channel.config.get('bot_token', '')}/sendMessage"
        body = json.dumps({"chat_id": message.contact.address, "text": message.text}).encode("utf-8")
        result = http_request(url, data=body, headers={"Content-Type": "application/json"})
        raise_for_status(result)
        data = result.json()
        if not data.get("ok"):
            raise TemporaryError(f"Telegram: {data.get('description', 'not ok')}")
        return SendResult(provider_id=str((data.get("result") or {}).get("message_id", "")))

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """getFile, then the file itself. Both URLs carry the bot token: errors are re-raised
        without it (and without the URL), never chained to an exception that holds it."""
        token = channel.config.get("bot_token", "")
        size, limit = attachment.get("size"), _download_limit()
        if isinstance(size, int) and size > limit:
            raise PermanentError(_too_big(limit) if limit == BOT_DOWNLOAD_LIMIT
                                 else f"the file is larger than {limit // 1_000_000} MB")
        root = api_base(self.code, DEFAULT_API)
        query = urllib.parse.urlencode({"file_id": attachment.get("ref", "")})
        try:
            answer = http_request(f"{root}/bot{token}/getFile?{query}")
            file_path = _file_path(answer)
            fetched = download(f"{root}/file/bot{token}/{urllib.parse.quote(file_path)}", max_bytes=limit)
        except (TemporaryError, PermanentError) as exc:
            raise type(exc)(str(exc).replace(token, "***") if token else str(exc)) from None
        # Telegram's file server answers application/octet-stream and a generic name; the message
        # said what the file is.
        return Fetched(data=fetched.data, content_type=attachment.get("content_type") or fetched.content_type,
                       filename=attachment.get("filename") or file_path.rsplit("/", 1)[-1])

    def on_processed(self, channel, message) -> None:
        """A tapped inline button shows a spinner until the bot answers the callback query."""
        query = (message.raw or {}).get("callback_query")
        if not isinstance(query, dict) or not query.get("id"):
            return
        url = f"{api_base(self.code, DEFAULT_API)}/bot{channel.config.get('bot_token', '')}/answerCallbackQuery"
        body = json.dumps({"callback_query_id": str(query["id"])}).encode("utf-8")
        try:
            result = http_request(url, data=body, headers={"Content-Type": "application/json"})
        except (TemporaryError, PermanentError) as exc:
            log.warning("channel %s: answerCallbackQuery failed (%s)", channel.pk, type(exc).__name__)
            return
        if result.status != 200:
            log.warning("channel %s: answerCallbackQuery answered HTTP %s", channel.pk, result.status)


def _name(user: dict) -> str:
    return " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()


def _command(inbound: Inbound, message: dict) -> None:
    """A message that starts with a bot_command entity: /start is an event (no report); a
    registered keyword (/ayuda, /baja, /reporte …) becomes that keyword's text; any other command
    is an event. The bot_command entity says what is a command; a message without entities (a
    payload trimmed on the way) is read by the command's documented shape."""
    text = inbound.text
    if "entities" in message:
        entity = next((e for e in message["entities"] or [] if isinstance(e, dict)
                       and e.get("type") == "bot_command" and e.get("offset") == 0), None)
        if entity is None or not isinstance(entity.get("length"), int):
            return
        command = _utf16_slice(text, 0, entity["length"])
    else:  # payloads trimmed by a proxy or a test tool: a command by its documented shape
        found = COMMAND.match(text)
        if found is None:
            return
        command = found.group(0)
    rest = text[len(command):].strip()
    word = command.lstrip("/").split("@", 1)[0]  # /help@TestigoBot in groups
    if word.lower() == "start":
        inbound.event = EVENT_START
        if START_PAYLOAD.fullmatch(rest):
            inbound.raw = {**inbound.raw, "start_payload": rest}
        return
    normal = keywords.normalise(word)
    if normal in keywords.KEYWORDS:
        inbound.text = f"{normal} {rest}".strip()
    else:
        inbound.event = EVENT_COMMAND
        inbound.text = f"/{word} {rest}".strip()


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram counts entity offsets and lengths in UTF-16 code units (an emoji is 2)."""
    data = text.encode("utf-16-le")
    return data[2 * offset:2 * (offset + length)].decode("utf-16-le", "ignore")


def _attachments(message: dict) -> list[Attachment]:
    """The file a message carries, as Telegram describes it. A sticker is none: not evidence."""
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        size = _photo_size([p for p in photo if isinstance(p, dict) and p.get("file_id")])
        if size is None:
            return []
        return [Attachment("image", str(size["file_id"]), size=_int(size.get("file_size")),
                           extra=_extra(size, "width", "height"))]
    for field, kind in MEDIA_KINDS:
        media = message.get(field)
        if isinstance(media, dict) and media.get("file_id"):
            return [Attachment(kind, str(media["file_id"]), content_type=str(media.get("mime_type") or ""),
                               filename=str(media.get("file_name") or ""), size=_int(media.get("file_size")),
                               extra=_extra(media, "duration"))]
    return []


def _photo_size(sizes: list[dict]) -> dict | None:
    """The largest size of a photo that may be downloaded (sizes come in no promised order)."""
    if not sizes:
        return None
    cap = _download_limit()

    def area(p):
        return (_int(p.get("width")) or 0) * (_int(p.get("height")) or 0), _int(p.get("file_size")) or 0

    fitting = [p for p in sizes if (_int(p.get("file_size")) or 0) <= cap]
    # None fits: the smallest one, so the report says the file was too big rather than nothing.
    return max(fitting, key=area) if fitting else min(sizes, key=area)


def _location(message: dict) -> Location | None:
    venue = message.get("venue")
    if isinstance(venue, dict) and isinstance(venue.get("location"), dict):
        return _point(venue["location"], name=str(venue.get("title") or ""),
                      address=str(venue.get("address") or ""))
    if isinstance(message.get("location"), dict):
        return _point(message["location"])  # a live location: its first position (edits are ignored)
    return None


def _point(location: dict, **names) -> Location:
    accuracy = location.get("horizontal_accuracy")
    precision = round(accuracy) if isinstance(accuracy, int | float) and not isinstance(accuracy, bool) else None
    return Location(lat=float(location["latitude"]), lon=float(location["longitude"]), precision_m=precision, **names)


def _contact_card(contact: dict) -> str:
    """A shared contact (a witness, a phone to call back) as text staff can read."""
    name = _name(contact)
    return " ".join(part for part in (name, str(contact.get("phone_number") or "")) if part)


def _callback(update: dict) -> list[Inbound]:
    """A tap on an inline keyboard button: the option's text as the message, its data as the id."""
    query = update["callback_query"]
    data, sender = query.get("data"), query.get("from")
    if not isinstance(data, str) or not isinstance(sender, dict) or "id" not in sender:
        return []  # a game button (game_short_name): nothing for the inbox
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    address = chat["id"] if chat.get("type") == "private" and "id" in chat else sender["id"]
    label = _button_text(message.get("reply_markup"), data) or data
    return [Inbound(provider_id=str(update["update_id"]), scheme="telegram", address=str(address), text=label,
                    name=_name(sender), language=str(sender.get("language_code") or "")[:2], raw=update,
                    choice=Choice(id=data, text=label, kind="callback"))]


def _button_text(markup, data: str) -> str:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text") or "")
    return ""


def _file_path(answer) -> str:
    if answer.status == 429 or answer.status >= 500:
        raise TemporaryError(f"Telegram getFile: HTTP {answer.status}")
    data = answer.json()
    description = str(data.get("description") or "")[:200]
    if "too big" in description.lower():
        raise PermanentError(_too_big(BOT_DOWNLOAD_LIMIT))
    if answer.status != 200 or not data.get("ok"):
        raise PermanentError(gettext("Telegram could not give the file: %(reason)s")
                             % {"reason": description or f"HTTP {answer.status}"})
    path = (data.get("result") or {}).get("file_path") if isinstance(data.get("result"), dict) else None
    if not isinstance(path, str) or not path:
        raise PermanentError(gettext("Telegram gave no file path for this file."))
    return path


def _download_limit() -> int:
    """What a bot may download: 20 MB from Telegram's servers, the media cap from a self-hosted
    Bot API server (settings.CHANNEL_API_BASES), which has no such limit."""
    if api_base(Telegram.code, DEFAULT_API) != DEFAULT_API:
        return max_media_bytes()
    return min(BOT_DOWNLOAD_LIMIT, max_media_bytes())


def _too_big(limit: int) -> str:
    return gettext("The file is larger than %(mb)s MB: bots cannot download it from Telegram.") % {
        "mb": limit // 1_000_000}


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _extra(obj: dict, *keys: str) -> dict:
    extra = {k: obj[k] for k in keys if _int(obj.get(k)) is not None}
    if obj.get("file_unique_id"):
        extra["file_unique_id"] = str(obj["file_unique_id"])
    return extra


TYPE = Telegram()
