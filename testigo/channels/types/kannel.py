"""Kannel 1.4.5: inbound through an sms-service get-url or post-url, outbound through smsbox's
sendsms, delivery reports through the dlr-url. Kannel signs nothing: a secret `key` in the URL."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels import encoding
from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    StatusUpdate,
    TemporaryError,
    content_id,
    first,
    form_or_json,
    http_request,
    provider_time,
    require,
    same,
)

# dlr-mask bits: 1 delivered, 2 not delivered, 4 queued on SMSC, 8 delivered to SMSC, 16 rejected by SMSC.
DLR_MASK = 1 | 2 | 8 | 16
DLR_STATUS = {1: "delivered", 2: "failed", 8: "sent", 16: "failed"}
GET_URL_QUERY = "id=%I&from=%p&to=%P&text=%a&time=%T&coding=%c"
# What other integrations put in their get-url or post form (RapidPro's courier: sender, message,
# ts, id; PlaySMS, Ushahidi and hand-written configs: from, msisdn, phone, text, msg, body...).
SENDER_NAMES = ("sender", "from", "msisdn", "phone")
TEXT_NAMES = ("message", "text", "msg", "body")
ID_NAMES = ("id", "message_id", "smsid")
TIME_NAMES = ("time", "timestamp", "ts")


class Kannel(ChannelType):
    code = "kannel"
    name = "Kannel"
    config_fields = [
        ConfigField("secret", _("Secret key (added to the get-url as key=…)"), secret=True),
        ConfigField("sendsms_url", _("sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms"), kind="url"),
        ConfigField("username", _("sendsms-user username")),
        ConfigField("password", _("sendsms-user password"), secret=True),
        ConfigField("from_number", _("Sender number or short code"), required=False),
        ConfigField("smsc", _("smsc-id to route through"), required=False),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        return same(request.GET.get("key"), channel.config.get("secret"))

    def rejection(self, status: int, message: str) -> HttpResponse:
        return HttpResponse(message, status=status, content_type="text/plain")

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        if request.method == "POST" and "X-Kannel-From" in request.headers:
            return [self._post_url(request)]
        data = form_or_json(request)
        sender = first(data, *SENDER_NAMES)
        if not sender:
            raise Malformed("missing the sender: one of " + ", ".join(repr(n) for n in SENDER_NAMES))
        text = next((str(data[n]) for n in TEXT_NAMES if data.get(n)), "")
        when = first(data, *TIME_NAMES)
        provider_id = first(data, *ID_NAMES) or content_id(sender, when, text)
        return [Inbound(provider_id=provider_id, scheme="tel", address=sender, text=text, sent_at=provider_time(when),
                        raw={k: v for k, v in data.items() if k != "key"})]

    def _post_url(self, request: HttpRequest) -> Inbound:
        """post-url: the body is the text; metadata in X-Kannel-* headers (needs send-sender=true)."""
        headers = request.headers
        charset = request.encoding or "utf-8"
        try:
            text = request.body.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise Malformed(f"the body is not valid {charset}: {exc}") from exc
        sender = headers.get("X-Kannel-From", "")
        if not sender:
            raise Malformed("post-url needs the X-Kannel-From header (send-sender = true)")
        provider_id = first(request.GET, *ID_NAMES) or content_id(sender, headers.get("X-Kannel-Time", ""), text)
        raw = {k: v for k, v in headers.items() if k.lower().startswith("x-kannel-")}
        return Inbound(provider_id=provider_id, scheme="tel", address=sender, text=text, raw=raw)

    def parse_status(self, channel, request: HttpRequest) -> list[StatusUpdate]:
        outbox_id, status = require(request.GET, "id", "st")
        try:
            mapped = DLR_STATUS.get(int(status))
        except ValueError as exc:
            raise Malformed(f"st={status!r} is not a DLR value") from exc
        if mapped is None:
            return []
        return [StatusUpdate(outbox_id, mapped, f"dlr {status}" if mapped == "failed" else "", by_outbox_id=True)]

    def acknowledge(self, channel, request, stored) -> HttpResponse:
        # Empty: with omit-empty=true Kannel sends no SMS; replies go through the outbox (sendsms).
        return HttpResponse("", content_type="text/plain")

    def send(self, channel, message) -> SendResult:
        from testigo.channels.selectors import webhook_url

        config = channel.config
        dlr = webhook_url(channel, "status") + "?" + urlencode({"key": config.get("secret", "")})
        params = {"username": config.get("username", ""), "password": config.get("password", ""),
                  "to": message.contact.address, "text": message.text, "charset": "UTF-8",
                  "coding": "0" if encoding.is_gsm7(message.text) else "2",
                  "dlr-mask": str(DLR_MASK), "dlr-url": f"{dlr}&id={message.pk}&st=%d"}
        if config.get("from_number"):
            params["from"] = config["from_number"]
        if config.get("smsc"):
            params["smsc"] = config["smsc"]
        result = http_request(config.get("sendsms_url", "") + "?" + urlencode(params), admin_url=True)
        body = result.body.decode("utf-8", "replace").strip()
        if result.status == 202 or body.startswith(("0:", "3:")):
            return SendResult(provider_id=f"kannel-{message.pk}")
        # The answer itself is not quoted (an admin-set URL); Kannel's own log says why.
        if result.status >= 500:
            raise TemporaryError(f"Kannel answered HTTP {result.status}; see Kannel's log")
        raise PermanentError(f"Kannel answered HTTP {result.status}; see Kannel's log")


TYPE = Kannel()
