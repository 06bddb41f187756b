"""Shared by the survivor-pathway tests: a phone that texts the SMSSync webhook and reads the
automatic reply, the pathway category, and the words a neutral reply must never contain."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from testigo.channels.models import OutboundMessage
from testigo.reports.models import Category

# Words that would tell whoever reads the survivor's phone what the message is about.
TELLING = re.compile(r"violen|abus|report|denunc|domestic|shelter|refugio|hotline|legal|health", re.IGNORECASE)


def phone(client, channel, number: str) -> Callable[..., str]:
    """send(text, sender=number) -> the automatic reply to it ("" when none), through the channel's
    webhook (`channel` made with secret "s")."""
    sent = iter(range(1, 1000))

    def send(text: str, sender: str = number) -> str:
        before = set(OutboundMessage.objects.values_list("pk", flat=True))
        body = urlencode({"from": sender, "message": text, "message_id": str(next(sent)), "secret": "s"})
        response = client.post(f"/ch/smssync/{channel.uuid}/", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        return "\n".join(OutboundMessage.objects.exclude(pk__in=before).order_by("pk").values_list("text", flat=True))

    return send


def pathway() -> Category:
    return Category.objects.create(slug="vd", name_es="Violencia doméstica", name_en="Domestic violence",
                                   sensitive=True)
