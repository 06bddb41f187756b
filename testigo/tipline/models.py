"""Tip-line data. Everything a tipster wrote is ciphertext here; see crypto.py and vault.py.

Nothing in these tables identifies a person: no address, no user agent, no codename (only its
peppered scrypt hash), and the throttle counters are keyed by time bucket, never by who tried.
Times about sources are rounded down to the hour (clock.py); a file's hash and size are sealed
(filemeta.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.tipline.clock import coarse_now
from testigo.tipline.filemeta import FORMAT_LEGACY, FORMAT_SEALED


class VaultKey(models.Model):
    """The organisation's key pair (one row). The private key exists here only wrapped."""

    public_key = models.BinaryField()
    recovery_wrapped = models.BinaryField(help_text="org private key under the recovery key")
    keep_originals = models.BooleanField(
        _("keep sealed originals of photos as evidence"), default=False,
        help_text=_("Photos are always re-encoded for viewing; keep the original bytes too (sealed)."),
    )
    created = models.DateTimeField(auto_now_add=True)
    # Key rotation (vault.start_rotation): the generation of `public_key`; while a rotation runs,
    # the previous private key wrapped under a key derived from the new one (crypto.retiring_key),
    # so whoever holds the new key still reads tips not yet re-sealed. Emptied when it ends.
    generation = models.PositiveIntegerField(default=1)
    retiring_wrapped = models.BinaryField(default=b"", blank=True)
    # How the recovery key was handed out: one printed key, or Shamir shares (k of n, SLIP-39);
    # the split's identifier (not secret) tells a share from another split.
    recovery_threshold = models.PositiveSmallIntegerField(default=0, help_text="0: a single recovery key")
    recovery_shares = models.PositiveSmallIntegerField(default=0)
    recovery_split_id = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return "tip-line vault"

    @property
    def rotating(self) -> bool:
        return bool(self.retiring_wrapped)


class StaffKeyWrap(models.Model):
    """The org private key wrapped for one staff member: existence of this row = tip-line access."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tip_key")
    salt = models.BinaryField()
    opslimit = models.PositiveBigIntegerField()
    memlimit = models.PositiveBigIntegerField()
    wrapped = models.BinaryField(help_text="org private key under the password key; empty while `pending`")
    created = models.DateTimeField(auto_now_add=True)
    # The holder's own X25519 pair (as in GlobaLeaks): its private half under the same password
    # key. After a key rotation the new organisation key is sealed to `public_key` (`pending`)
    # and re-wrapped under the password at the holder's next unlock.
    public_key = models.BinaryField(default=b"", blank=True)
    private_wrapped = models.BinaryField(default=b"", blank=True)
    pending = models.BinaryField(default=b"", blank=True, help_text="new org private key sealed to public_key")

    def __str__(self) -> str:
        return f"tip-line access for {self.user_id}"


class Source(models.Model):
    codename_hash = models.CharField(max_length=64, unique=True)
    public_key = models.BinaryField(help_text="derived from the codename; lets the source read replies")
    created = models.DateTimeField(default=coarse_now, help_text="to the hour")
    last_activity = models.DateTimeField(db_index=True, help_text="to the hour")
    keep = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"source {self.pk}"


class Tip(models.Model):
    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="tip")
    label = models.CharField(max_length=40, help_text="random words for staff to talk about a tip")
    key_for_org = models.BinaryField()
    key_for_source = models.BinaryField()
    key_generation = models.PositiveIntegerField(default=1, help_text="VaultKey.generation key_for_org is sealed to")
    created = models.DateTimeField(default=coarse_now, help_text="to the hour")
    unread = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.label


class TipMessage(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("from the source")
        OUT = "out", _("from staff")

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.BinaryField()
    created = models.DateTimeField(default=coarse_now, help_text="to the hour; rows keep their order by id")

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.direction} message {self.pk}"


class TipFile(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        OTHER = "other", _("file")

    message = models.ForeignKey(TipMessage, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    name = models.BinaryField(help_text="sealed (and padded) file name")
    original_path = models.CharField(max_length=80, blank=True, help_text="sealed original, if kept")
    view_path = models.CharField(max_length=80, blank=True, help_text="sealed metadata-free copy")
    content_type = models.CharField(max_length=80)
    meta = models.BinaryField(default=b"", help_text="sealed SHA-256 and size of the original bytes (filemeta.py)")
    format = models.PositiveSmallIntegerField(default=FORMAT_SEALED, help_text=(
        f"{FORMAT_SEALED}: name, meta and files sealed and padded under the tip key; "
        f"{FORMAT_LEGACY}: migrated, meta sealed to the organisation key, nothing padded"))

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class TipThrottle(models.Model):
    """A counter per (kind, time bucket, key). `key` is "*" (global) or a slice of a keyed hash
    of the codename hash: it says how often something was tried, never by whom."""

    kind = models.CharField(max_length=16)
    bucket = models.BigIntegerField()
    key = models.CharField(max_length=32, default="*")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "bucket", "key"], name="tipthrottle_unique")]

    def __str__(self) -> str:
        return f"{self.kind}@{self.bucket}: {self.count}"
