"""What every channel type provides. The core asks the type; it never tests a type's code.

A type turns a gateway's HTTP request into `Inbound` messages and `StatusUpdate`s, says whether
the request is authentic, and sends one outbox row. Types are stateless singletons; per-channel
settings come from `channel.config`.
"""

from __future__ import annotations

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


@dataclass
class StatusUpdate:
    provider_id: str
    status: str  # one of OutboundMessage.Status values
    error: str = ""
    by_outbox_id: bool = False  # provider_id is our own outbox id (Kannel's DLR URL)


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
    kind: str = "text"  # "url" or "host": an address the server connects to (checked by channels.addresses)


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
