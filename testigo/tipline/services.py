"""Every write on the tip line. Keyword-only, validated, transactional; staff writes audited.

Source actions are deliberately *not* written to the audit trail: the trail is permanent and
would outlive the retention purge as a timeline of a source's visits.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from nacl.public import PrivateKey

from testigo.core import audit, roles
from testigo.reports.media import ALLOWED_IMAGES, sanitise_image
from testigo.tipline import clock, codenames, crypto, filemeta, labels, proofofwork, storage, throttle, vault
from testigo.tipline.models import Source, Tip, TipFile, TipMessage, VaultKey

IN, OUT = TipMessage.Direction.IN, TipMessage.Direction.OUT


class Throttled(Exception):
    """Too many attempts right now; the message says what to do."""


class WorkRequired(Throttled):
    """Many tips are arriving: this one needs a proof of work (proofofwork.py) it did not bring."""


@dataclass(frozen=True)
class SourceAccess:
    """What a logged-in source's cookie carries: which source, and the key to read replies."""

    source_id: int
    reading_seed: bytes


def _clean_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "file"


def validate_message(body: str, files: list[tuple[str, bytes]]) -> str:
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError(_("Write a message or attach a file."))
    if len(body) > settings.TIP_MAX_MESSAGE_CHARS:
        raise ValidationError(_("The message is too long (at most %(n)s characters).") % {"n": settings.TIP_MAX_MESSAGE_CHARS})
    if len(files) > settings.TIP_MAX_FILES:
        raise ValidationError(_("Attach at most %(n)s files at a time.") % {"n": settings.TIP_MAX_FILES})
    for name, data in files:
        if len(data) > settings.TIP_MAX_FILE_MB * 1024 * 1024:
            raise ValidationError(_("“%(name)s” is larger than the limit of %(mb)s MB.")
                                  % {"name": _clean_name(name), "mb": settings.TIP_MAX_FILE_MB})
    return body


