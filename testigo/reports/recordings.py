"""Recordings and videos attached on the public form or in the console: held encrypted until the
worker transcodes them, as photos are (reports/photos.py).

The request only checks the count, the size (a body larger than the fields allow is refused from
its Content-Length, before it is read: core/uploads.py) and each file's first bytes. Each file is
encrypted under a fresh one-time key, written under `quarantine/` and recorded as a pending
`HeldRecording`; the job carrying the key is queued. The worker decrypts it and hands it to
`avmedia.sanitise_media` (ffprobe decides what it is; ffmpeg transcodes to MP3 or MP4 without a
single tag, cutting at TESTIGO_MEDIA_MAX_*_SECONDS), takes a still frame of a video for its
poster, and stores the clean copy with the sha256 of the original and of the copy. Then:

- the original's bytes are dropped, unless TESTIGO_MEDIA_KEEP_ORIGINALS keeps them beside the
  copy for staff who take evidence packages (never public, never served inline). A kept original
  is SEALED as tip-line files are: encrypted to the organisation's tip-line public key, so a
  stolen disk or backup reveals nothing, and only a tip-line key holder (key unlocked in their
  session) opens it. reports sits below tipline, so the tip line fills `SEALER` at start-up
  (TiplineConfig.ready); while no tip-line key exists the original is NOT kept (the report says
  so to staff);
- a file ffmpeg cannot read, or anything else that goes wrong, turns the row into a failure whose
  reason staff read on the report: nothing crashes, and the held ciphertext is deleted;
- ffmpeg missing: the job is retried (Huey), the file stays held.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes

from testigo.core import audit, roles
from testigo.reports import avmedia
from testigo.reports.models import HeldRecording, Media, Report
from testigo.reports.photos import HELD_MAX_AGE, HELD_NAME_BYTES, QUARANTINE_DIR, store_media

log = logging.getLogger(__name__)


@dataclass
class Sealer:
    """How a kept original is sealed and opened; filled by the tip line (TiplineConfig.ready),
    which reports may not import. Empty: no original can be kept.

    available() -> the tip line has an organisation key to seal to;
    seal(data) -> the sealed bytes, or None when there is no key;
    opener(request) -> a function opening sealed bytes with the key unlocked in that staff
    session, or None when the user holds no key or has not unlocked it."""

    available: Callable[[], bool] | None = None
    seal: Callable[[bytes], bytes | None] | None = None
    opener: Callable[[object], Callable[[bytes], bytes] | None] | None = None


SEALER = Sealer()


def sealing_available() -> bool:
    return SEALER.available is not None and bool(SEALER.available())


def seal_original(data: bytes) -> bytes | None:
    """The original sealed to the tip-line key, or None: then it is not kept."""
    return SEALER.seal(data) if SEALER.seal is not None else None


def original_opener(request) -> Callable[[bytes], bytes] | None:
    """Opens sealed originals for this request's staff member, or None if they cannot."""
    return SEALER.opener(request) if SEALER.opener is not None else None


def originals_not_kept() -> bool:
    """True when the operator asks for originals but there is no tip-line key to seal them to."""
    return bool(settings.MEDIA_KEEP_ORIGINALS) and not sealing_available()
ERROR_LENGTH = HeldRecording._meta.get_field("error").max_length


def hold_recordings(*, report: Report, files: list[tuple[str, bytes]], actor=None) -> list[HeldRecording]:
    """Hold each file encrypted, record it as pending on the report and queue its processing.

    Call after the report is committed. The original file name is not kept (a phone names a
    video after the day and the place); staff read "recording 1", "recording 2"."""
    from testigo.reports import tasks  # tasks imports this module

    if actor is not None:
        roles.require(actor, roles.EDIT)
    first = (report.held_recordings.count() + report.media.filter(kind__in=[Media.Kind.AUDIO, Media.Kind.VIDEO])
             .count() + 1)
    held_rows = []
    for position, (_name, data) in enumerate(files, start=first):
        key = random_bytes(SecretBox.KEY_SIZE)
        path = default_storage.save(f"{QUARANTINE_DIR}/{secrets.token_hex(HELD_NAME_BYTES)}",
                                    ContentFile(SecretBox(key).encrypt(data)))
        row = HeldRecording.objects.create(report=report, position=position, held=path, size=len(data))
        audit.record(action="report.recording_held", actor=actor, obj=report,
                     data={"position": position, "size": len(data)})
        tasks.process_held_recording(held_id=row.pk, key=key)
        held_rows.append(row)
    return held_rows


