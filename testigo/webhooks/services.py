"""Webhooks: create them, queue a delivery per subscribed webhook when an event happens, and send
what is due (the worker), with retries, exponential backoff and automatic disabling.

Queueing follows the outbox's pattern (channels/outbox.py): a row per delivery in the database,
claimed by a conditional UPDATE so two workers never send the same row, a lease after which a
row a dead worker held is claimed again, and every outcome written as soon as the request
returns. Nothing is dropped: a delivery that used its attempts stays in the log as failed (and
can be replayed); a webhook disabled after repeated failures keeps its pending deliveries, sent
when an administrator enables it again.

Privacy: a webhook receives the public projection of a report (what /api/v1 gives anyone),
unless an administrator marked it staff-level; an event with no public form (a report verified
but not published) reaches staff-level webhooks only. Reporter names and contacts never leave.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.channels import addresses
from testigo.core import audit, roles
from testigo.webhooks import events, signing
from testigo.webhooks.models import Delivery, Webhook

log = logging.getLogger(__name__)
Status, Error = Delivery.Status, Delivery.Error
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
SEND_BATCH = 100


# ---------------------------------------------------------------- administration
def validate_url(url: str) -> str:
    """http(s) with a host, and not this server or a private network unless the operator allows
    it (TESTIGO_ALLOW_PRIVATE_GATEWAYS, as for channels)."""
    url = (url or "").strip()
    addresses.validate(kind="url", value=url, label=_("The webhook URL"))
    return url


def create_webhook(*, actor, name: str, url: str, event_names: list[str], staff_level: bool = False
                   ) -> tuple[Webhook, str]:
    """The new webhook and its secret (shown once to the administrator)."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    url = validate_url(url)
    known = {e.name for e in events.registered()}
    unknown = [n for n in event_names if n not in known]
    if unknown or not event_names:
        raise ValidationError(_("Choose at least one of the events offered."))
    secret = signing.new_secret()
    webhook = Webhook.objects.create(name=name, url=url, events=list(event_names), staff_level=staff_level,
                                     secret=secret, created_by=actor if getattr(actor, "pk", None) else None)
    audit.record(action="webhooks.created", actor=actor, obj=webhook,
                 data={"url": url, "events": list(event_names), "staff_level": staff_level})
    return webhook, secret


def set_active(*, actor, webhook: Webhook, active: bool) -> Webhook:
    roles.require(actor, roles.MANAGE_CHANNELS)
    webhook.is_active = active
    fields = ["is_active"]
    if active:
        webhook.consecutive_failures, webhook.disabled_automatically_at = 0, None
        fields += ["consecutive_failures", "disabled_automatically_at"]
    webhook.save(update_fields=fields)
    audit.record(action="webhooks.enabled" if active else "webhooks.disabled", actor=actor, obj=webhook)
    if active:
        _kick()
    return webhook


def delete_webhook(*, actor, webhook: Webhook) -> None:
    roles.require(actor, roles.MANAGE_CHANNELS)
    audit.record(action="webhooks.deleted", actor=actor, obj=webhook, data={"url": webhook.url})
    webhook.delete()


