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

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.channels import contacts, services
from testigo.channels.models import Channel, InboundMessage
from testigo.channels.types import base
from testigo.channels.types import get as get_type
from testigo.core import audit, roles

MAX_TEXT = 1600  # ten SMS parts: longer than any real phone would send in one message
PROVIDER_PREFIX = "simulated-"


def can_simulate(channel: Channel) -> bool:
    """Channels whose senders are phone numbers (SMS gateways, WhatsApp): the simulated phone is one."""
    channel_type = get_type(channel.type)
    return channel_type is not None and channel_type.scheme == "tel"


def plausible_phone(address: str) -> str:
    """The number in E.164, or "" when it cannot be a phone number with its country code."""
    try:
        phone = contacts.normalise_phone(address)
    except contacts.NotAnAddress:
        return ""
    return phone if phone.startswith("+") and 8 <= len(phone) <= 16 else ""


def simulate_inbound(*, actor, channel: Channel, address: str, text: str) -> InboundMessage:
    """Receive `text` from the phone `address` on `channel` as if its gateway had posted it, and
    process it at once. Returns the stored message (its report, keyword and replies are set)."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the message the phone sends."))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("The message is too long: at most %(n)d characters.") % {"n": MAX_TEXT})
    if not can_simulate(channel):
        raise ValidationError(_("Only channels that receive from phone numbers (SMS, WhatsApp) can be simulated."))
    if not channel.is_active:
        raise ValidationError(_("This channel is deactivated: activate it before simulating messages."))
    phone = plausible_phone(address)
    if not phone:
        raise ValidationError(_("Write a phone number with its country code, e.g. +504 9000-0001."))
    inbound = base.Inbound(provider_id=PROVIDER_PREFIX + uuid.uuid4().hex, scheme="tel", address=phone,
                           text=text, sent_at=timezone.now(), raw={"simulated": True})
    message = services.receive(channel=channel, inbound=inbound)
    message = services.process_inbound(message_id=message.pk)
    audit.record(action="channels.simulated", actor=actor, obj=message,
                 data={"channel": channel.pk, "keyword": message.keyword})
    return message
