"""Replies to citizens: the automatic ones (translated into the language active when they are
built) and staff's, written on a report's page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.channels import outbox
from testigo.channels.models import InboundMessage, OutboundMessage
from testigo.channels.types import get as get_type
from testigo.core import audit, roles


def report_received(reference: str) -> str:
    return _("We received your report %(ref)s. Thank you. Write again to add details; "
             "send STOP to receive no more messages.") % {"ref": reference}


def empty_report(*, discreet: bool = False) -> str:
    if discreet:
        return neutral_help()
    return _("Send REPORT followed by what happened, where and when.")


# The neutral texts a person on the survivor pathway gets instead (channels/discreet.py): no
# "report", no keyword that names one; STOP still works, and is named, as carriers require.
def neutral_help() -> str:
    return _("Write to us at any time. Send STOP to receive no more messages.")


def welcome(*, discreet: bool = False) -> str:
    if discreet:
        return _("Hello. Write to us at any time. Send STOP to receive no more messages.")
    return _("Hello. Write what happened, where and when; you can also send photos, voice notes, videos or your "
             "location. Send HELP for help and STOP to receive no more messages.")


def help_text(*, discreet: bool = False) -> str:
    if discreet:
        return neutral_help()
    return _("Send REPORT and what happened to report it. Send STOP to receive no more messages. "
             "Send HELP for this message.")


def stopped(*, discreet: bool = False) -> str:
    if discreet:
        return _("You will receive no more messages from us.")
    return _("You will receive no more messages from us. Send REPORT to write to us again.")


@transaction.atomic
def reply(*, report, actor, text: str) -> OutboundMessage:
    """Send `text` from staff to the citizen behind `report`, through the channel they last used."""
    roles.require(actor, roles.EDIT)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write a message before sending."))
    last = (InboundMessage.objects.filter(report=report).select_related("channel", "contact")
            .order_by("-received_at").first())
    if last is None:
        raise ValidationError(_("This report did not arrive through a messaging channel."))
    channel_type = get_type(last.channel.type)
    if channel_type is not None and len(text) > channel_type.max_length:
        raise ValidationError(_("The message is too long: at most %(n)d characters.")
                              % {"n": channel_type.max_length})
    if last.contact.opted_out_at is not None:
        raise ValidationError(_("This person asked to receive no more messages (opt-out)."))
    if not last.channel.is_active:
        raise ValidationError(_("The channel this person wrote through is deactivated. "
                                "An administrator can activate it again under Messages → Channels."))
    outbound = outbox.queue(channel=last.channel, contact=last.contact, text=text, report=report,
                            in_reply_to=last, actor=actor)
    audit.record(action="channels.reply", actor=actor, obj=outbound,
                 data={"report": report.reference, "channel": last.channel.pk,
                       "segments": outbound.segments, "encoding": outbound.encoding})
    return outbound



def send_to_address(*, address: str, text: str, subject: str, language: str, report=None) -> bool:
    """Send one message to an address a person typed on a form (a phone number or an e-mail), when
    they asked for it: by the default channel for its scheme (channels.selectors.default_channels),
    an e-mail without a channel by the server's mail. Never past a STOP. False when nothing can
    reach the address; the caller has already kept what the person sent."""
    from django.core.mail import send_mail

    from testigo.channels.contacts import NotAnAddress, normalise
    from testigo.channels.models import Channel, Contact
    from testigo.channels.selectors import default_channels

    scheme = "mailto" if "@" in address else "tel"
    try:
        address = normalise(scheme, address)
    except NotAnAddress:
        return False
    channel_id = default_channels().get(scheme)
    if channel_id is None:
        if scheme != "mailto":
            return False
        transaction.on_commit(lambda: send_mail(subject, text, None, [address], fail_silently=True))
        return True
    contact, _created = Contact.objects.get_or_create(scheme=scheme, address=address,
                                                      defaults={"language": language[:2]})
    return outbox.queue(channel=Channel.objects.get(pk=channel_id), contact=contact, text=text,
                        report=report) is not None
