"""Reads with rules: conversations shown on a report page, channel lists for admins, webhook URLs,
the simulated phone's messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from testigo.channels import encoding, wa_templates
from testigo.channels.inbound import extras_of
from testigo.channels.models import Channel, Contact, InboundMessage, OutboundMessage
from testigo.channels.types import get as get_type
from testigo.core import roles


def default_channels() -> dict[str, int]:
    """{address scheme: channel id}: the channel that reaches an address of that scheme when the
    person has no channel of their own (or an inactive one), e.g. an alert subscriber who signed
    up on the web. The oldest active channel whose type reaches the scheme and may write first
    (never WhatsApp: outside its 24-hour window it refuses free-form text)."""
    chosen: dict[str, int] = {}
    for pk, type_code in Channel.objects.filter(is_active=True).order_by("pk").values_list("pk", "type"):
        channel_type = get_type(type_code)
        if channel_type is not None and channel_type.writes_first:
            chosen.setdefault(channel_type.scheme, pk)
    return chosen


def phones_reachable_first() -> bool:
    """Whether an active channel can send the first SMS to a phone number typed on a form (the
    public form's confirmation, the survivor pathway's help services): the console warns when not."""
    return "tel" in default_channels()


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
    details: list[str] = field(default_factory=list)  # files, place and choice the message carried


def message_details(message: InboundMessage) -> list[str]:
    """What an inbound message carried beyond its text, for staff: its files (which appear under
    the report's files once fetched), the place it shared, the option it chose."""
    from testigo.channels.processing import KIND_TITLES

    extras = extras_of(message)
    details = []
    attachments = extras.get("attachments") or []
    if attachments:
        kinds = ", ".join(KIND_TITLES.get(str(a.get("kind")), KIND_TITLES["document"])() for a in attachments)
        details.append(_("Files: %(kinds)s") % {"kinds": kinds})
    location = extras.get("location")
    if isinstance(location, dict):
        place = ", ".join(str(location.get(k)) for k in ("name", "address") if location.get(k))
        text = _("Location: %(lat)s, %(lon)s") % {"lat": location.get("lat"), "lon": location.get("lon")}
        if location.get("precision_m"):
            text += f" (± {location['precision_m']} m)"
        details.append(f"{text} {place}".strip())
    choice = extras.get("choice")
    if isinstance(choice, dict):
        details.append(_("Chose: %(text)s (option %(id)s)") % {"text": choice.get("text", ""), "id": choice.get("id", "")})
    return details


def conversation(user, report) -> dict:
    """Messages in and out for one report, oldest first; the contact's address only for SEE_CONTACT."""
    if not roles.can(user, roles.VIEW):
        return {"entries": [], "can_reply": False, "has_channel": False}
    see_contact = roles.can(user, roles.SEE_CONTACT)
    entries = []
    for m in InboundMessage.objects.filter(report=report).select_related("channel", "contact"):
        entries.append(Entry("in", m.received_at, m.text, m.channel.name,
                             contact=m.contact.urn if see_contact else None, details=message_details(m)))
    for o in OutboundMessage.objects.filter(report=report).select_related("channel"):
        entries.append(Entry("out", o.created_at, o.text, o.channel.name, status=o.status,
                             status_label=o.get_status_display(), segments=o.segments,
                             encoding=o.encoding, error=wa_templates.describe(o)))
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


@dataclass
class PhoneEntry:
    direction: str  # "in" (the phone wrote) or "out" (Testigo's reply, in the outbox)
    at: object
    text: str
    status: str = ""
    status_label: str = ""
    report_reference: str = ""


def phone_thread(user, *, channel: Channel, phone: str, limit: int = 50) -> list[PhoneEntry]:
    """What one phone number (E.164) sent and was sent on `channel`, oldest first (the latest
    `limit`): the simulated phone's screen. Administrators only, who may see contacts anyway."""
    if not roles.can(user, roles.MANAGE_CHANNELS):
        return []
    contact = Contact.objects.filter(scheme="tel", address=phone).first()
    if contact is None:
        return []
    entries = [PhoneEntry("in", m.received_at, m.text, report_reference=m.report.reference if m.report else "")
               for m in InboundMessage.objects.filter(channel=channel, contact=contact)
               .select_related("report").order_by("-received_at")[:limit]]
    entries += [PhoneEntry("out", o.created_at, o.text, status=o.status, status_label=o.get_status_display())
                for o in OutboundMessage.objects.filter(channel=channel, contact=contact).order_by("-created_at")[:limit]]
    entries.sort(key=lambda e: e.at)
    return entries[-limit:]


@dataclass
class ChannelDeliveries:
    """One channel's outgoing messages created in a period, by where they stand now."""

    channel: str
    waiting: int = 0  # queued or being sent
    sent: int = 0  # accepted by the gateway, no delivery receipt (yet, or the gateway sends none)
    delivered: int = 0  # a delivery receipt came back
    failed: int = 0

    @property
    def total(self) -> int:
        return self.waiting + self.sent + self.delivered + self.failed

    @property
    def success_percent(self) -> float | None:
        """Sent or delivered, out of the messages whose fate is known (waiting ones left out)."""
        done = self.sent + self.delivered + self.failed
        return round(100 * (self.sent + self.delivered) / done, 1) if done else None


def deliveries_by_channel(start, stop) -> list[ChannelDeliveries]:
    """Outgoing messages created in [start, stop) per channel and status, busiest channel first: one
    GROUP BY over the (created_at, channel, status) index, so a month of a million-message outbox is
    counted without reading a message."""
    names = dict(Channel.objects.values_list("pk", "name"))  # a handful of rows
    rows: dict[int, ChannelDeliveries] = {}
    counts = (OutboundMessage.objects.filter(created_at__gte=start, created_at__lt=stop)
              .values_list("channel_id", "status").annotate(n=Count("*")).order_by())
    for channel_id, status, n in counts:
        row = rows.setdefault(channel_id, ChannelDeliveries(names.get(channel_id, str(channel_id))))
        if status in (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING):
            row.waiting += n
        elif status in (OutboundMessage.Status.SENT, OutboundMessage.Status.DELIVERED, OutboundMessage.Status.FAILED):
            setattr(row, status, getattr(row, status) + n)
    return sorted(rows.values(), key=lambda r: (-r.total, r.channel))
