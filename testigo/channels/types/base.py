"""What every channel type provides. The core asks the type; it never tests a type's code.

A type turns a gateway's HTTP request into `Inbound` messages and `StatusUpdate`s, says whether
the request is authentic, and sends one outbox row. Types are stateless singletons; per-channel
settings come from `channel.config`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from testigo.core import untrusted

log = logging.getLogger(__name__)
# A provider's clock may be off, but not by decades: a timestamp outside these bounds is ignored
# (the message is kept and dated by its reception) rather than refused or crashing the webhook.
EARLIEST_PROVIDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_PROVIDER_SKEW = timedelta(days=1)
# What a payload a type could not read raises besides Malformed: wrong types (a list where a
# string was expected), huge numbers, missing keys. Turned into a 400 with the payload kept.
# Database errors are not among them: those stay 500 so the gateway retries.
PARSE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError, OSError,
                RecursionError)


class Malformed(Exception):
    """The request cannot be read; the message says precisely why (sent back with a 400)."""


class TemporaryError(Exception):
    """Sending failed in a way that may succeed later (network, 5xx, throttling): retry."""


class PermanentError(Exception):
    """Sending can never succeed as is (bad number, bad credentials, opted out): do not retry."""


# What an Attachment is, before its content is checked (the worker decides from the bytes).
ATTACHMENT_KINDS = ("image", "audio", "voice", "video", "document")


@dataclass
class Attachment:
    """A file the message carries, as the provider describes it: fetched later by the worker
    (`ChannelType.fetch_media`), never in the webhook's request."""

    kind: str  # one of ATTACHMENT_KINDS; "voice" is a recorded voice note
    ref: str  # what the type's fetch_media needs: a file id, a media id, a URL; "" for inline data
    content_type: str = ""  # as declared by the provider; the content decides
    filename: str = ""  # as sent (untrusted; shown to staff only after cleaning)
    size: int | None = None  # declared size in bytes, if any
    extra: dict = field(default_factory=dict)  # anything else fetch_media needs (JSON-serialisable)


@dataclass
class Location:
    """A place the message shares (a pin, a venue, coordinates in the text)."""

    lat: float
    lon: float
    precision_m: int | None = None  # how precise the provider says it is (None: exact pin)
    name: str = ""  # a venue's title, a place's name
    address: str = ""


@dataclass
class Choice:
    """An interactive reply: a button, a list row, a flow, a Telegram callback."""

    id: str  # the id/payload we (or the template) set on the option
    text: str  # what the person saw and chose
    kind: str = ""  # "button", "list", "flow", "callback", "template_button"
    data: dict = field(default_factory=dict)  # a flow's answers (response_json parsed)


# Inbound.event: what the message is when it is not content for a report.
EVENT_START = "start"  # a conversation opened (Telegram /start): welcome, no report
EVENT_COMMAND = "command"  # an unknown bot command: help, no report


@dataclass
class Inbound:
    provider_id: str
    scheme: str
    address: str
    text: str
    sent_at: datetime | None = None
    name: str = ""
    language: str = ""
    raw: dict = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    location: Location | None = None
    choice: Choice | None = None
    event: str = ""


@dataclass
class Fetched:
    """An attachment's bytes as the provider served them (fetch_media's answer)."""

    data: bytes
    content_type: str = ""
    filename: str = ""


@dataclass
class StatusUpdate:
    provider_id: str
    status: str  # one of OutboundMessage.Status values
    error: str = ""
    by_outbox_id: bool = False  # provider_id is our own outbox id (Kannel's DLR URL)
    code: str = ""  # the provider's error code of a failure (ChannelType.on_refused), e.g. WhatsApp's 131047


@dataclass
class SendResult:
    provider_id: str = ""
    status: str = "sent"


@dataclass
class ConfigField:
    key: str
    label: str
    secret: bool = False
    required: bool = True
    kind: str = "text"  # "url" or "host": an address the server connects to (checked by channels.addresses);
    # "multiline": a longer text typed on several lines (a body template)


