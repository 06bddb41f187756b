"""The one webhook door for every gateway. Thin: find the channel, let its type verify and handle."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from testigo.channels import services
from testigo.channels.models import Channel
from testigo.channels.types import base
from testigo.channels.types import get as get_type


@csrf_exempt
def webhook(request: HttpRequest, type_code: str, channel_uuid, action: str = "") -> HttpResponse:
    channel_type = get_type(type_code)
    if channel_type is None or not channel_type.webhook:
        raise Http404
    channel = Channel.objects.filter(uuid=channel_uuid, type=type_code, is_active=True).first()
    if channel is None:
        raise Http404
    # Read the raw bytes first: signatures are over them, and a rejected payload is kept as sent.
    request.body  # noqa: B018
    try:
        if not channel_type.verify(channel, request, action):
            services.count_auth_failure(channel=channel)
            return channel_type.rejection(403, "forbidden: wrong or missing secret or signature")
        return channel_type.handle(channel, request, action)
    except base.Malformed as exc:
        services.record_rejection(channel=channel, channel_type=type_code, request=request, reason=str(exc))
        return channel_type.rejection(400, str(exc))
