"""The one webhook door for every gateway. Thin: find the channel, let its type verify and parse the
request, store what it brings (channels.services), let the type acknowledge."""

from __future__ import annotations

import time

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from testigo.channels import rejections, services
from testigo.channels.models import Channel
from testigo.channels.types import base
from testigo.channels.types import get as get_type
from testigo.core import untrusted

DEACTIVATED = "this channel is deactivated in Testigo; an administrator can activate it again"


@csrf_exempt
def webhook(request: HttpRequest, type_code: str, channel_uuid, action: str = "") -> HttpResponse:
    channel_type = get_type(type_code)
    if channel_type is None or not channel_type.webhook:
        raise Http404
    channel = _channel(channel_uuid, type_code)
    if channel is None:
        raise Http404
    if not channel.is_active:  # nothing is stored: the gateway keeps or drops it by its own rules
        return channel_type.rejection(410, DEACTIVATED)
    # Read the raw bytes first: signatures are over them, and a rejected payload is kept as sent.
    request.body  # noqa: B018
    try:
        with base.reading(channel):
            authentic = channel_type.verify(channel, request, action)
        if not authentic:
            rejections.count_auth_failure(channel=channel)
            return channel_type.rejection(403, "forbidden: wrong or missing secret or signature")
        # Verified over the parameters as sent; the type reads them with NULs replaced (U+FFFD),
        # which PostgreSQL cannot store or compare. JSON bodies are cleaned by base.loads_json.
        request.GET = _without_nul(request.GET)
        if request.method == "POST":
            request.POST = _without_nul(request.POST)
        answer = channel_type.respond(channel, request, action)
        if answer is not None:
            return answer
        with base.reading(channel):
            inbound, updates = channel_type.parse(channel, request, action)
        for update in updates:
            services.record_status(channel=channel, update=update)
        stored = [services.receive(channel=channel, inbound=m) for m in inbound]
        return channel_type.acknowledge(channel, request, stored)
    except base.Malformed as exc:
        rejections.record_rejection(channel=channel, channel_type=type_code, request=request, reason=str(exc))
        return channel_type.rejection(400, str(exc))


def _without_nul(params: QueryDict) -> QueryDict:
    if not any(untrusted.NUL in k or any(untrusted.NUL in v for v in values) for k, values in params.lists()):
        return params
    cleaned = QueryDict(mutable=True)
    for key, values in params.lists():
        cleaned.setlist(untrusted.without_nul(key), [untrusted.without_nul(v) for v in values])
    return cleaned


_BY_UUID = None
CACHE_SECONDS = 1.0  # another process sees a changed or deactivated channel within this time
_cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}


def _channel(channel_uuid, type_code: str) -> Channel | None:
    """The channel for a webhook URL. Looked up once a second per process at most: the lookup was
    a third of the webhook's time (bench/bench_inbound.py). Saving a channel clears this process's
    cache at once (channels.apps); other processes follow within CACHE_SECONDS."""
    key, now = (str(channel_uuid), type_code), time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    channel = _lookup(channel_uuid, type_code)
    if len(_cache) > 1000:  # unknown UUIDs are cached too; keep the cache small
        _cache.clear()
    _cache[key] = (now, channel)
    return channel


def forget_channels(**kwargs) -> None:
    _cache.clear()


def _lookup(channel_uuid, type_code: str) -> Channel | None:
    """A raw query: compiling the ORM's filter cost more than running it."""
    global _BY_UUID
    if _BY_UUID is None:
        meta, q = Channel._meta, connection.ops.quote_name
        columns = ", ".join(q(f.column) for f in meta.concrete_fields)
        _BY_UUID = f"SELECT {columns} FROM {q(meta.db_table)} WHERE {q('uuid')} = %s AND {q('type')} = %s"
    uuid_value = Channel._meta.get_field("uuid").get_db_prep_value(channel_uuid, connection)
    return next(iter(Channel.objects.raw(_BY_UUID, [uuid_value, type_code])), None)
