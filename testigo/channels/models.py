"""Channels: gateways, the people who write to them, and every message in and out.

Invariants kept here (and by unique constraints, so they hold across processes):
- an inbound message is stored once per (channel, provider_id), however often a gateway retries;
- every outbound message is one row of the outbox, claimed by at most one worker at a time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=30, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    # Secrets (tokens, passwords) live here, server-side only; never rendered back to a page.
    config = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    rate_per_second = models.FloatField(_("messages per second"), default=1.0)
    transliterate = models.BooleanField(_("transliterate accents to stay in GSM-7"), default=False)
    # A number or bot kept for one purpose (e.g. a survivors' line): the category every report
    # opened through it is filed under. On the survivor pathway, its reports are confidential and
    # its automatic replies neutral (channels/discreet.py).
    category = models.ForeignKey("reports.Category", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("category of its reports"))
    # Rate limiting shared by every worker process: the earliest moment the next send may start.
    next_send_at = models.DateTimeField(null=True, blank=True)
    auth_failures = models.PositiveIntegerField(default=0)
    # Unreadable payloads beyond the hourly sample limit (services.REJECTED_SAMPLES_PER_HOUR): counted, not kept.
    rejected_not_kept = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class Contact(models.Model):
    """A person reachable at one address: `tel` (E.164, shared by SMS and WhatsApp), `telegram`, `mailto`."""

    scheme = models.CharField(max_length=20)
    address = models.CharField(max_length=255)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "address"], name="contact_unique_urn")]

    def __str__(self) -> str:
        return self.urn

    @property
    def urn(self) -> str:
        return f"{self.scheme}:{self.address}"


class DiscreetAddress(models.Model):
    """An address whose automatic replies must stay neutral (channels/discreet.py), kept only as a
    keyed digest: when retention removes a survivor's messages and contact, a later message from the
    same phone is still answered discreetly. The address cannot be read back from the digest."""

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.digest[:12]


class Conversation(models.Model):
    """The thread between one contact and one report; later messages within the window join it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations")
    started_at = models.DateTimeField()
    last_message_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class InboundMessage(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="inbound")
    provider_id = models.CharField(max_length=200)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="inbound")
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    raw = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    keyword = models.CharField(max_length=20, blank=True)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="inbound")
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbound_messages")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "provider_id"], name="inbound_once")]

    def __str__(self) -> str:
        return f"inbound {self.pk}"


class OutboundMessage(models.Model):
    """The outbox. Workers claim `queued` rows whose `next_attempt_at` has come."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="outbound")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="outbound")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="outbound_messages")
    in_reply_to = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    segments = models.PositiveSmallIntegerField(default=1)
    encoding = models.CharField(max_length=10, default="GSM-7")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # How to send it where free-form text is refused (WhatsApp outside its 24-hour window), read by
    # channels.wa_templates: {"purpose": "alert"|"other", "language": "es", "place": "…",
    # "resend_of": <outbox id>}. Empty: a reply or other message, sent as an approved "other" template.
    template = models.JSONField(default=dict, blank=True)
    # Why it failed, as a code the console translates (wa_templates.REASONS); `error` keeps the English text.
    error_code = models.CharField(max_length=40, blank=True)

    class Meta:
        # The dashboard's delivery rates: a period's messages counted per channel and status from
        # this index alone (channels.selectors.deliveries_by_channel), never by reading the rows.
        indexes = [models.Index(fields=["created_at", "channel", "status"], name="outbound_time_channel_status")]

    def __str__(self) -> str:
        return f"outbound {self.pk} ({self.status})"


class MessageTemplate(models.Model):
    """A message template Meta approved for a WhatsApp channel: the only thing that may be sent to a
    person more than 24 hours after they last wrote. Registered by an admin exactly as approved
    (name, language code, body); channels.wa_templates validates, chooses and fills it."""

    class Purpose(models.TextChoices):
        ALERT = "alert", _("alerts")
        OTHER = "other", _("replies and other messages")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="message_templates")
    name = models.CharField(_("template name"), max_length=512)
    language = models.CharField(_("language code"), max_length=15)
    purpose = models.CharField(_("used for"), max_length=10, choices=Purpose.choices)
    body = models.TextField(_("approved body text"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "name", "language"],
                                               name="template_once_per_language")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class InboundRejected(models.Model):
    """A request a gateway sent that we could not read, kept for an admin to inspect. No addresses."""

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE)
    channel_type = models.CharField(max_length=30)
    reason = models.CharField(max_length=500)
    method = models.CharField(max_length=10)
    content_type = models.CharField(max_length=200, blank=True)
    query = models.TextField(blank=True)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The hourly sample limit counts a channel's recent rejections on every rejected request.
        indexes = [models.Index(fields=["channel", "received_at"], name="rejected_channel_time")]

    def __str__(self) -> str:
        return f"rejected {self.pk}: {self.reason[:60]}"


class InboundMedia(models.Model):
    """One attachment of an inbound message on its way to the report: fetched from the provider and
    cleaned by the worker (channels.media), retried when the provider fails, never silently lost.
    What the provider said about it (kind, its reference, declared type) is in `attachment`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be fetched")
        STORED = "stored", _("stored")
        FAILED = "failed", _("could not be fetched")
        REFUSED = "refused", _("refused")

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="media_items")
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="inbound_media")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10)
    attachment = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    media = models.ForeignKey("reports.Media", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "position"], name="inbound_media_once")]

    def __str__(self) -> str:
        return f"inbound media {self.pk} ({self.kind}, {self.status})"