def replay(*, actor, delivery: Delivery) -> Delivery:
    """Send a past delivery's body again, as a new delivery (signed with a fresh timestamp)."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    copy = Delivery.objects.create(webhook=delivery.webhook, event=delivery.event, body=delivery.body,
                                   replay_of=delivery, next_attempt_at=timezone.now())
    audit.record(action="webhooks.replayed", actor=actor, obj=delivery.webhook,
                 data={"delivery": delivery.pk, "replay": copy.pk})
    _kick(copy.pk)
    return copy


def disabled_automatically() -> list[Webhook]:
    return list(Webhook.objects.filter(is_active=False, disabled_automatically_at__isnull=False))


# ---------------------------------------------------------------- queueing
def emit(event: str, *, public: dict | None, staff: dict | None = None) -> int:
    """Queue `event` for every webhook subscribed to it: `public` for public-level webhooks (None:
    they get nothing), `staff` (default: `public`) for staff-level ones. Returns rows queued."""
    staff = public if staff is None else staff
    now = timezone.now()
    rows = []
    for webhook in Webhook.objects.all():
        if event not in (webhook.events or []):
            continue
        data = staff if webhook.staff_level else public
        if data is None:
            continue
        rows.append(Delivery(webhook=webhook, event=event, next_attempt_at=now, body=_body(event, data, now)))
    if rows:
        Delivery.objects.bulk_create(rows)
        transaction.on_commit(_kick)
    return len(rows)


def _body(event: str, data: dict, now) -> str:
    return json.dumps({"event": event, "occurred_at": now, "data": data}, cls=DjangoJSONEncoder,
                      ensure_ascii=False, sort_keys=True)


def _kick(delivery_id: int | None = None) -> None:
    """Ask the worker to send now (the periodic job catches up if the queue is down)."""
    from testigo.webhooks import tasks

    try:
        if delivery_id is None:
            tasks.send_webhooks_task()
        else:
            tasks.send_delivery_task(delivery_id)
    except Exception:
        log.exception("webhooks: could not queue the send task; the periodic job will send")


# ---------------------------------------------------------------- sending
def _due(now) -> Q:
    return (Q(status=Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, claimed_at__lt=now - LEASE)) & Q(webhook__is_active=True)


def claim(delivery_id: int, now=None) -> Delivery | None:
    now = now or timezone.now()
    taken = Delivery.objects.filter(_due(now), pk=delivery_id).update(status=Status.SENDING, claimed_at=now)
    return Delivery.objects.select_related("webhook").get(pk=delivery_id) if taken else None


def send_due(now=None, limit: int = SEND_BATCH) -> int:
    """Send the deliveries that are due; returns how many were attempted."""
    now = now or timezone.now()
    ids = list(Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    sent = 0
    for delivery_id in ids:
        delivery = claim(delivery_id, now)
        if delivery is not None:
            attempt(delivery, now=now)
            sent += 1
    return sent


def send_one(delivery_id: int) -> bool:
    delivery = claim(delivery_id)
    if delivery is None:
        return False
    attempt(delivery)
    return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new destination: never followed (it could point anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(delivery: Delivery) -> tuple[int | None, str]:
    """One signed POST: (status code or None, error code ('' when 2xx))."""
    webhook = delivery.webhook
    body = delivery.body.encode()
    timestamp = int(time.time())
    request = urllib.request.Request(webhook.url, data=body, method="POST", headers=signing.headers(
        secret=webhook.secret, timestamp=timestamp, body=body, event=delivery.event, delivery_id=delivery.pk))
    try:
        with addresses.opener(redirects=_NoRedirect()).open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            response.read(4096)
            code = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, Error.REDIRECT if 300 <= exc.code < 400 else Error.HTTP
    except TimeoutError:
        return None, Error.TIMEOUT
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if addresses.blocked(exc):
            return None, Error.BLOCKED
        if isinstance(getattr(exc, "reason", None), TimeoutError):
            return None, Error.TIMEOUT
        return None, Error.CONNECTION
    if 200 <= code < 300:
        return code, Error.NONE
    return code, Error.REDIRECT if 300 <= code < 400 else Error.HTTP


def attempt(delivery: Delivery, now=None) -> Delivery:
    """Send a claimed delivery once and record the outcome: delivered; or a retry after
    TESTIGO_WEBHOOK_BACKOFF × 2^(attempts-1) seconds; or failed after TESTIGO_WEBHOOK_ATTEMPTS.
    A webhook whose last TESTIGO_WEBHOOK_DISABLE_AFTER attempts all failed is disabled."""
    code, error = post(delivery)
    now = now or timezone.now()
    delivery.attempts += 1
    delivery.status_code, delivery.error = code, error
    webhook = delivery.webhook
    if not error:
        delivery.status, delivery.delivered_at = Status.DELIVERED, timezone.now()
        delivery.save(update_fields=["attempts", "status_code", "error", "status", "delivered_at"])
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0)
        return delivery
    if delivery.attempts >= settings.WEBHOOK_ATTEMPTS:
        delivery.status = Status.FAILED
    else:
        delivery.status = Status.PENDING
        delay = timedelta(seconds=settings.WEBHOOK_BACKOFF * 2 ** (delivery.attempts - 1))
        delivery.next_attempt_at = now + min(delay, MAX_BACKOFF)
    delivery.save(update_fields=["attempts", "status_code", "error", "status", "next_attempt_at"])
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        failures = Webhook.objects.filter(pk=webhook.pk).values_list("consecutive_failures", flat=True).first()
        if failures is not None and failures >= settings.WEBHOOK_DISABLE_AFTER:
            switched = Webhook.objects.filter(pk=webhook.pk, is_active=True).update(
                is_active=False, disabled_automatically_at=timezone.now())
            if switched:
                audit.record(action="webhooks.disabled_automatically", actor=roles.SYSTEM, obj=webhook,
                             data={"consecutive_failures": failures})
                log.warning("webhook %s disabled after %s consecutive failures", webhook.pk, failures)
    return delivery
