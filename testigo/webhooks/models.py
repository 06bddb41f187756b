"""Outgoing webhooks: where Testigo tells partners' systems that something happened, and the log
of every delivery (queued in the database like the outbox, sent by the worker)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Webhook(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)  # event names (webhooks/events.py)
    # HMAC key. Stored as is: the server needs it to sign every delivery; shown once at creation.
    secret = models.CharField(max_length=100)
    staff_level = models.BooleanField(
        _("staff-level payloads"), default=False,
        help_text=_("Send the staff view of reports (status, exact location, unpublished reports) instead of "
                    "what the public sees. Never the reporter's name or contact."))
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_automatically_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, no more retries")

    class Error(models.TextChoices):
        NONE = "", ""
        HTTP = "http", _("the receiver answered with an error")
        REDIRECT = "redirect", _("the receiver answered with a redirect, which is not followed")
        TIMEOUT = "timeout", _("no answer in time")
        CONNECTION = "connection", _("could not connect")
        BLOCKED = "blocked", _("the address is on this server or a private network")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    body = models.TextField()  # the JSON sent, fixed when queued (a replay sends it again, signed anew)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # of the last attempt
    error = models.CharField(max_length=12, choices=Error.choices, blank=True, default="")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"
