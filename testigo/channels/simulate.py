"""Playing a citizen's phone from the console: try keywords, reports and replies without a gateway.

A simulated message enters exactly where a gateway's would (`services.receive`, then
`services.process_inbound`), so what the page shows is what a real SMS would cause: a report, a
subscription, an automatic reply in the outbox. It is processed at once rather than by the worker,
so the reply is on the page when it reloads. Only administrators may simulate (a message creates
reports and subscriptions as if a citizen had written), and each one is marked `simulated` in its
raw data and audited, so nobody mistakes it later for a real citizen's message.

Replies to a simulated number wait in the outbox like any other: for a gateway that collects its
messages (SMSSync) they leave only if a phone is connected, so use numbers nobody owns
(the demo uses +504 9000-00xx).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.channels import contacts, services
from testigo.channels.models import Channel, Contact, InboundMessage, OutboundMessage
from testigo.channels.types import base
from testigo.core import audit, roles

MAX_TEXT = 1600  # ten SMS parts: longer than any real phone would send in one message
PROVIDER_PREFIX = "simulated-"


def require_simulator(actor) -> None:
    """Administrators only: actor None is the operator (the demo seeding, the command line)."""
    if actor is not None and not roles.can(actor, roles.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators can simulate messages."))


def _phone(address: str) -> str:
    phone = contacts.normalise_phone(address)
    if not phone.startswith("+") or not 8 <= len(phone) <= 16:
        raise ValidationError(_("Write a phone number with its country code, e.g. +504 9000-0001."))
    return phone


def simulate_inbound(*, actor, channel: Channel, address: str, text: str) -> InboundMessage:
    """Receive `text` from the phone `address` on `channel` as if its gateway had posted it, and
    process it at once. Returns the stored message (its report, keyword and replies are set)."""
    require_simulator(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the message the phone sends."))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("The message is too long: at most %(n)d characters.") % {"n": MAX_TEXT})
    if not channel.is_active:
        raise ValidationError(_("This channel is deactivated: activate it before simulating messages."))
    inbound = base.Inbound(provider_id=PROVIDER_PREFIX + uuid.uuid4().hex, scheme="tel", address=_phone(address),
                           text=text, sent_at=timezone.now(), raw={"simulated": True})
    message = services.receive(channel=channel, inbound=inbound)
    message = services.process_inbound(message_id=message.pk)
    audit.record(action="channels.simulated", actor=actor, obj=message,
                 data={"channel": channel.pk, "keyword": message.keyword})
    return message


@dataclass
class PhoneEntry:
    direction: str  # "in" (the phone wrote) or "out" (Testigo's reply, in the outbox)
    at: object
    text: str
    status: str = ""
    status_label: str = ""
    report_reference: str = ""


def phone_thread(*, actor, channel: Channel, address: str, limit: int = 50) -> list[PhoneEntry]:
    """What the simulated phone sent and received on `channel`, oldest first (the latest `limit`)."""
    require_simulator(actor)
    try:
        phone = _phone(address)
    except ValidationError:
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
