"""Acting on a stored message once: its keyword (a registry other apps fill: keywords.py), opt-out,
a new report or joining a conversation, and the automatic reply."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from testigo.channels import keywords, outbox, replies
from testigo.channels.contacts import language_of
from testigo.channels.inbound import CONCAT_KEY, DRAIN_DEBOUNCE_S
from testigo.channels.models import Conversation, InboundMessage
from testigo.reports import services as report_services

log = logging.getLogger(__name__)


def drain_inbound(*, grace_s: float = DRAIN_DEBOUNCE_S * 2) -> int:
    """Process every stored, unprocessed message in arrival order; look once more after `grace_s`
    for messages whose drain request was debounced."""
    done, looked_again = 0, False
    while True:
        pending = list(InboundMessage.objects.filter(processed_at__isnull=True).order_by("pk")
                       .values_list("pk", flat=True)[:200])
        if not pending:
            if looked_again:
                return done
            looked_again = True
            time.sleep(grace_s)
            continue
        looked_again = False
        for pk in pending:
            try:
                process_inbound(message_id=pk)
            except Exception:
                log.exception("inbound message %s could not be processed", pk)
            done += 1


def process_inbound(*, message_id: int) -> InboundMessage:
    """Act on a stored message once: keywords, opt-out, new report or joining a conversation."""
    with transaction.atomic():
        message = (InboundMessage.objects.select_for_update()
                   .select_related("channel", "contact").get(pk=message_id))
        if message.processed_at is not None:
            return message
        text = assembled_text(message)
        if text is None:  # one part of a longer SMS; the last part to arrive acts for all
            message.keyword, message.processed_at = "part", timezone.now()
            message.save(update_fields=["keyword", "processed_at"])
            return message
        parsed = keywords.parse(text)
        contact = message.contact
        if parsed.language and contact.language != parsed.language:
            contact.language = parsed.language
            contact.save(update_fields=["language"])
        if parsed.explicit and parsed.keyword != keywords.STOP and contact.opted_out_at:
            # Writing a keyword again is an explicit request to hear from us again.
            contact.opted_out_at = None
            contact.save(update_fields=["opted_out_at"])
        with translation.override(language_of(contact)):
            answer = keywords.handler(parsed.keyword)(message, parsed)
            if answer:
                # A STOP's confirmation is the one message an opted-out person still gets.
                outbox.queue(channel=message.channel, contact=contact, text=answer, report=message.report,
                             in_reply_to=message, force=parsed.keyword == keywords.STOP)
        message.keyword = parsed.keyword
        message.processed_at = timezone.now()
        message.save(update_fields=["keyword", "processed_at", "report", "conversation"])
        if message.raw.get(CONCAT_KEY):
            _parts_of(message).exclude(pk=message.pk).update(report=message.report,
                                                             conversation=message.conversation)
    return message


def _parts_of(message: InboundMessage):
    ref = message.raw[CONCAT_KEY]["ref"]
    return InboundMessage.objects.filter(channel=message.channel, contact=message.contact,
                                         **{f"raw__{CONCAT_KEY}__ref": ref})


def assembled_text(message: InboundMessage) -> str | None:
    """The whole text of a multi-part SMS once every part is stored (None while parts are missing,
    or when a later-stored part will act for the message); a single message's own text."""
    concat = message.raw.get(CONCAT_KEY)
    if not concat:
        return message.text
    parts = {}
    for pk, raw, text in _parts_of(message).values_list("pk", "raw", "text"):
        parts.setdefault(int(raw[CONCAT_KEY]["part"]), (pk, text))
    if len(parts) < int(concat["total"]) or max(pk for pk, _t in parts.values()) != message.pk:
        return None
    return "".join(text for _n, (_pk, text) in sorted(parts.items()))


def on_report(message: InboundMessage, parsed: keywords.Parsed) -> str | None:
    """REPORTE/REPORT, and any message without a keyword: a new report, or more about the one of
    the person's open conversation (no reply then)."""
    if not parsed.rest:
        return replies.empty_report()
    now = timezone.now()
    window = timedelta(hours=settings.CONVERSATION_WINDOW_HOURS)
    conversation = (Conversation.objects.filter(contact=message.contact, last_message_at__gte=now - window)
                    .order_by("-last_message_at").first())
    answer = None
    if conversation is not None:
        conversation.last_message_at = now
        conversation.channel = message.channel
        conversation.save(update_fields=["last_message_at", "channel"])
    else:
        report = report_services.create_report(
            title=_title(parsed.rest), description=parsed.rest, source=message.channel.type,
            language=language_of(message.contact), reporter_name=message.contact.name,
            reporter_contact=message.contact.address, received_at=message.received_at,
        )
        conversation = Conversation.objects.create(
            contact=message.contact, report=report, channel=message.channel, started_at=now,
            last_message_at=now,
        )
        answer = replies.report_received(report.reference)
    message.conversation, message.report = conversation, conversation.report
    return answer


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def on_help(message: InboundMessage, parsed: keywords.Parsed) -> str:
    return replies.help_text()


def on_stop(message: InboundMessage, parsed: keywords.Parsed) -> str:
    """BAJA/ALTO/STOP: no more messages on any channel of this address, except this confirmation."""
    contact = message.contact
    contact.opted_out_at = timezone.now()
    contact.save(update_fields=["opted_out_at"])
    return replies.stopped()


def register_keywords() -> None:
    """The keywords channels itself answers (ChannelsConfig.ready)."""
    keywords.register(keywords.REPORT, words={"REPORTE": "es", "REPORT": "en"}, handler=on_report)
    keywords.register(keywords.STOP, words={"BAJA": "es", "ALTO": "es", "STOP": "en"}, handler=on_stop)
    keywords.register(keywords.HELP, words={"AYUDA": "es", "HELP": "en"}, handler=on_help)