def _store_file(*, message: TipMessage, box_key: bytes, name: str, data: bytes, keep_original: bool) -> TipFile:
    name = _clean_name(name)
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    # Hash and size sealed, name and contents padded: the row and the disk confirm no known file.
    meta = filemeta.seal(box_key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    fields = dict(message=message, name=filemeta.seal_name(box_key, name), meta=meta, format=filemeta.FORMAT_SEALED)
    if ext in ALLOWED_IMAGES:
        clean = sanitise_image(name=name, data=data)  # raises a translated ValidationError
        fields.update(kind=TipFile.Kind.IMAGE, content_type=clean.content_type,
                      view_path=_write_padded(box_key, clean.content))
        if keep_original:
            fields["original_path"] = _write_padded(box_key, data)
    else:
        fields.update(kind=TipFile.Kind.OTHER, content_type="application/octet-stream",
                      original_path=_write_padded(box_key, data))
    return TipFile.objects.create(**fields)


def _write_padded(box_key: bytes, data: bytes) -> str:
    return storage.write(crypto.wrap(box_key, crypto.pad(data)))


def _add_message(*, tip: Tip, box_key: bytes, direction: str, body: str, files: list[tuple[str, bytes]]) -> TipMessage:
    keep = bool(getattr(vault.current(), "keep_originals", False))
    written: list[str] = []
    try:
        with transaction.atomic():
            message = TipMessage.objects.create(tip=tip, direction=direction, body=crypto.wrap(box_key, body.encode()))
            for name, data in files:
                stored = _store_file(message=message, box_key=box_key, name=name, data=data, keep_original=keep)
                written += [p for p in (stored.view_path, stored.original_path) if p]
            Source.objects.filter(pk=tip.source_id).update(last_activity=clock.coarse_now())
    except BaseException:
        for path in written:  # the rows are gone; do not leave orphan ciphertext behind
            storage.shred(path)
        raise
    return message


def _work_refused(work: proofofwork.Work | None) -> WorkRequired:
    if work is None:
        return WorkRequired(_("Many tips are arriving right now, so sending one needs a short computation by "
                              "your browser. Allow JavaScript for this page (in Tor Browser: the “Safer” "
                              "security level) and send again, or try again later."))
    return WorkRequired(_("Your browser's computation did not complete in time. Please send again."))


def submit_tip(*, body: str, files: list[tuple[str, bytes]], language: str,
               work: proofofwork.Work | None = None) -> tuple[SourceAccess, str]:
    """Create a source and its tip from a first message; return its access and the codename.

    The codename is returned once and never stored: only its peppered scrypt hash is kept.
    Everything written is sealed to the organisation key and the source's own key. When the
    hour's load asks for it, the tip must bring a proof of work (`work`), checked before any
    costly step; a flood raises the cost of the next tip and never closes the tip line."""
    if vault.current() is None:
        raise ValidationError(_("The tip line is not open yet. Please try again later."))
    body = validate_message(body, files)
    required = proofofwork.required_bits()
    if not proofofwork.valid(work, required):
        raise _work_refused(work)
    codename = codenames.generate(language)
    seed = codenames.reading_seed(codename)
    box_key = crypto.random_key()
    with transaction.atomic():
        if not proofofwork.spend(work, required):  # a replayed challenge
            raise _work_refused(work)
        throttle.hit(throttle.NEW_TIP)
        # Read (and lock) the key in this transaction: a key rotation starting meanwhile waits,
        # so the tip is sealed to the key its generation says, and re-sealed if that one retires.
        vault_key = VaultKey.objects.select_for_update().first()
        source = Source.objects.create(codename_hash=codenames.lookup_hash(codename), last_activity=clock.coarse_now(),
                                       public_key=bytes(PrivateKey(seed).public_key))
        tip = Tip.objects.create(source=source, label=labels.new_label(),
                                 key_for_org=crypto.seal_to(bytes(vault_key.public_key), box_key),
                                 key_generation=vault_key.generation,
                                 key_for_source=crypto.seal_to(bytes(source.public_key), box_key))
        _add_message(tip=tip, box_key=box_key, direction=IN, body=body, files=files)
    return SourceAccess(source_id=source.pk, reading_seed=seed), codename


def source_login(*, codename: str) -> SourceAccess:
    """Check a codename. A right codename always logs in, whatever the flood: the limits count
    and answer only wrong ones (globally and per codename, never per person), so a stream of
    wrong guesses cannot lock a source out. A wrong codename and an unknown one are the same
    thing and get the same answer. Guessing needs no refusal to fail: a codename has ~90 bits."""
    digest = codenames.lookup_hash(codename)  # always computed: equal cost for every input
    source = Source.objects.filter(codename_hash=digest).first()
    if source is not None:
        return SourceAccess(source_id=source.pk, reading_seed=codenames.reading_seed(codename))
    key = throttle.codename_key(digest)
    if throttle.exceeded(throttle.LOGIN_CODENAME, key):
        raise Throttled(_("Too many attempts with this codename. Please wait 15 minutes and try again."))
    if throttle.exceeded(throttle.LOGIN_GLOBAL):
        raise Throttled(_("Too many attempts right now. Please wait a minute and try again."))
    throttle.hit(throttle.LOGIN_GLOBAL)
    throttle.hit(throttle.LOGIN_CODENAME, key)
    raise ValidationError(_("That codename was not recognised. Check each word and try again."))


def source_box_key(access: SourceAccess) -> tuple[Tip, bytes]:
    tip = Tip.objects.select_related("source").get(source_id=access.source_id)
    return tip, crypto.open_sealed(access.reading_seed, bytes(tip.key_for_source))


def source_message(*, access: SourceAccess, body: str, files: list[tuple[str, bytes]]) -> TipMessage:
    """Add a message (and files) from a returning source."""
    body = validate_message(body, files)
    tip, box_key = source_box_key(access)
    message = _add_message(tip=tip, box_key=box_key, direction=IN, body=body, files=files)
    Tip.objects.filter(pk=tip.pk).update(unread=True)
    return message


def _staff_box_key(actor, org_private: bytes, tip: Tip) -> bytes:
    vault.require_key_holder(actor)
    return vault.open_for_org(org_private, bytes(tip.key_for_org))


def staff_reply(*, actor, org_private: bytes, tip: Tip, body: str, files: list[tuple[str, bytes]] | None = None) -> TipMessage:
    """Reply to a source; the reply is sealed so only staff and that source can read it."""
    box_key = _staff_box_key(actor, org_private, tip)
    body = validate_message(body, files or [])
    with transaction.atomic():
        message = _add_message(tip=tip, box_key=box_key, direction=OUT, body=body, files=files or [])
        audit.record(action="tipline.reply", actor=actor, obj=tip)
    return message


def set_keep(*, actor, tip: Tip, keep: bool) -> None:
    """Flag a tip to be kept past the retention period (or release it)."""
    vault.require_key_holder(actor)
    with transaction.atomic():
        Source.objects.filter(pk=tip.source_id).update(keep=keep)
        audit.record(action="tipline.keep" if keep else "tipline.release", actor=actor, obj=tip)


def set_keep_originals(*, actor, keep: bool) -> None:
    """Choose whether photo originals (with their metadata) are kept, sealed, as evidence."""
    vault.require_key_holder(actor, roles.MANAGE_TIPLINE)
    with transaction.atomic():
        vault.VaultKey.objects.update(keep_originals=keep)
        audit.record(action="tipline.keep_originals", actor=actor, object_type="tipline.vault", data={"keep": keep})


def mark_read(*, actor, tip: Tip) -> None:
    if vault.has_access(actor) and tip.unread:
        Tip.objects.filter(pk=tip.pk).update(unread=False)


def purge_expired(*, now=None) -> int:
    """Delete for good every tip without activity for TIP_RETENTION_DAYS that staff did not flag
    to keep: files overwritten then unlinked, rows deleted (SQLite secure_delete zeroes pages)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TIP_RETENTION_DAYS)
    purged = 0
    for source in Source.objects.filter(keep=False, last_activity__lt=cutoff):
        purge_source(source=source)
        purged += 1
    return purged


def purge_source(*, source: Source) -> None:
    paths = TipFile.objects.filter(message__tip__source=source).values_list("view_path", "original_path")
    names = [p for pair in paths for p in pair if p]
    with transaction.atomic():
        source.delete()
    for name in names:
        storage.shred(name)
