"""Ushahidi SMSSync: an Android phone as the gateway. All four requests: inbound POST, task=send
polling, task=sent (no secret in it, by design of the app) and task=result (delivery reports)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    Malformed,
    content_id,
    form_or_json,
    loads_json,
    provider_time,
    require,
    same,
)

BATCH = 20
# The app polls every few minutes at most (its setting, 1 minute or more): a poll may take up to a
# minute of the channel's messages-per-second budget, never more than BATCH rows.
POLL_BUDGET_S = 60.0


# The app sends Java's Date.getTime() (milliseconds); the docs say "UNIX timestamp" (seconds), and
# other apps speaking the protocol follow the docs. Milliseconds since 1973 exceed 10^11, seconds
# reach it only in the year 5138: the size tells them apart.
MILLISECONDS_ABOVE = 10**11


def sent_time(value):
    """`sent_timestamp` in seconds or milliseconds, as a datetime (None when unreadable)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return provider_time(number, per_second=1000 if number > MILLISECONDS_ABOVE else 1)


def _ok() -> JsonResponse:
    return JsonResponse({"payload": {"success": True, "error": None}})


class SMSSync(ChannelType):
    code = "smssync"
    name = _("SMSSync (Android phone)")
    pull = True
    config_fields = [ConfigField("secret", _("Secret"), secret=True)]

    def verify(self, channel, request: HttpRequest, action: str) -> bool:
        task = request.GET.get("task", "")
        if task == "sent" and request.method == "POST":
            # The app sends task=sent without any secret. The channel UUID in the URL is the
            # guard, and the answer only echoes ids of this channel's own outbox.
            return True
        secret = request.GET.get("secret") if task else None
        if secret is None:
            secret = request.POST.get("secret") if request.content_type != "application/json" else \
                _json(request).get("secret")
        return same(secret or "", channel.config.get("secret", ""))

    def rejection(self, status: int, message: str):
        if status == 403:
            message = "Incorrect or missing secret key"
        return JsonResponse({"payload": {"success": False, "error": message}}, status=status)

    def respond(self, channel, request: HttpRequest, action: str):
        task = request.GET.get("task", "")
        if task == "send" and request.method == "GET":
            return self._task_send(channel)
        if task == "sent" and request.method == "POST":
            return self._task_sent(channel, request)
        if task == "result" and request.method == "GET":
            return self._task_waiting(channel)
        if request.method not in {"POST", "PUT"}:
            raise Malformed("expected a POST with an SMS, or task=send|sent|result")
        return None

    def parse(self, channel, request: HttpRequest, action: str):
        if request.GET.get("task", "") == "result":  # delivery reports
            return [], parse_results(_json(request))
        return super().parse(channel, request, action)

    def parse_inbound(self, channel, request: HttpRequest) -> list[Inbound]:
        data = form_or_json(request)
        sender, text = require(data, "from", "message")
        sent_at = sent_time(data.get("sent_timestamp", ""))
        provider_id = data.get("message_id") or content_id(sender, data.get("sent_timestamp", ""), text)
        raw = {k: v for k, v in data.items() if k != "secret"}
        return [Inbound(provider_id=provider_id, scheme="tel", address=sender, text=text, sent_at=sent_at, raw=raw)]

    def acknowledge(self, channel, request, stored):
        return _ok()

    def _task_send(self, channel) -> JsonResponse:
        """Hand the phone what the outbox lets out now (its claim applies STOP and the rate); the app
        sends them at once and confirms through task=sent. Unconfirmed rows are handed out again
        after the outbox's lease, like any claimed row whose worker vanished."""
        from testigo.channels import outbox
        from testigo.channels.models import OutboundMessage

        rows, _wait = outbox.claim_batch(channel_id=channel.pk, limit=BATCH, include_pull=True,
                                         budget_s=POLL_BUDGET_S)
        for row in rows:
            if not row.provider_id:  # the uuid the app reports back in task=sent and task=result
                row.provider_id = f"testigo-{row.pk}"
                OutboundMessage.objects.filter(pk=row.pk).update(provider_id=row.provider_id)
        messages = [{"to": r.contact.address, "message": r.text, "uuid": r.provider_id} for r in rows]
        return JsonResponse({"payload": {"task": "send", "secret": channel.config.get("secret", ""),
                                         "messages": messages}})

    def _task_sent(self, channel, request) -> JsonResponse:
        from testigo.channels import outbox

        data = _json(request)
        queued = data.get("queued_messages")
        if not isinstance(queued, list):
            raise Malformed("task=sent needs a JSON body {\"queued_messages\": [uuid, ...]}")
        ids = [str(u) for u in queued if isinstance(u, str | int)][:1000]
        known = outbox.confirm_sent(channel_id=channel.pk, provider_ids=ids)
        return JsonResponse({"message_uuids": known})

    def _task_waiting(self, channel) -> JsonResponse:
        """task=result (GET): the messages the phone sent whose delivery we still wait to hear of."""
        from testigo.channels.models import OutboundMessage

        waiting = OutboundMessage.objects.filter(
            channel=channel, status=OutboundMessage.Status.SENT).values_list("provider_id", flat=True)[:BATCH]
        return JsonResponse({"message_uuids": list(waiting)})


def parse_results(data: dict):
    """`message_result` arrives as a JSON array serialised into a string (Gson inside org.json)."""
    from testigo.channels.types.base import StatusUpdate

    results = data.get("message_result")
    if isinstance(results, str):
        try:
            results = loads_json(results)
        except Malformed as exc:
            raise Malformed(f"message_result is a string but not JSON: {exc}") from exc
    if not isinstance(results, list):
        raise Malformed("task=result needs \"message_result\": a list of results")
    updates = []
    for item in results:
        if not isinstance(item, dict) or not item.get("uuid"):
            raise Malformed("each message_result entry needs a \"uuid\"")
        sent_code = _int(item.get("sent_result_code", 0))
        delivered_code = _int(item.get("delivered_result_code", -1))
        if sent_code != 0:
            updates.append(StatusUpdate(str(item["uuid"]), "failed", str(item.get("sent_result_message", ""))))
        elif delivered_code == 0:
            updates.append(StatusUpdate(str(item["uuid"]), "delivered"))
        elif delivered_code == -1:
            updates.append(StatusUpdate(str(item["uuid"]), "sent"))
        else:
            updates.append(StatusUpdate(str(item["uuid"]), "failed", str(item.get("delivered_result_message", ""))))
    return updates


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Malformed(f"result code {value!r} is not a number") from exc


def _json(request) -> dict:
    if not request.body:
        return {}
    data = loads_json(request.body)
    return data if isinstance(data, dict) else {}


TYPE = SMSSync()