def process_held_recording(*, held_id: int, key: bytes) -> Media | None:
    """Decrypt, check, transcode and store one held recording (the worker's job); a failure is
    written on its row for staff. Running it twice does nothing the second time. Raises
    avmedia.ToolMissing (the job is retried, the file stays held)."""
    row = HeldRecording.objects.filter(pk=held_id, status=HeldRecording.Status.PENDING).select_related("report").first()
    if row is None:
        return None  # done, failed, or the report was deleted
    display = _("recording %(number)s") % {"number": row.position}
    try:
        with default_storage.open(row.held, "rb") as handle:
            data = SecretBox(key).decrypt(handle.read())
    except (FileNotFoundError, CryptoError):
        return _fail(row, _("The file was lost before it could be processed; please ask the reporter for it again."))
    try:
        clean = avmedia.sanitise_media(data=data, filename=display)
        if clean.kind not in (Media.Kind.AUDIO, Media.Kind.VIDEO):
            raise ValidationError(_("“%(name)s” is not a sound or video file.") % {"name": display})
        poster = avmedia.still_frame(video=clean.content, duration_s=clean.duration_s) if clean.kind == "video" else b""
    except avmedia.ToolMissing:
        raise
    except ValidationError as error:
        return _fail(row, "; ".join(error.messages))
    except Exception:  # a bug or an unforeseen file: logged, and said on the report
        log.exception("held recording %s: unexpected failure", row.pk)
        return _fail(row, _("“%(name)s” could not be processed because of an unexpected error.") % {"name": display})
    return _store(row, clean, poster=poster, original=data)


def _store(row: HeldRecording, clean, *, poster: bytes, original: bytes) -> Media:
    with transaction.atomic():
        media = store_media(report=row.report, clean=clean, poster=poster)
        sealed = seal_original(original) if settings.MEDIA_KEEP_ORIGINALS else None
        if sealed is not None:
            media.original.save(secrets.token_hex(HELD_NAME_BYTES), ContentFile(sealed), save=False)
            media.save(update_fields=["original"])
        elif settings.MEDIA_KEEP_ORIGINALS:
            log.warning("recording %s: original not kept, the tip line has no key to seal it to", media.pk)
        audit.record(action="report.media_added", obj=row.report,
                     data={"sha256": clean.sha256, "processed_sha256": media.processed_sha256, "kind": clean.kind,
                           "source": "web", "original_kept": sealed is not None})
        held = row.held
        row.delete()
    default_storage.delete(held)
    return media


def _fail(row: HeldRecording, reason: str) -> None:
    with transaction.atomic():
        HeldRecording.objects.filter(pk=row.pk).update(status=HeldRecording.Status.FAILED, error=reason[:ERROR_LENGTH],
                                                       held="", updated_at=timezone.now())
        audit.record(action="report.media_failed", obj=row.report,
                     data={"kind": "recording", "position": row.position, "reason": reason[:200]})
    if row.held:
        default_storage.delete(row.held)
    return None


def poster_or_nothing(clean) -> bytes:
    """A video's still frame for a file stored by another path (a channel's video): b"" for sound,
    or when no frame can be taken (the video is kept all the same; a poster is a convenience)."""
    if clean.kind != Media.Kind.VIDEO:
        return b""
    try:
        return avmedia.still_frame(video=clean.content, duration_s=clean.duration_s)
    except ValidationError:
        log.warning("no still frame could be taken of a stored video")
        return b""


def fail_stale(*, older_than=HELD_MAX_AGE) -> int:
    """Pending recordings whose job never ran (the queue and its key are gone; the daily purge of
    photos deletes the ciphertext): said so on the report. Returns how many."""
    stale = list(HeldRecording.objects.filter(status=HeldRecording.Status.PENDING,
                                              created_at__lt=timezone.now() - older_than).select_related("report"))
    for row in stale:
        _fail(row, _("The file waited too long to be processed and was dropped; please ask the reporter for it "
                     "again."))
    return len(stale)