@dataclass
class HttpResult:
    status: int
    body: bytes
    quotable: bool = True  # False for admin-set URLs: their answer is never quoted in an error

    def json(self) -> dict:
        try:
            value = untrusted.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def http_request(url: str, *, data: bytes | None = None, headers: dict | None = None,
                 method: str | None = None, timeout: float = 15, admin_url: bool = False) -> HttpResult:
    """One HTTP call to a provider; every type sends through here so tests can replace it.

    `admin_url`: the URL comes from a channel's settings, not from our code. It is then fetched
    only over http(s) to public addresses (channels.addresses) and its answer is never quoted."""
    from testigo.channels import addresses

    if admin_url and urllib.parse.urlsplit(url).scheme.lower() not in addresses.URL_SCHEMES:
        raise PermanentError("the gateway URL must start with http:// or https://")
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    open_url = addresses.opener().open if admin_url else urllib.request.urlopen
    try:
        with open_url(req, timeout=timeout) as resp:  # noqa: S310 - provider URLs, or checked ones
            return HttpResult(resp.status, resp.read(), quotable=not admin_url)
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, exc.read() or b"", quotable=not admin_url)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        if addresses.blocked(exc):
            raise PermanentError("the gateway address is on this server or a private network; the "
                                 "operator can allow it with TESTIGO_ALLOW_PRIVATE_GATEWAYS=1") from exc
        raise TemporaryError(f"network error: {exc}") from exc


def max_media_bytes() -> int:
    from django.conf import settings

    return settings.CHANNEL_MEDIA_MAX_BYTES


def api_base(code: str, default: str) -> str:
    """A provider's API root: `default`, unless settings.CHANNEL_API_BASES names another for this
    type (a self-hosted Telegram Bot API server; a local stand-in of the provider in tests)."""
    from django.conf import settings

    return (settings.CHANNEL_API_BASES.get(code) or default).rstrip("/")


