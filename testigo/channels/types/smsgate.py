"""SMS Gateway for Android ("SMSGate", capcom6/android-sms-gateway, sms-gate.app): an Android phone
that sends through its own local server, the public cloud server or a private one, and posts signed
webhooks (HMAC-SHA256 over body + timestamp) from the phone itself."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

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
    StatusUpdate,
    api_base,
    attachment_kind,
    http_request,
    loads_json,
    max_media_bytes,
    provider_iso_time,
    raise_for_status,
)

CLOUD_API = "https://api.sms-gate.app/3rdparty/v1"
# The app's docs ask receivers to refuse a timestamp more than 5 minutes off: a captured request
# replayed later no longer passes, while a phone's clock a little off still does.
MAX_SKEW_S = 300
STATUSES = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed", "sms:cancelled": "failed"}
MAX_ATTACHMENTS = 10


def signature_ok(raw: bytes, timestamp: str, signature: str, key: str, now: float | None = None) -> bool:
    """X-Signature is hex HMAC-SHA256(key, raw body + X-Timestamp), the timestamp in Unix seconds."""
    if not key or not signature or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    expected = hmac.new(key.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


class SMSGate(ChannelType):
    code = "smsgate"
    name = _("SMS Gateway for Android (SMSGate)")  # a brand: quoted as such in Spanish
    config_fields = [
        ConfigField("secret", _("Webhook signing key (Settings, Webhooks, Signing Key in the app)"), secret=True),
        ConfigField("username", _("Username shown in the app")),
        ConfigField("password", _("Password shown in the app"), secret=True),
        ConfigField("api_url", _("Server address: empty for the cloud server, http://<phone address>:8080 for the "
                                 "phone's local server, or your private server's /3rdparty/v1 address"),
                    required=False, kind="url"),
        ConfigField("device_id", _("Device id (cloud or private server with several phones)"), required=False),
    ]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        return signature_ok(request.body, request.headers.get("X-Timestamp", ""),
                            request.headers.get("X-Signature", ""), channel.config.get("secret", ""))

    def parse(self, channel, request: HttpRequest, action: str):
        event = loads_json(request.body)
        if not isinstance(event, dict) or not isinstance(event.get("payload"), dict):
            raise Malformed("expected a JSON object with \"event\", \"id\" and \"payload\"")
        kind, payload = str(event.get("event", "")), event["payload"]
        if kind == "sms:received":
            return [self._inbound(event, payload, str(payload.get("message") or ""), [])], []
        if kind == "mms:downloaded":
            return [self._inbound(event, payload, _mms_text(payload), _attachments(payload))], []
        if kind in STATUSES:
            message_id = payload.get("messageId")
            if not message_id:
                raise Malformed(f"{kind} needs payload.messageId")
            error = str(payload.get("reason") or "cancelled") if STATUSES[kind] == "failed" else ""
            # The message id is the one send() gave: our outbox id.
            return [], [StatusUpdate(str(message_id), STATUSES[kind], error, by_outbox_id=True)]
        # system:ping, mms:received (metadata before the download; mms:downloaded follows),
        # sms:data-received (binary port messages), app:started: acknowledged, nothing stored.
        return [], []

    def _inbound(self, event: dict, payload: dict, text: str, attachments: list[Attachment]) -> Inbound:
        # payload.messageId is derived from the content and repeats; the event id is unique and
        # a retry of the same webhook reuses it.
        event_id = event.get("id")
        sender = payload.get("sender") or payload.get("phoneNumber")
        if not event_id or not isinstance(sender, str) or not sender.strip():
            raise Malformed("a received message needs the event \"id\" and payload.sender")
        return Inbound(provider_id=str(event_id), scheme="tel", address=sender.strip(), text=text,
                       sent_at=provider_iso_time(payload.get("receivedAt")), raw=event, attachments=attachments)

    def _api(self, channel) -> tuple[str, bool]:
        """The API root and whether it is an address an admin typed (checked before connecting)."""
        configured = channel.config.get("api_url", "").strip().rstrip("/")
        if configured:
            return configured, True
        return api_base(self.code, CLOUD_API), False

    def send(self, channel, message) -> SendResult:
        config = channel.config
        body = {"textMessage": {"text": message.text}, "phoneNumbers": [message.contact.address],
                "id": str(message.pk), "withDeliveryReport": True}
        if config.get("device_id"):
            body["deviceId"] = config["device_id"]
        auth = base64.b64encode(f"{config.get('username', '')}:{config.get('password', '')}".encode()).decode()
        api, admin_url = self._api(channel)
        result = http_request(api + "/messages", data=json.dumps(body).encode(), method="POST", admin_url=admin_url,
                              headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"})
        if result.status == 409:
            # The id is ours and already known: an earlier attempt got through but its answer was lost.
            return SendResult(provider_id=str(message.pk))
        raise_for_status(result)
        return SendResult(provider_id=str(result.json().get("id") or message.pk))

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """MMS parts arrive inline (base64) in the stored webhook: decoded here, within the size cap."""
        index = (attachment.get("extra") or {}).get("index")
        parts = ((message.raw or {}).get("payload") or {}).get("attachments")
        if not isinstance(index, int) or not isinstance(parts, list) or not 0 <= index < len(parts):
            raise PermanentError("the stored message has no such attachment")
        part = parts[index] if isinstance(parts[index], dict) else {}
        data = part.get("data")
        if not isinstance(data, str) or not data:
            raise PermanentError("the phone sent this file without its content")
        limit = max_media_bytes()
        if len(data) * 3 // 4 > limit + 3:
            raise PermanentError(f"the file is larger than {limit // 1_000_000} MB")
        try:
            content = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise PermanentError("the file's content is not valid base64") from exc
        if len(content) > limit:
            raise PermanentError(f"the file is larger than {limit // 1_000_000} MB")
        return Fetched(data=content, content_type=str(part.get("contentType") or ""),
                       filename=str(part.get("name") or ""))


    def release_media(self, channel, message) -> None:
        """The parts' base64 leaves the stored payload once the worker has done with them (the
        clean copies are the report's files; their hashes are in its history)."""
        from testigo.channels.models import InboundMessage

        parts = ((message.raw or {}).get("payload") or {}).get("attachments")
        if not isinstance(parts, list):
            return
        for part in parts:
            if isinstance(part, dict) and part.get("data"):
                part["data"] = None
                part["data_released"] = True
        InboundMessage.objects.filter(pk=message.pk).update(raw=message.raw)


def _mms_text(payload: dict) -> str:
    body, subject = payload.get("body") or "", payload.get("subject") or ""
    if not isinstance(body, str) or not isinstance(subject, str):
        raise Malformed("payload.body and payload.subject must be text")
    subject, body = subject.strip(), body.strip()
    # The subject is often empty or a copy of the text's start; kept when it says something more.
    return f"{subject}\n{body}" if subject and not body.startswith(subject) else body or subject


def _attachments(payload: dict) -> list[Attachment]:
    parts = payload.get("attachments") or []
    if not isinstance(parts, list):
        raise Malformed("payload.attachments must be a list")
    attachments = []
    for index, part in enumerate(parts[:MAX_ATTACHMENTS]):
        if not isinstance(part, dict):
            continue
        content_type, name = str(part.get("contentType") or ""), str(part.get("name") or "")
        size = part.get("size")
        attachments.append(Attachment(kind=attachment_kind(content_type, name), ref="", content_type=content_type,
                                      filename=name, size=size if isinstance(size, int) else None,
                                      extra={"index": index}))
    return attachments


TYPE = SMSGate()
