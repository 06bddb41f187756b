"""Acting on a stored message once: its keyword (a registry other apps fill: keywords.py), opt-out,
a new report or joining a conversation, and the automatic reply."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from testigo.channels import discreet, keywords, locations, media, outbox, replies
from testigo.channels.contacts import language_of
from testigo.channels.inbound import CONCAT_KEY, DRAIN_DEBOUNCE_S, extras_of
from testigo.channels.models import Conversation, InboundMessage
from testigo.channels.types import base
from testigo.channels.types import get as get_type
from testigo.core import roles
from testigo.reports import sensitive
from testigo.reports import services as report_services
from testigo.reports.models import Category

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
        event = extras_of(message).get("event")
        if event in {base.EVENT_START, base.EVENT_COMMAND}:
            _answer_event(message, event)
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
    _after_processing(message)
    return message


def _answer_event(message: InboundMessage, event: str) -> None:
    """A conversation opened (Telegram's Start button) or an unknown bot command: a welcome or the
    help text, and no report (the person has not said anything yet)."""
    contact = message.contact
    if contact.opted_out_at is None:
        with translation.override(language_of(contact)):
            neutral = discreet.is_discreet(contact)
            answer = (replies.welcome(discreet=neutral) if event == base.EVENT_START
                      else replies.help_text(discreet=neutral))
        outbox.queue(channel=message.channel, contact=contact, text=answer, in_reply_to=message)
    message.keyword, message.processed_at = event, timezone.now()
    message.save(update_fields=["keyword", "processed_at"])
    transaction.on_commit(lambda: _after_processing(message))


def _after_processing(message: InboundMessage) -> None:
    """What the provider expects once we acted (the type's on_processed); never fails the job."""
    channel_type = get_type(message.channel.type)
    if channel_type is None:
        return
    try:
        channel_type.on_processed(message.channel, message)
    except Exception:
        log.exception("inbound message %s: the channel's after-processing step failed", message.pk)


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
    the person's open conversation (no reply then). A photo, a voice note, a video, a document or
    a location is a report on its own, with or without text."""
    return _on_report(message, parsed, asked_discretion=False)


def on_discreet(message: InboundMessage, parsed: keywords.Parsed) -> str | None:
    """APOYO/SUPPORT (channels/discreet.py): a report like any other, filed on the survivor
    pathway (confidential), answered neutrally with the nearest help services. The word alone
    answers with the general list of services and puts an open conversation's report on the pathway."""
    discreet.remember(message.contact)
    return _on_report(message, parsed, asked_discretion=True)


def _on_report(message: InboundMessage, parsed: keywords.Parsed, *, asked_discretion: bool) -> str | None:
    extras = extras_of(message)
    attachments = extras.get("attachments") or []
    location = _location(extras, parsed.rest)
    channel_category = _channel_category(message.channel)
    neutral = (asked_discretion or (channel_category is not None and channel_category.is_sensitive)
               or discreet.is_discreet(message.contact))
    if not parsed.rest and not attachments and location is None:
        if asked_discretion:
            return discreet.contacts_only(_open_conversation_on_pathway(message))
        return replies.empty_report(discreet=neutral)
    now = timezone.now()
    conversation = _open_conversation(message.contact)
    answer = None
    if conversation is not None:
        conversation.last_message_at = now
        conversation.channel = message.channel
        conversation.save(update_fields=["last_message_at", "channel"])
        if location is not None and conversation.report.lat is None:
            _locate(conversation.report, location)
        elif parsed.rest:  # "fue en la col kennedy": a later message may name the place
            report_services.place_from_text_later(report=conversation.report, more_text=parsed.rest,
                                                  region=str(message.channel.config.get("region") or ""))
        if asked_discretion:  # asked for in the middle of a conversation: its report, and the services
            discreet.file_on_pathway(conversation.report)
            conversation.report.refresh_from_db()
            answer = discreet.received(conversation.report, with_contacts=True)
    else:
        pathway = discreet.pathway_category() if asked_discretion else None
        report = _new_report(message, parsed.rest, attachments, location,
                             categories=list(dict.fromkeys(c for c in (channel_category, pathway) if c is not None)))
        if asked_discretion:
            discreet.file_on_pathway(report)  # confidential even when there is no pathway category
        conversation = Conversation.objects.create(
            contact=message.contact, report=report, channel=message.channel, started_at=now,
            last_message_at=now,
        )
        # Neutral for anyone on the pathway; the help services when this message asked for them
        # or the report is on the pathway (a survivors' line).
        answer = (discreet.received(report, with_contacts=asked_discretion or sensitive.is_sensitive(report))
                  if neutral else replies.report_received(report.reference))
    message.conversation, message.report = conversation, conversation.report
    if attachments:
        media.attach(message, conversation.report)
    return answer


def _new_report(message: InboundMessage, text: str, attachments: list, location: base.Location | None, *,
                categories: list[Category]):
    title = _title(text) if text else _content_title(attachments, location)
    where = location or base.Location(lat=None, lon=None)
    return report_services.create_report(
        title=title, description=text or title, source=message.channel.type,
        language=language_of(message.contact), reporter_name=message.contact.name,
        reporter_contact=message.contact.address, received_at=message.received_at,
        lat=where.lat, lon=where.lon, precision_m=where.precision_m,
        place_name=_place_name(location), categories=categories or None,
        place_region=str(message.channel.config.get("region") or ""),
    )


def _channel_category(channel) -> Category | None:
    """The category a channel files its reports under (Channel.category), if still active."""
    category = channel.category if channel.category_id else None
    return category if category is not None and category.is_active else None


def _location(extras: dict, text: str) -> base.Location | None:
    """The place the message shares: the provider's pin, else coordinates or a map link in the text."""
    shared = extras.get("location")
    if isinstance(shared, dict):
        try:
            return base.Location(lat=float(shared["lat"]), lon=float(shared["lon"]),
                                 precision_m=_metres(shared.get("precision_m")),
                                 name=str(shared.get("name") or ""), address=str(shared.get("address") or ""))
        except (KeyError, TypeError, ValueError):
            pass
    return locations.from_text(text)


def _metres(value) -> int | None:
    try:
        return max(1, round(float(value))) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _place_name(location: base.Location | None) -> str:
    if location is None:
        return ""
    limit = report_services.Report._meta.get_field("place_name").max_length
    return ", ".join(part for part in (location.name.strip(), location.address.strip()) if part)[:limit]


def _locate(report, location: base.Location) -> None:
    """A location sent later in the conversation places a report that had none (never moves one
    staff or the reporter already placed)."""
    changes = {"lat": location.lat, "lon": location.lon, "precision_m": location.precision_m}
    if not report.place_name and _place_name(location):
        changes["place_name"] = _place_name(location)
    report_services.update_report(report=report, actor=roles.SYSTEM, **changes)


KIND_TITLES = {"image": lambda: _("Photo"), "voice": lambda: _("Voice note"), "audio": lambda: _("Audio"),
               "video": lambda: _("Video"), "document": lambda: _("Document")}


def _content_title(attachments: list, location: base.Location | None) -> str:
    """The title of a report that came without words: what it carries, in the person's language."""
    if attachments:
        title = KIND_TITLES.get(str(attachments[0].get("kind")), KIND_TITLES["document"])()
        if len(attachments) > 1:
            more = len(attachments) - 1
            title = ngettext("%(what)s and %(count)d more file", "%(what)s and %(count)d more files",
                             more) % {"what": title, "count": more}
        return title
    name = _place_name(location)
    return _("Location: %(place)s") % {"place": name} if name else _("Location")


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def _open_conversation(contact) -> Conversation | None:
    """The person's conversation still open (CONVERSATION_WINDOW_HOURS), whose report a new message
    adds to."""
    window = timedelta(hours=settings.CONVERSATION_WINDOW_HOURS)
    return (Conversation.objects.filter(contact=contact, last_message_at__gte=timezone.now() - window)
            .select_related("report").order_by("-last_message_at").first())


def _open_conversation_on_pathway(message: InboundMessage):
    """The report of the person's open conversation, now on the survivor pathway (None without one)."""
    conversation = _open_conversation(message.contact)
    if conversation is None:
        return None
    discreet.file_on_pathway(conversation.report)
    message.conversation, message.report = conversation, conversation.report
    return conversation.report


def on_help(message: InboundMessage, parsed: keywords.Parsed) -> str:
    return replies.help_text(discreet=discreet.is_discreet(message.contact))


def on_stop(message: InboundMessage, parsed: keywords.Parsed) -> str:
    """BAJA/ALTO/STOP: no more messages on any channel of this address, except this confirmation."""
    contact = message.contact
    contact.opted_out_at = timezone.now()
    contact.save(update_fields=["opted_out_at"])
    return replies.stopped(discreet=discreet.is_discreet(contact))


def register_keywords() -> None:
    """The keywords channels itself answers (ChannelsConfig.ready)."""
    keywords.register(keywords.REPORT, words={"REPORTE": "es", "REPORT": "en"}, handler=on_report)
    keywords.register(keywords.STOP, words={"BAJA": "es", "ALTO": "es", "STOP": "en"}, handler=on_stop, alone=True)
    keywords.register(keywords.HELP, words={"AYUDA": "es", "HELP": "en"}, handler=on_help, alone=True)
    keywords.register(discreet.DISCREET, words=discreet.WORDS, handler=on_discreet)
