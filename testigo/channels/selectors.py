"""Reads with rules: conversations shown on a report page, channel lists for admins, webhook URLs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from testigo.channels import encoding
from testigo.channels.models import Channel, InboundMessage, OutboundMessage
from testigo.core import roles


def webhook_url(channel: Channel, action: str = "", base_url: str = "") -> str:
    base_url = (base_url or settings.CHANNEL_BASE_URL or "http://127.0.0.1:8000").rstrip("/")
    if action:
        path = reverse("channels:webhook_action", args=[channel.type, channel.uuid, action])
    else:
        path = reverse("channels:webhook", args=[channel.type, channel.uuid])
    return base_url + path


@dataclass
class Entry:
    direction: str  # "in" or "out"
    at: object
    text: str
    channel_name: str
    status: str = ""
    status_label: str = ""
    segments: int = 0
    encoding: str = ""
    error: str = ""
    contact: str | None = None


def conversation(user, report) -> dict:
    """Messages in and out for one report, oldest first; the contact's address only for SEE_CONTACT."""
    if not roles.can(user, roles.VIEW):
        return {"entries": [], "can_reply": False, "has_channel": False}
    see_contact = roles.can(user, roles.SEE_CONTACT)
    entries = []
    for m in InboundMessage.objects.filter(report=report).select_related("channel", "contact"):
        entries.append(Entry("in", m.received_at, m.text, m.channel.name,
                             contact=m.contact.urn if see_contact else None))
    for o in OutboundMessage.objects.filter(report=report).select_related("channel"):
        entries.append(Entry("out", o.created_at, o.text, o.channel.name, status=o.status,
                             status_label=o.get_status_display(), segments=o.segments,
                             encoding=o.encoding, error=o.error))
    entries.sort(key=lambda e: e.at)
    last = next((e for e in reversed(entries) if e.direction == "in"), None)
    opted_out = InboundMessage.objects.filter(report=report, contact__opted_out_at__isnull=False).exists()
    return {"entries": entries, "has_channel": last is not None, "opted_out": opted_out,
            "can_reply": last is not None and not opted_out and roles.can(user, roles.EDIT)}


def segment_info(text: str) -> encoding.SegmentInfo:
    return encoding.count(text or "")


def channels_for_admin(user) -> list[Channel]:
    if not roles.can(user, roles.MANAGE_CHANNELS):
        return []
    return list(Channel.objects.order_by("name"))
