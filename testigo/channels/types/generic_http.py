"""A generic HTTP gateway: any aggregator or SMS box that calls a URL for each message and takes one
HTTP request per message to send, connected by settings alone (field names, a body template).

Inbound: GET query string, form POST, a JSON object or a JSON list of objects; the field names
(dotted paths reach into nested JSON) are settings, each a comma-separated list of alternatives.
Outbound: one request to the admin's URL, its body a template with {{to}} {{text}} {{id}} {{from}}."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import quote, quote_plus, urlsplit

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    Attachment,
    ChannelType,
    ConfigField,
    Fetched,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    TemporaryError,
    attachment_kind,
    download,
    form_or_json,
    http_request,
    loads_json,
    provider_iso_time,
    provider_time,
    same,
)

# What the fields are called when the admin leaves a setting empty: the usual names of Kannel,
# Twilio, SMSSync, Vonage, Africa's Talking and phone gateways.
DEFAULT_FIELDS = {
    "in_from": "from,sender,msisdn,phone,address,From",
    "in_text": "text,message,body,content,msg,Body",
    "in_id": "id,message_id,messageId,sms_id,MessageSid",
    "in_time": "time,timestamp,date,received_at,sent_timestamp",
    "in_media": "media_url,mediaUrl,MediaUrl0,attachments",
}
DEFAULT_OK = "200-299"
FORM = "application/x-www-form-urlencoded"
DEFAULT_BODY = {FORM: "to={{to}}&text={{text}}&from={{from}}&id={{id}}",
                "json": '{"to": "{{to}}", "text": "{{text}}", "from": "{{from}}", "id": "{{id}}"}'}
PLACEHOLDER = re.compile(r"\{\{\s*(to|text|id|from)\s*\}\}")
MAX_BATCH = 100  # messages in one request (a JSON list); more is refused, not truncated in silence
MAX_ATTACHMENTS = 10
MILLISECONDS_FROM = 10**11  # an epoch number above this is in milliseconds (year 5138 in seconds)


class GenericHTTP(ChannelType):
    code = "generic_http"
    name = _("Generic HTTP gateway")
    config_fields = [
        ConfigField("secret", _("Shared secret (the gateway sends it as key=… in the URL, or in a header)"),
                    secret=True),
        ConfigField("secret_header", _("Header that carries the secret instead of key=… (optional)"), required=False),
        ConfigField("in_from", _("Inbound: sender field (alternatives separated by commas)"), required=False),
        ConfigField("in_text", _("Inbound: text field"), required=False),
        ConfigField("in_id", _("Inbound: message id field"), required=False),
        ConfigField("in_time", _("Inbound: time field (Unix seconds, milliseconds or ISO 8601)"), required=False),
        ConfigField("in_media", _("Inbound: media URL fields (all are read)"), required=False),
        ConfigField("out_url", _("Sending URL (may contain {{to}} {{text}} {{id}} {{from}})"), required=False,
                    kind="url"),
        ConfigField("out_method", _("Sending method: POST or GET"), required=False),
        ConfigField("out_content_type", _("Sending body type: form or json"), required=False),
        ConfigField("out_body", _("Sending body template, e.g. {\"to\": \"{{to}}\", \"text\": \"{{text}}\"}"),
                    required=False, kind="multiline"),
        ConfigField("out_user", _("Sending: Basic auth user (optional)"), required=False),
        ConfigField("out_password", _("Sending: Basic auth password"), secret=True, required=False),
        ConfigField("out_header", _("Sending: token header, e.g. X-API-KEY: abc123 (optional)"), secret=True,
                    required=False),
        ConfigField("out_ok", _("HTTP statuses that mean sent, e.g. 200,201 or 200-299"), required=False),
        ConfigField("out_id_path", _("Where the answer gives the message id, e.g. data.id (JSON; optional)"),
                    required=False),
        ConfigField("from_number", _("Sender number or name, for {{from}}"), required=False),
    ]

    # --- inbound ------------------------------------------------------------------------------
    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        header = channel.config.get("secret_header", "").strip()
        given = request.headers.get(header) if header else request.GET.get("key")
        return same(given, channel.config.get("secret"))

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        records = _records(request)
        messages, problems = [], []
        for record in records:
            try:
                messages.append(self._message(channel.config, record))
            except Malformed as exc:
                problems.append(str(exc))
        if problems and not messages:
            raise Malformed(problems[0])
        return messages

    def _message(self, config: dict, record: dict) -> Inbound:
        sender = _first(record, _names(config, "in_from"))
        if not sender:
            raise Malformed("no sender: none of the fields " + _names(config, "in_from").__repr__() + " is set")
        text = _first(record, _names(config, "in_text"))
        when = _first(record, _names(config, "in_time"))
        provider_id = _first(record, _names(config, "in_id")) or hashlib.sha256(
            f"{sender}\n{when}\n{text}".encode()).hexdigest()
        raw = {k: v for k, v in record.items() if k != "key"}
        return Inbound(provider_id=provider_id, scheme="tel", address=sender, text=text, sent_at=_time(when),
                       raw=raw, attachments=_media(record, _names(config, "in_media")))

    # --- outbound -----------------------------------------------------------------------------
    def send(self, channel, message) -> SendResult:
        config = channel.config
        if not config.get("out_url"):
            raise PermanentError("this channel has no sending URL; it only receives")
        values = {"to": message.contact.address, "text": message.text, "id": str(message.pk),
                  "from": config.get("from_number", "")}
        is_json = "json" in config.get("out_content_type", "").lower()
        template = config.get("out_body") or DEFAULT_BODY["json" if is_json else FORM]
        if not is_json:  # a form or query typed on several lines is one line on the wire
            template = "".join(line.strip() for line in template.splitlines())
        url = _render(config["out_url"], values, lambda v: quote(v, safe=""))
        headers = _auth_headers(config)
        data = None
        if config.get("out_method", "POST").strip().upper() == "GET":
            query = _render(template, values, quote_plus)
            url += ("&" if "?" in url else "?") + query if query else ""
        elif is_json:
            body = _render(template, values, lambda v: json.dumps(v)[1:-1])
            try:
                json.loads(body)
            except ValueError as exc:
                raise PermanentError("the body template is not valid JSON once filled in") from exc
            data, headers["Content-Type"] = body.encode(), "application/json"
        else:
            data, headers["Content-Type"] = _render(template, values, quote_plus).encode(), FORM
        result = http_request(url, data=data, headers=headers, method="GET" if data is None else "POST",
                              admin_url=True)
        if result.status in _statuses(config.get("out_ok") or DEFAULT_OK):
            return SendResult(provider_id=_answer_id(result.body, config.get("out_id_path", "")) or
                              f"generic-{message.pk}")
        # The answer itself is not quoted: the URL is an admin's, its answer could be anything.
        if result.status == 429 or result.status >= 500:
            raise TemporaryError(f"the gateway answered HTTP {result.status}")
        raise PermanentError(f"the gateway answered HTTP {result.status}")

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """Media URLs come from the payload: fetched only from public addresses, without credentials."""
        fetched = download(str(attachment.get("ref") or ""), public_only=True)
        fetched.filename = fetched.filename or attachment.get("filename", "")
        return fetched


def _records(request: HttpRequest) -> list[dict]:
    """The messages of one request: one for a query string or a form, one or more for JSON."""
    if request.method in {"POST", "PUT"} and (request.content_type or "").lower() == "application/json":
        body = loads_json(request.body)
        items = body if isinstance(body, list) else [body]
        if len(items) > MAX_BATCH:
            raise Malformed(f"more than {MAX_BATCH} messages in one request")
        records = [{**request.GET.dict(), **item} for item in items if isinstance(item, dict)]
        if not records:
            raise Malformed("the JSON body must be an object or a list of objects")
        return records
    return [form_or_json(request)]


def _names(config: dict, key: str) -> list[str]:
    return [n.strip() for n in (config.get(key) or DEFAULT_FIELDS[key]).split(",") if n.strip()]


def _lookup(record: dict, name: str):
    """A field by name, or by a dotted path into nested JSON objects ("payload.sender")."""
    if name in record:
        return record[name]
    value = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _first(record: dict, names: list[str]) -> str:
    for name in names:
        value = _lookup(record, name)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return ""


def _time(value: str):
    if value.isdigit():
        if len(value) > 16:  # not a time: dated by its reception rather than refused
            return None
        return provider_time(value, per_second=1000 if int(value) > MILLISECONDS_FROM else 1)
    return provider_iso_time(value)


def _media(record: dict, names: list[str]) -> list[Attachment]:
    urls: list[str] = []
    for name in names:
        value = _lookup(record, name)
        if isinstance(value, str) and value.strip().startswith("["):  # a JSON list sent in a form field
            try:
                value = loads_json(value)
            except Malformed:
                value = None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                item = item.get("url")
            if isinstance(item, str) and item.strip().lower().startswith(("http://", "https://")):
                urls.append(item.strip())
    return [Attachment(kind=attachment_kind("", url), ref=url, filename=urlsplit(url).path.rsplit("/", 1)[-1])
            for url in dict.fromkeys(urls)][:MAX_ATTACHMENTS]


def _render(template: str, values: dict, escape) -> str:
    return PLACEHOLDER.sub(lambda m: escape(values[m.group(1)]), template)


def _auth_headers(config: dict) -> dict:
    headers = {"Accept": "application/json, text/plain, */*"}
    if config.get("out_user"):
        pair = f"{config['out_user']}:{config.get('out_password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    token = config.get("out_header", "")
    if token:
        name, sep, value = token.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
            raise PermanentError("the token header setting must look like Name: value")
        headers[name.strip()] = value.strip()
    return headers


def _statuses(spec: str) -> set[int]:
    """ "200,201" or "200-299" (or both, comma-separated); unreadable parts are ignored."""
    statuses: set[int] = set()
    for part in spec.split(","):
        low, _sep, high = part.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            statuses.update(range(int(low), int(high or low) + 1))
    return statuses or set(range(200, 300))


def _answer_id(body: bytes, path: str) -> str:
    if not path.strip():
        return ""
    try:
        answer = loads_json(body)
    except Malformed:
        return ""
    value = _lookup(answer, path.strip()) if isinstance(answer, dict) else None
    return str(value)[:200] if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else ""


TYPE = GenericHTTP()
