"""Organisation-wide data: the append-only audit trail, login throttling, this deployment's identity and its backups."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One staff or system action. Append-only: each event carries the hash of the previous one.

    `hash` = sha256 over (seq, prev_hash, at, actor_name, action, object_type, object_id, data),
    so `testigo audit-verify` detects an event that was changed, removed or inserted.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        # The audit page filtered by action or by actor, newest first: a page reads 50 index
        # entries in order instead of every event of that action or actor (issue #19). The actor
        # filter compares UPPER() on both sides (console.selectors.audit_events), so its index is
        # on that expression.
        indexes = [
            models.Index(fields=["action", "-seq"], name="audit_action_seq"),
            models.Index(Upper("actor_name"), F("seq").desc(), name="audit_actor_seq"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        permissions = [("view_audit", "Can view the audit trail")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only and cannot be deleted.")


class AuditHead(models.Model):
    """The single row holding the latest seq and hash; locked while an event is appended so
    concurrent writers form one chain, and compared by audit-verify to detect a cut tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class LoginThrottle(models.Model):
    """Failed staff logins per username (never per address: we keep no IP addresses)."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.username}: {self.failures} failure(s)"


class Access(models.Model):
    """No data: it carries the permissions of the actions core.roles names for what they gate
    (alerts, surveys, imports, layers, channels, tokens, tip line). Role groups get them from
    roles.MATRIX after every migrate."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("manage_alerts", "Can manage alert zones, rules, broadcasts and subscriptions"),
            ("manage_surveys", "Can manage survey forms and ODK devices"),
            ("import_reports", "Can import reports from spreadsheets"),
            ("manage_layers", "Can manage map layers"),
            ("manage_channels", "Can manage messaging channels"),
            ("manage_tokens", "Can manage other people's API tokens"),
            ("manage_tipline", "Can set up the tip line and grant access to it"),
        ]

    def __str__(self) -> str:
        return "access"


class Deployment(models.Model):
    """This deployment's identity: one row, made on first use. A backup carries it, so a restore
    can tell its own backup (which may replace this data with --force) from another deployment's
    (which restores only into an empty target)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.uuid)


class BackupRun(models.Model):
    """One backup made by the schedule or `testigo backup`: where it went, its size, whether it
    was read back and found whole. The console's backup page shows these."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    scheduled = models.BooleanField(default=False)
    path = models.CharField(max_length=1000, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    verified = models.BooleanField(null=True)
    verify_note = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"backup {self.started_at:%Y-%m-%d %H:%M} {self.path}"


class TwoFactorDevice(models.Model):
    """One staff member's authenticator app (TOTP, RFC 6238). Both secrets are stored encrypted
    (core.twofactor.seal); `secret` empty means two-factor login is off for this person."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="twofactor")
    secret = models.BinaryField(default=b"", blank=True)
    # Set up but not yet confirmed with a first code; replaces `secret` once confirmed.
    pending_secret = models.BinaryField(default=b"", blank=True)
    # The last time step accepted: a code (or an older one) is never accepted twice.
    last_step = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"two-factor device of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time recovery code, stored only as a keyed hash (core.twofactor.recovery_digest)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"


class TwoFactorRequirement(models.Model):
    """Whether staff in a scope (a role, or "tipline": anyone with tip-line access) must use
    two-factor login. No row: core.twofactor.DEFAULT_REQUIRED decides."""

    scope = models.CharField(max_length=32, unique=True)
    required = models.BooleanField()

    def __str__(self) -> str:
        return f"{self.scope}: {'required' if self.required else 'optional'}"


class Guide(models.Model):
    """An administrator's edit of a security guide (core.guides names the guides and ships their
    default texts). One row per edited guide; a blank title or body means "the default text in
    that language", so restoring the default is blanking it and a fresh install needs no row."""

    slug = models.SlugField(max_length=64, unique=True)
    title_es = models.CharField(max_length=200, blank=True)
    body_es = models.TextField(blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    body_en = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return self.slug
