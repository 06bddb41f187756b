"""Channels' part in report retention (reports.retention): the messages and contacts a report holds.

A report that came by SMS, WhatsApp, Telegram or e-mail is linked to its sender through its
conversation and its inbound and outbound messages; the inbound message's text and raw payload
repeat the report and the sender's address. So:
- deleting a report's contact details deletes those links and messages (the report keeps its
  text and its media);
- purging a report deletes them too, before the report goes (its messages would otherwise keep
  the text with the report link set to NULL).
Then each contact touched that has no report left is removed with its remaining messages, unless
something keeps it:
- an alert subscription (alerts registers a keeper): the person asked for alerts themselves, which
  is not a report contact; deleting it would silently stop alerts they still want;
- an opt-out (STOP): the promise never to write again outlives the reports.
A survivor's discretion (channels/discreet.py) is read from these messages: it is remembered as a
keyed digest of the address before they go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Exists, OuterRef, Q

from testigo.channels import discreet
from testigo.channels.models import Contact, Conversation, InboundMessage, OutboundMessage

# fn(contact ids) -> the ids among them that must be kept (filled in AppConfig.ready of apps above).
CONTACT_KEEPERS: dict[str, Callable[[set[int]], set[int]]] = {}


def register_keeper(name: str, keeper: Callable[[set[int]], set[int]]) -> None:
    CONTACT_KEEPERS[name] = keeper


def holds_contact() -> Q:
    """Reports a channel still links to their sender."""
    return (Q(Exists(Conversation.objects.filter(report_id=OuterRef("pk"))))
            | Q(Exists(InboundMessage.objects.filter(report_id=OuterRef("pk"))))
            | Q(Exists(OutboundMessage.objects.filter(report_id=OuterRef("pk")))))


def forget_reports(report_ids: list[int]) -> int:
    """Delete these reports' conversations and messages; then remove the contacts touched that
    have no report left and nothing keeping them. Returns how many contacts were removed."""
    conversations = Conversation.objects.filter(report_id__in=report_ids)
    inbound = InboundMessage.objects.filter(Q(report_id__in=report_ids) | Q(conversation__in=conversations))
    outbound = OutboundMessage.objects.filter(report_id__in=report_ids)
    touched = (set(conversations.values_list("contact_id", flat=True))
               | set(inbound.values_list("contact_id", flat=True))
               | set(outbound.values_list("contact_id", flat=True)))
    # Discretion is read from these messages and conversations: keep it before they go.
    discreet.remember_before_forgetting(touched)
    outbound.delete()
    inbound.delete()  # their media items go with them; the report's own media rows stay
    conversations.delete()
    return remove_orphans(touched)


def remove_orphans(contact_ids: Iterable[int]) -> int:
    """Remove the contacts among these with no report left (no conversation, no message linked to
    a report), no opt-out and nothing keeping them, with their remaining messages."""
    candidates = set(Contact.objects.filter(pk__in=list(contact_ids), opted_out_at__isnull=True)
                     .exclude(Exists(Conversation.objects.filter(contact_id=OuterRef("pk"))))
                     .exclude(Exists(InboundMessage.objects.filter(contact_id=OuterRef("pk"), report__isnull=False)))
                     .exclude(Exists(OutboundMessage.objects.filter(contact_id=OuterRef("pk"), report__isnull=False)))
                     .values_list("pk", flat=True))
    for keeper in CONTACT_KEEPERS.values():
        if candidates:
            candidates -= keeper(set(candidates))
    if not candidates:
        return 0
    OutboundMessage.objects.filter(contact_id__in=candidates).delete()
    InboundMessage.objects.filter(contact_id__in=candidates).delete()
    Contact.objects.filter(pk__in=candidates).delete()
    return len(candidates)


def register() -> None:
    from testigo.reports import retention

    retention.register(retention.Participant(name="channels", holds_contact=holds_contact,
                                             forget_contacts=forget_reports, purge=forget_reports))
