"""Requests we refused: failed authentication is counted, an unreadable payload kept as a bounded sample."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from django.db.models import F
from django.utils import timezone

from testigo.channels.models import Channel, InboundRejected
from testigo.core import untrusted

log = logging.getLogger(__name__)
# A payload we could not read is kept for an admin to inspect, but bounded: without these limits
# anyone who knows a webhook URL (no secret needed to be rejected) could fill the disk.
REJECTED_SAMPLE_BYTES = 4096  # the first 4 KB of a body or query show what went wrong
REJECTED_SAMPLES_PER_HOUR = 20  # per channel; beyond that only Channel.rejected_not_kept counts
TRUNCATED = "\n[… truncated by Testigo: the payload was longer]"
SECRET_KEYS = {"secret", "key", "token", "password", "pass", "apikey", "api_key", "sig", "hub.verify_token"}


def count_auth_failure(*, channel: Channel) -> None:
    """Count a request that failed the signature/secret check; its content is not kept or logged."""
    Channel.objects.filter(pk=channel.pk).update(auth_failures=F("auth_failures") + 1)
    log.warning("channel %s: request failed authentication", channel.pk)


def _scrub(pairs: str) -> str:
    items = parse_qsl(pairs, keep_blank_values=True)
    return urlencode([(k, "***" if k.lower() in SECRET_KEYS else v) for k, v in items])


_SECRET_JSON = re.compile(r'("(?:%s)"\s*:\s*)"(?:[^"\\]|\\.)*"' % "|".join(re.escape(k) for k in SECRET_KEYS),
                          re.IGNORECASE)


def _scrub_json(body: str) -> str:
    try:
        data = untrusted.loads(body)
    except ValueError:  # invalid or too deep: mask what looks like a secret, keep the rest as sent
        return _SECRET_JSON.sub(lambda m: m.group(1) + '"***"', body)
    if isinstance(data, dict):
        data = {k: "***" if k.lower() in SECRET_KEYS else v for k, v in data.items()}
    return json.dumps(data, ensure_ascii=False)


def record_rejection(*, channel: Channel, channel_type: str, request, reason: str) -> InboundRejected | None:
    """Keep a sample of a payload we could not read for an admin to inspect: secrets masked, no
    client address, at most REJECTED_SAMPLE_BYTES of body and query, and at most
    REJECTED_SAMPLES_PER_HOUR per channel. Beyond that only a counter grows (None is returned)."""
    since = timezone.now() - timedelta(hours=1)
    if InboundRejected.objects.filter(channel=channel, received_at__gte=since).count() >= REJECTED_SAMPLES_PER_HOUR:
        Channel.objects.filter(pk=channel.pk).update(rejected_not_kept=F("rejected_not_kept") + 1)
        return None
    ctype = request.content_type or ""
    body = request.body.decode("utf-8", "replace")  # whole, so secrets in JSON are masked before sampling
    if ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        body = urlencode([(k, "***" if k.lower() in SECRET_KEYS else v)
                          for k, values in request.POST.lists() for v in values])
    elif ctype == "application/json":
        body = _scrub_json(body)
    return InboundRejected.objects.create(
        channel=channel, channel_type=channel_type, reason=_sample(reason, 500), method=request.method[:10],
        content_type=_sample(ctype, 200), query=_sample(_scrub(request.META.get("QUERY_STRING", ""))),
        body=_sample(body),
    )


def _sample(text: str, limit: int = REJECTED_SAMPLE_BYTES) -> str:
    """At most `limit` UTF-8 bytes of `text`, NULs replaced, marked when something was cut off."""
    text = untrusted.without_nul(text)
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = TRUNCATED if limit >= 4 * len(TRUNCATED) else "…"
    keep = limit - len(marker.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + marker

