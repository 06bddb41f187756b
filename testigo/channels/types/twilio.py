"""Twilio Programmable Messaging: signed form webhooks, TwiML answers, Messages API, status callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
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
    raise_for_status,
    require,
)

API_ROOT = "https://api.twilio.com"
MESSAGES = "/2010-04-01/Accounts/{sid}/Messages.json"
# Twilio's documented maximum of media per message; NumMedia beyond it is not believed.
MAX_MEDIA = 10
MEDIA_HOST = "twilio.com"  # MediaUrl{N} hosts: api.twilio.com and other subdomains; nothing else
WHATSAPP = "whatsapp:"
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


def sender_address(sender: str) -> tuple[str, str]:
    """(scheme, address) of `From`: a phone, or a WhatsApp user known only by their business-scoped
    id ("whatsapp:US.13491208655302741918"), which is not a phone number and must not become one."""
    if sender.startswith(WHATSAPP):
        value = sender.removeprefix(WHATSAPP).strip()
        if value and not value.startswith("+") and not value.replace(" ", "").isdigit():
            return "whatsapp", value
        return "tel", value
    return "tel", sender


def media_of(data) -> list[Attachment]:
    """NumMedia, MediaUrl{N} and MediaContentType{N}: an MMS's (or WhatsApp message's) files."""
    try:
        count = int(str(data.get("NumMedia", "0") or "0").strip())
    except ValueError as exc:
        raise Malformed(f"NumMedia={data.get('NumMedia')!r} is not a number") from exc
    found = []
    for n in range(max(0, min(count, MAX_MEDIA))):
        url = str(data.get(f"MediaUrl{n}", "")).strip()
        if not url:
            continue
        content_type = str(data.get(f"MediaContentType{n}", "")).strip().lower()
        found.append(Attachment(kind=kind_of(content_type), ref=url, content_type=content_type))
    return found


def kind_of(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return major if major in {"image", "audio", "video"} else "document"


def location_of(data) -> Location | None:
    """A WhatsApp location (MessageType=location, or Latitude/Longitude present) with its place."""
    if not (data.get("Latitude") or data.get("Longitude")):
        return None
    try:
        lat, lon = float(data.get("Latitude", "")), float(data.get("Longitude", ""))
    except ValueError as exc:
        raise Malformed("Latitude and Longitude must be numbers") from exc
    return Location(lat=lat, lon=lon, name=data.get("Label", ""), address=data.get("Address", ""))


def is_twilio_media(url: str) -> bool:
    """Twilio's own media URLs: https on twilio.com or a subdomain; or the API root set in
    CHANNEL_API_BASES (a local stand-in in tests). Anything else in a payload is not fetched (SSRF)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == MEDIA_HOST or host.endswith("." + MEDIA_HOST)):
        return True
    root = urlsplit(api_base("twilio", API_ROOT))
    return bool(host) and (parts.scheme, host, parts.port) == (root.scheme, (root.hostname or "").lower(), root.port)


def media_credentials(config: dict) -> tuple[str, str]:
    if config.get("api_key_sid") and config.get("api_key_secret"):
        return config["api_key_sid"], config["api_key_secret"]
    return config.get("account_sid", ""), config.get("auth_token", "")


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def recipient(config: dict, contact) -> str:
    """`To`: WhatsApp users (a BSUID, or a phone when the channel sends from a WhatsApp sender)
    are addressed as whatsapp:…; SMS recipients by their number."""
    if contact.scheme == "whatsapp" or str(config.get("from_number", "")).startswith(WHATSAPP):
        return WHATSAPP + contact.address
    return contact.address


class Twilio(ChannelType):
    code = "twilio"
    name = "Twilio"
    config_fields = [
        ConfigField("account_sid", _("Account SID")),
        ConfigField("auth_token", _("Auth token"), secret=True),
        ConfigField("from_number", _("From number (or leave empty and give a Messaging Service SID)"), required=False),
        ConfigField("messaging_service_sid", _("Messaging Service SID"), required=False),
        ConfigField("shared_key", _("Webhook shared key (beta, HMAC-SHA256)"), secret=True, required=False),
        # Optional: Twilio recommends an API key (SK…) over the auth token for downloading media.
        ConfigField("api_key_sid", _("API key"), required=False),
        ConfigField("api_key_secret", _("API secret"), secret=True, required=False),
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
        sid = data.get("MessageSid") or data.get("SmsMessageSid") or data.get("SmsSid")  # older names
        if not sid:
            raise Malformed("missing 'MessageSid'")
        sender = require(data, "From")[0]
        scheme, address = sender_address(sender)
        body = data.get("Body", "")
        choice = None
        if data.get("ButtonText") or data.get("ButtonPayload"):
            # A tap on a template's quick-reply button: Body repeats the label (courier reads ButtonText).
            label = data.get("ButtonText", "") or data.get("ButtonPayload", "")
            choice = Choice(id=data.get("ButtonPayload", "") or label, text=label, kind="template_button")
            body = body or label
        raw = {k: v for k, v in data.items()}
        return [Inbound(provider_id=sid, scheme=scheme, address=address, text=body, raw=raw,
                        name=data.get("ProfileName", ""), attachments=media_of(data), location=location_of(data),
                        choice=choice)]

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        sid, status = require(request.POST, "MessageSid", "MessageStatus")
        mapped = STATUSES.get(status)
        if mapped is None:
            return []  # receiving/received: not about our outbound messages
        return [StatusUpdate(sid, mapped, request.POST.get("ErrorCode", ""))]

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        # Replies go out through the outbox (so they are counted, rate-limited and tracked).
        return HttpResponse(EMPTY_TWIML if stored else "", content_type="text/xml")

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """MediaUrl{N}: only from Twilio (or the API root a test or proxy set), with HTTP Basic auth;
        the redirect to Twilio's CDN is followed without the credentials (base.download)."""
        url = str(attachment.get("ref", ""))
        if not is_twilio_media(url):
            raise PermanentError("the media URL is not Twilio's; it was not fetched")
        fetched = download(url, headers={"Authorization": basic_auth(*media_credentials(channel.config))},
                           public_only=True)
        if not fetched.content_type:
            fetched.content_type = str(attachment.get("content_type", ""))
        return fetched

    def send(self, channel, message) -> SendResult:
        from testigo.channels.selectors import webhook_url

        config = channel.config
        fields = {"To": recipient(config, message.contact), "Body": message.text,
                  "StatusCallback": webhook_url(channel, "status")}
        if config.get("messaging_service_sid"):
            fields["MessagingServiceSid"] = config["messaging_service_sid"]
        elif config.get("from_number"):
            fields["From"] = config["from_number"]
        else:
            raise PermanentError("the channel has neither a From number nor a Messaging Service SID")
        auth = basic_auth(config.get("account_sid", ""), config.get("auth_token", ""))
        url = api_base(self.code, API_ROOT) + MESSAGES.format(sid=config.get("account_sid", ""))
        result = http_request(url, data=urlencode(fields).encode(),
                              headers={"Authorization": auth,
                                       "Content-Type": "application/x-www-form-urlencoded"})
        raise_for_status(result)
        sid = result.json().get("sid")
        if not sid:
            raise TemporaryError("Twilio answered without a message sid")
        return SendResult(provider_id=sid)


TYPE = Twilio()
