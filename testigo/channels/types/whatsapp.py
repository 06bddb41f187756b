"""WhatsApp Cloud API: hub.challenge verification, X-Hub-Signature-256 over the raw body bytes,
text messages in; text replies inside the 24-hour customer-service window, approved templates
outside it (channels.wa_templates)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import urllib.parse
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    PARSE_ERRORS,
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
    StatusUpdate,
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
GRAPH = "https://graph.facebook.com"
# Where the Graph API's media URLs point (lookaside.fbsbx.com today); the access token is sent
# there, so no other host is ever fetched.
MEDIA_HOSTS = ("fbsbx.com", "facebook.com", "whatsapp.net")
PHONE = re.compile(r"\+?[0-9]{1,32}")
# A business-scoped user id (§2.2): ISO 3166 alpha-2, a dot, up to 128 letters and digits, e.g.
# US.13491208655302741918. A parent id (US.ENT.…) does not match: it is never an address.
BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]{1,128}")
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
        return self._messages(channel, request, payload), self._statuses(payload)

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        return HttpResponse("EVENT_RECEIVED", content_type="text/plain")

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """The media id's URL from the Graph API, then the bytes, both with the access token
        (§2.4). The URL is fetched only on Meta's own hosts: the token goes with it."""
        config = channel.config
        auth = {"Authorization": f"Bearer {config.get('access_token', '')}"}
        root = api_base(self.code, GRAPH)
        media_id = urllib.parse.quote(str(attachment.get("ref") or ""), safe="")
        answer = http_request(f"{root}/{config.get('api_version') or 'v21.0'}/{media_id}", headers=auth)
        if answer.status in {400, 404}:
            raise PermanentError(gettext("The media is no longer available at WhatsApp (ids expire after 7 days)."))
        raise_for_status(answer)
        info = answer.json()
        url = info.get("url")
        if not isinstance(url, str) or not url:
            raise PermanentError(gettext("WhatsApp gave no address for this media."))
        if not _meta_host(url, root):
            raise PermanentError(gettext("WhatsApp gave a media address outside Meta's servers; it was not fetched."))
        declared = _size(info.get("file_size"))
        if declared is not None and declared > max_media_bytes():
            raise PermanentError(f"the file is larger than {max_media_bytes() // 1_000_000} MB")
        fetched = download(url, headers=auth, public_only=False)
        content_type = fetched.content_type
        if not content_type or content_type.startswith("application/octet-stream"):
            content_type = str(info.get("mime_type") or attachment.get("content_type") or content_type)
        return Fetched(data=fetched.data, content_type=content_type,
                       filename=attachment.get("filename") or fetched.filename)

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

    def _messages(self, channel, request, payload: dict) -> list[Inbound]:
        """Each message of the webhook on its own (§2.3): one that cannot be read (no valid sender,
        a broken field) is skipped and kept as a rejected sample; the others are stored."""
        found, skipped = [], []
        for value in self._values(payload):
            names = _names(value.get("contacts"))
            messages = value.get("messages") or []
            if not isinstance(messages, list):
                raise Malformed('"messages" is not a list')
            for m in messages:
                try:
                    inbound = _inbound(m, names)
                except (Malformed, *PARSE_ERRORS) as exc:
                    reason = str(exc) if isinstance(exc, Malformed) else f"unreadable ({type(exc).__name__})"
                    skipped.append(f"message {_id_of(m)!r} skipped: {reason}")
                    continue
                if inbound is not None:
                    found.append(inbound)
        if skipped:
            from testigo.channels import rejections

            log.warning("channel %s: %d WhatsApp message(s) skipped", channel.pk, len(skipped))
            rejections.record_rejection(channel=channel, channel_type=self.code, request=request,
                                        reason="; ".join(skipped))
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
        if message.contact.scheme == "whatsapp":  # a BSUID: the person hides their number (§2.2)
            recipient = {"recipient_type": "individual", "recipient": message.contact.address}
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


def _names(contacts) -> dict[str, str]:
    """Profile names by phone (wa_id) and by BSUID (user_id): a user who hides their number has
    only the second (§2.2)."""
    names = {}
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        name = (contact.get("profile") or {}).get("name") if isinstance(contact.get("profile"), dict) else ""
        for key in ("wa_id", "user_id"):
            if isinstance(contact.get(key), str) and isinstance(name, str) and name:
                names[contact[key]] = name
    return names


def _id_of(m) -> str:
    return str(m.get("id") or "")[:80] if isinstance(m, dict) else ""


def _sender(m: dict) -> tuple[str, str]:
    """`from` (a phone number, or a BSUID when the user hides their number), else `from_user_id`.
    A parent BSUID (US.ENT.…) names a business portfolio's view of the user: never an address."""
    phone = m.get("from")
    if isinstance(phone, str) and PHONE.fullmatch(phone):
        return "tel", "+" + phone.lstrip("+")
    for candidate in (phone, m.get("from_user_id")):
        if isinstance(candidate, str) and BSUID.fullmatch(candidate):
            return "whatsapp", candidate
    raise Malformed("the sender is neither a phone number nor a WhatsApp user id (BSUID)")


