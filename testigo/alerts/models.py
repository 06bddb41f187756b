"""Early warnings: zones, subscriptions, threshold rules, alerts and the deliveries they caused.

Invariants kept here (by constraints, so they hold across processes):
- a zone name is unique once accents and case are ignored (`key`);
- a person receives at most one message per alert (unique alert + contact on AlertDelivery);
- a rule fires once per cluster: a firing remembers its centre and window (RuleFiring).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.alerts.bands import radius_band
from testigo.core.bilingual import in_language


class AlertsState(models.Model):
    """One row. Every zone change counts `zones_version` up and draws a new random `zones_token`:
    processes cache their spatial index per token (a restored backup brings back its own token)."""

    zones_version = models.PositiveBigIntegerField(default=0)
    zones_token = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return f"zones version {self.zones_version}"


class Zone(models.Model):
    class Kind(models.TextChoices):
        POLYGON = "polygon", _("polygon")
        CIRCLE = "circle", _("point and radius")

    name_es = models.CharField(_("name (Spanish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    key = models.CharField(max_length=120, unique=True)  # accent- and case-folded name, for lookups
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POLYGON)
    geometry = models.JSONField()  # GeoJSON geometry, valid (repaired with make_valid), lon/lat
    centre_lat = models.FloatField(null=True, blank=True)
    centre_lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_es"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_es, self.name_en)


class RadiusBandField(models.BigIntegerField):
    """bands.radius_band of the row's own point and radius, computed whenever the row is written
    (save() and bulk_create() both call pre_save), so it cannot drift from lat and radius_m."""

    def pre_save(self, model_instance, add):
        value = radius_band(model_instance.lat, model_instance.radius_m)
        setattr(model_instance, self.attname, value)
        return value


class Subscription(models.Model):
    """A person's wish to hear about some zones or about a radius around a point, in some categories.

    Active only when confirmed, not cancelled, and the contact has not opted out (STOP/BAJA)."""

    contact = models.ForeignKey("channels.Contact", on_delete=models.CASCADE, related_name="alert_subscriptions")
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    zones = models.ManyToManyField(Zone, blank=True, related_name="subscriptions")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    radius_band = RadiusBandField(null=True, blank=True, editable=False)
    categories = models.ManyToManyField("reports.Category", blank=True, related_name="+")  # empty: all
    language = models.CharField(max_length=8, default="es")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=20, default="web")  # web, keyword, console
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # selectors._point_recipients: per radius class, a few latitude bands, each one range of
            # longitudes; state and the recipient's fields are read from the index too.
            models.Index(fields=["radius_band", "lon", "lat", "radius_m", "confirmed_at", "cancelled_at", "contact_id",
                                 "channel_id", "language"], condition=models.Q(radius_band__isnull=False),
                         name="alerts_sub_radius_band"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk}"


class Rule(models.Model):
    """"At least `min_reports` reports of `category` within `radius_m` metres in `hours` hours"."""

    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey("reports.Category", on_delete=models.CASCADE, related_name="+")
    min_reports = models.PositiveIntegerField(_("at least this many reports"), default=3)
    radius_m = models.PositiveIntegerField(_("within metres"), default=1000)
    hours = models.PositiveIntegerField(_("in hours"), default=24)
    verified_only = models.BooleanField(_("count verified and published reports only"), default=True)
    # A hotspot rule (reports.hotspots' test on the rule's own public counts): fire only when the
    # count is beyond what the same area usually gets (alerts.rules.unusual).
    unusual_only = models.BooleanField(_("only when unusual for the area (a hotspot)"), default=False)
    send_immediately = models.BooleanField(_("send at once, without approval"), default=False)
    message_es = models.CharField(_("message (Spanish)"), max_length=300, blank=True)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("published report")
        RULE = "rule", _("threshold rule")
        BROADCAST = "broadcast", _("broadcast")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft, waiting for approval")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        DISCARDED = "discarded", _("discarded")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    message_es = models.TextField(blank=True)
    message_en = models.TextField(blank=True)
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    zones = models.ManyToManyField(Zone, blank=True, related_name="+")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    category = models.ForeignKey("reports.Category", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"alert {self.pk} ({self.kind})"


class AlertDelivery(models.Model):
    """One person reached by one alert: links the alert to its outbox row."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey("channels.Contact", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    outbound = models.OneToOneField("channels.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="alert_delivery")
    # "z<zone id>" or "s<subscription id>" (point + radius): what the cool-down is counted per.
    area_key = models.CharField(max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "contact"], name="one_message_per_alert")]
        indexes = [models.Index(fields=["contact", "area_key", "created_at"], name="alert_cooldown_idx")]

    def __str__(self) -> str:
        return f"delivery {self.pk} of alert {self.alert_id}"


class RuleFiring(models.Model):
    """A rule crossed its threshold around (lat, lon): no second firing there until `until`."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    lat = models.FloatField()
    lon = models.FloatField()
    report_count = models.PositiveIntegerField()
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fired_at = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.rule_id} fired at {self.fired_at:%Y-%m-%d %H:%M}"


class CodeThrottle(models.Model):
    """Failed confirmation attempts per address, so a code cannot be guessed by trying many."""

    address = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code throttle {self.pk}"