class _KeepAuthOnSameHost(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry credentials to another host (Twilio's media redirect to
    its CDN; anything a provider's answer points at)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).hostname != urllib.parse.urlsplit(req.full_url).hostname:
            for name in list(new.headers):
                if name.lower() in {"authorization", "cookie"}:
                    del new.headers[name]
            new.unredirected_hdrs.pop("Authorization", None)
        return new


def download(url: str, *, headers: dict | None = None, max_bytes: int | None = None, timeout: float = 60,
             public_only: bool = False) -> Fetched:
    """GET a file for an attachment, reading at most `max_bytes` (default: the media cap).

    `public_only`: the URL came from a payload or a setting, not from our code: only http(s) to
    public addresses (channels.addresses), unless the operator allows private gateways.
    429/5xx and network errors are TemporaryError (retried); other 4xx and oversize PermanentError."""
    from testigo.channels import addresses

    limit = max_bytes or max_media_bytes()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in addresses.URL_SCHEMES:
        raise PermanentError("the media URL must start with http:// or https://")
    if public_only:
        # Given to the opener, not added after: the default redirect handler would answer first
        # and carry Authorization to the other host.
        director = addresses.opener(redirects=_KeepAuthOnSameHost())
    else:
        director = urllib.request.build_opener(_KeepAuthOnSameHost())
    req = urllib.request.Request(url, headers=headers or {}, method="GET")
    try:
        with director.open(req, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise PermanentError(f"the file is larger than {limit // 1_000_000} MB")
            data = resp.read(limit + 1)
            if len(data) > limit:
                raise PermanentError(f"the file is larger than {limit // 1_000_000} MB")
            disposition = resp.headers.get("Content-Disposition", "")
            filename = ""
            if "filename=" in disposition:
                filename = disposition.split("filename=", 1)[1].strip().strip('"')
            return Fetched(data=data, content_type=resp.headers.get("Content-Type", ""), filename=filename)
    except urllib.error.HTTPError as exc:
        raise_for_status(HttpResult(exc.code, b"", quotable=False))
        raise PermanentError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        if addresses.blocked(exc):
            raise PermanentError("the media address is on this server or a private network") from exc
        raise TemporaryError(f"network error: {exc}") from exc


def raise_for_status(result: HttpResult, ok: set[int] = frozenset({200, 201, 202})) -> None:
    """Map a provider's HTTP status to the retry policy: 429 and 5xx retry, other 4xx do not."""
    if result.status in ok:
        return
    detail = result.body[:300].decode("utf-8", "replace") if result.quotable else "(answer not shown)"
    if result.status == 429 or result.status >= 500:
        raise TemporaryError(f"HTTP {result.status}: {detail}")
    raise PermanentError(f"HTTP {result.status}: {detail}")


def same(given: str | bytes | None, expected: str | bytes | None) -> bool:
    """Constant-time comparison; an unset expected secret never matches."""
    if not expected or given is None:
        return False
    if isinstance(given, str):
        given = given.encode("utf-8")
    if isinstance(expected, str):
        expected = expected.encode("utf-8")
    return hmac.compare_digest(given, expected)


class ChannelType:
    code = ""
    name = ""
    scheme = "tel"  # the contact addresses it reaches: tel (E.164), mailto, telegram
    # It may write to someone who has not written recently: alerts and sign-up codes go through it
    # when the subscriber has no channel of their own (channels.selectors.default_channels).
    writes_first = True
    max_length = 1600
    pull = False  # the gateway fetches its outbox itself (SMSSync); workers skip these channels
    webhook = True  # False for types we poll (e-mail): their webhook URL answers 404
    templates = False  # it sends approved message templates (WhatsApp): admins register them per channel
    config_fields: list[ConfigField] = []

    # --- inbound ------------------------------------------------------------------------------
    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        raise NotImplementedError

    def respond(self, channel, request: HttpRequest, action: str) -> HttpResponse | None:
        """Answer an authenticated request that brings nothing to store (a phone's poll, a
        subscription check) or None. The webhook view stores everything else."""
        return None

    def parse(self, channel, request: HttpRequest, action: str) -> tuple[list[Inbound], list[StatusUpdate]]:
        """What an authenticated request brings: (messages to store, delivery reports to apply).
        The webhook view stores them (channels.services) and answers with `acknowledge`."""
        if action == "status":
            return [], self.parse_status(channel, request)
        return self.parse_inbound(channel, request), []

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        raise NotImplementedError

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        raise Malformed("this channel type does not accept status reports")

    def acknowledge(self, channel, request: HttpRequest, stored: list) -> HttpResponse:
        return JsonResponse({"ok": True})

    def rejection(self, status: int, message: str) -> HttpResponse:
        return JsonResponse({"ok": False, "error": message}, status=status)

    # --- outbound -----------------------------------------------------------------------------
    def send(self, channel, message) -> SendResult:
        raise NotImplementedError

    def on_refused(self, channel, message, code: str) -> None:
        """After a row was marked failed with the provider's error `code` (a PermanentError with a
        `code` from send(), or a failed status report): e.g. send it again another way. Runs in
        the transaction that recorded the failure."""

    # --- media ----------------------------------------------------------------------------------
    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """The bytes of one attachment of a stored message (`attachment` is the dict form of the
        Attachment the type parsed). Runs in the worker. Raises TemporaryError (retried later) or
        PermanentError (shown on the report); never reads more than `max_media_bytes()`."""
        raise PermanentError(f"{self.code} does not carry media")

    def release_media(self, channel, message) -> None:
        """Every attachment of `message` is stored, refused or given up: drop what the type kept
        only so the worker could fetch the files (a stored e-mail, inline MMS parts). Runs in
        the worker; errors are logged."""

    def on_processed(self, channel, message) -> None:
        """After a stored message was processed and committed (in the worker): what the provider
        expects once we have acted, e.g. Telegram's answerCallbackQuery. Errors are logged."""

    def prepare_text(self, channel, text: str) -> str:
        from testigo.channels import encoding

        return encoding.transliterate(text) if channel.transliterate else text


@contextmanager
def reading(channel):
    """Around a type's parsing: a payload it could not read is Malformed (a 400 with the payload
    kept as a rejected sample), never a 500, whatever shape the payload has."""
    try:
        yield
    except Malformed:
        raise
    except PARSE_ERRORS as exc:
        log.warning("channel %s: unreadable payload (%s)", channel.pk, type(exc).__name__)
        raise Malformed(f"the payload could not be read ({type(exc).__name__})") from exc


def loads_json(data: bytes | str) -> object:
    """A JSON body or field, parsed with a nesting limit and with every NUL replaced (U+FFFD)."""
    try:
        return untrusted.clean(untrusted.loads(data))
    except untrusted.UnreadableJSON as exc:
        raise Malformed(str(exc)) from exc


def provider_time(value, *, per_second: int = 1) -> datetime | None:
    """A provider's epoch timestamp (seconds, or milliseconds with per_second=1000) as a datetime;
    None when it is missing, not a number or out of range: the message is then dated by its
    reception (received_at), never refused for its clock."""
    try:
        when = datetime.fromtimestamp(int(str(value).strip()) / per_second, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return when if EARLIEST_PROVIDER_TIME <= when <= timezone.now() + LATEST_PROVIDER_SKEW else None


def provider_iso_time(value) -> datetime | None:
    """A provider's ISO 8601 timestamp (with an offset, or UTC when it has none) as a UTC datetime;
    None when missing, unreadable or out of range, like `provider_time`."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when if EARLIEST_PROVIDER_TIME <= when <= timezone.now() + LATEST_PROVIDER_SKEW else None


# A file's kind from its declared type or its name, for gateways that give only a URL or a MIME
# type (MMS through a phone). Only a hint: the worker decides from the bytes.
_KIND_BY_EXTENSION = {
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "webp": "image", "heic": "image",
    "heif": "image", "bmp": "image", "amr": "voice", "opus": "voice", "ogg": "audio", "oga": "audio",
    "mp3": "audio", "m4a": "audio", "aac": "audio", "wav": "audio", "mp4": "video", "3gp": "video",
    "3gpp": "video", "mov": "video", "webm": "video", "mkv": "video",
}


def attachment_kind(content_type: str = "", filename: str = "") -> str:
    """One of ATTACHMENT_KINDS from a MIME type ("image/jpeg") or a file name or URL ("a.jpg");
    "document" when neither says more."""
    major = (content_type or "").split("/", 1)[0].strip().lower()
    if content_type.lower().startswith("audio/amr"):
        return "voice"
    if major in {"image", "audio", "video"}:
        return major
    name = urllib.parse.urlsplit(filename or "").path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _KIND_BY_EXTENSION.get(extension, "document")


def form_or_json(request: HttpRequest) -> dict:
    """Request parameters from the query string, a form body or a JSON object body."""
    data = {k: v for k, v in request.GET.items()}
    ctype = (request.content_type or "").lower()
    if request.method in {"POST", "PUT"}:
        if ctype == "application/json":
            body = loads_json(request.body)
            if not isinstance(body, dict):
                raise Malformed("the JSON body must be an object")
            data.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        else:
            data.update({k: v for k, v in request.POST.items()})
    return data


def require(data: dict, *names: str) -> list[str]:
    missing = [n for n in names if not str(data.get(n, "")).strip()]
    if missing:
        raise Malformed("missing " + ", ".join(repr(n) for n in missing))
    return [str(data[n]) for n in names]


def first(data: dict, *names: str) -> str:
    """The first non-empty parameter among `names` (integrations name the same field differently)."""
    for name in names:
        value = str(data.get(name, "") or "").strip()
        if value:
            return value
    return ""


def content_id(*parts: str) -> str:
    """An id for a gateway that gives none: the same SMS forwarded again gets the same id (so it is
    stored once); two different SMS get different ids."""
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()