def _inbound(m, names: dict[str, str]) -> Inbound | None:
    """One message of a webhook, or None when it is not content (a reaction, an order, a system
    notice, a group message, a type we do not know)."""
    if not isinstance(m, dict) or not isinstance(m.get("id"), str) or not m["id"]:
        raise Malformed('a message has no "id"')
    kind = m.get("type")
    reader = READERS.get(kind) if isinstance(kind, str) else None
    if reader is None or m.get("group_id"):
        if kind == "system" and isinstance(m.get("system"), dict):  # user_changed_number/_user_id
            log.info("WhatsApp system notice %s ignored", str(m["system"].get("type"))[:40])
        return None
    scheme, address = _sender(m)
    timestamp = _size(m.get("timestamp"))
    sent_at = provider_time(timestamp, per_second=1000 if timestamp and timestamp >= 10**12 else 1)
    keys = [k for k in (m.get("from"), m.get("from_user_id")) if isinstance(k, str) and k in names]
    inbound = Inbound(provider_id=m["id"], scheme=scheme, address=address, text="", sent_at=sent_at,
                      name=names[keys[0]] if keys else "", raw=m)
    return inbound if reader(inbound, m, kind) is not False else None


def _text(inbound: Inbound, m: dict, kind: str) -> None:
    inbound.text = _str(m["text"]["body"])


def _media(inbound: Inbound, m: dict, kind: str) -> None:
    media = m[kind]
    if not isinstance(media, dict):
        raise Malformed(f'"{kind}" is not an object')
    inbound.text = _str(media.get("caption") or "")
    if kind == "sticker":
        return  # not evidence: no attachment
    if not isinstance(media.get("id"), str) or not media["id"]:
        raise Malformed(f'the {kind} has no media "id"')
    attachment_kind = "voice" if kind == "voice" or (kind == "audio" and media.get("voice") is True) else kind
    extra = {"sha256": media["sha256"]} if isinstance(media.get("sha256"), str) else {}
    inbound.attachments = [Attachment(attachment_kind, media["id"], content_type=_str(media.get("mime_type") or ""),
                                      filename=_str(media.get("filename") or ""), extra=extra)]


def _location(inbound: Inbound, m: dict, kind: str) -> None:
    place = m["location"]
    lat, lon = float(place["latitude"]), float(place["longitude"])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # checked here: storing would refuse the whole webhook
        raise Malformed("the location is not a latitude and longitude")
    inbound.location = Location(lat=lat, lon=lon, name=_str(place.get("name") or ""),
                                address=_str(place.get("address") or ""))


def _interactive(inbound: Inbound, m: dict, kind: str) -> bool | None:
    """A reply button, a list row, or a completed flow (nfm_reply)."""
    reply_type = m["interactive"]["type"]
    reply = m["interactive"].get(reply_type)
    if reply_type not in {"button_reply", "list_reply", "nfm_reply"} or not isinstance(reply, dict):
        return False  # e.g. a call permission answer: not content
    if reply_type == "nfm_reply":
        answers = _flow_answers(reply.get("response_json"))
        token = answers.get("flow_token")
        text = _str(reply.get("body") or reply.get("name") or "")
        choice = Choice(id=token if isinstance(token, str) else _str(reply.get("name") or ""), text=text,
                        kind="flow", data=answers)
    else:
        data = {"description": _str(reply["description"])} if reply.get("description") else {}
        choice = Choice(id=_str(reply["id"]), text=_str(reply.get("title") or ""),
                        kind="button" if reply_type == "button_reply" else "list", data=data)
    inbound.choice, inbound.text = choice, choice.text
    return None


def _flow_answers(response_json) -> dict:
    """A flow's answers: response_json is a string that must hold a JSON object (else none)."""
    if not isinstance(response_json, str):
        return {}
    try:
        answers = loads_json(response_json)
    except Malformed:
        return {}
    return answers if isinstance(answers, dict) else {}


def _template_button(inbound: Inbound, m: dict, kind: str) -> None:
    """A quick-reply button of a template we sent: the payload we set, the label they saw."""
    button = m["button"]
    inbound.choice = Choice(id=_str(button.get("payload") or ""), text=_str(button.get("text") or ""),
                            kind="template_button")
    inbound.text = inbound.choice.text


def _contacts(inbound: Inbound, m: dict, kind: str) -> None:
    """Shared contact cards (a witness to call back) as text staff can read."""
    cards = []
    for card in m["contacts"]:
        name = _str((card.get("name") or {}).get("formatted_name") or "")
        phones = [_str(p.get("phone") or "") for p in card.get("phones") or [] if isinstance(p, dict)]
        cards.append(" ".join(part for part in [name, *phones] if part))
    inbound.text = "; ".join(card for card in cards if card)


def _str(value) -> str:
    if not isinstance(value, str):
        raise Malformed("a text field is not a string")
    return value


def _size(value) -> int | None:
    """A count Meta sends as a number or a string of digits (file_size, timestamp)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() else None


def _meta_host(url: str, root: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if host and host == urllib.parse.urlsplit(root).hostname:
        return True
    return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in MEDIA_HOSTS)


READERS = {"text": _text, "image": _media, "video": _media, "document": _media, "audio": _media,
           "voice": _media, "sticker": _media, "location": _location, "interactive": _interactive,
           "button": _template_button, "contacts": _contacts}


TYPE = WhatsApp()
