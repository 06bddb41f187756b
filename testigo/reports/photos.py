"""Photos from the public: held encrypted until the worker re-encodes them.

A web request only reads each photo's header (`media.probe_image`: format, dimensions, pixel
budget) and hands the bytes to `hold_photos`. Each photo is encrypted (SecretBox) under a fresh
one-time key and written through Django's storage under `quarantine/`; a job carrying the key
is queued. The worker decrypts it, decodes and re-encodes it (`media.sanitise_image`), attaches
the metadata-free copy to the report and deletes the held file. So:

- no web request decodes a photo: a noisy 40-megapixel PNG takes seconds to re-encode
  (bench/bench_uploads.py), which used to hold a web worker until it was killed;
- the original, with its GPS EXIF, is never stored in clear: not in the temporary directory
  (public uploads stay in memory, core/uploads.py), not in media storage or a backup of it.
  The key lives only in the job queue, and both are gone once the job has run;
- it works with several web and worker machines: the held file goes through the storage API.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes

from testigo.core import audit
from testigo.reports.media import SanitisedFile, probe_image, sanitise_image
from testigo.reports.models import Media, Report

QUARANTINE_DIR = "quarantine"
HELD_NAME_BYTES = 20  # random file names: nothing about the report or the photo in the path
# A held photo whose job never ran (queue lost) is useless ciphertext: deleted after this long.
HELD_MAX_AGE = timedelta(days=7)


def hold_photos(*, report: Report, photos: list[tuple[str, bytes]]) -> int:
    """Hold each photo encrypted and queue its re-encoding for the worker; return how many.

    Call after the report is committed. The photos must have passed `media.probe_image` (the
    request's cheap check); the worker checks them again, fully, and records a refusal in the
    audit trail. The original file name is not kept: only its extension, which says the format."""
    from testigo.reports import tasks  # tasks imports this module

    for position, (name, data) in enumerate(photos, start=1):
        key = random_bytes(SecretBox.KEY_SIZE)
        held = default_storage.save(f"{QUARANTINE_DIR}/{secrets.token_hex(HELD_NAME_BYTES)}",
                                    ContentFile(SecretBox(key).encrypt(data)))
        extension = probe_image(name=name, data=data).extension
        tasks.process_held_photo(report_id=report.pk, name=f"photo-{position}{extension}", held=held, key=key)
    return len(photos)


def process_held_photo(*, report_id: int, name: str, held: str, key: bytes) -> Media | None:
    """Decrypt a held photo, re-encode it and attach the copy to its report (the worker's job).

    The held file is deleted whatever happens; a photo the full check refuses is recorded in
    the audit trail and dropped. Running it twice does nothing the second time."""
    try:
        with default_storage.open(held, "rb") as handle:
            data = SecretBox(key).decrypt(handle.read())
    except (FileNotFoundError, CryptoError):
        return None  # already processed, or not ours: nothing to attach
    try:
        report = Report.objects.filter(pk=report_id).first()
        if report is None:
            return None  # deleted while the photo waited
        try:
            clean = sanitise_image(name=name, data=data)
        except ValidationError as error:
            audit.record(action="report.media_refused", obj=report, data={"reason": error.messages[0]})
            return None
        return add_media(report=report, clean=clean)
    finally:
        default_storage.delete(held)


def store_media(*, report: Report, clean: SanitisedFile, poster: bytes = b"") -> Media:
    """Store a sanitised copy as the report's media, not public until staff say so (no audit:
    the caller records it, alone or with the report's creation). Records the sha256 of the copy
    beside the original's; `poster`: a video's still frame (avmedia.still_frame)."""
    processed = hashlib.sha256(clean.content).hexdigest()
    media = Media(report=report, content_type=clean.content_type, extension=clean.extension,
                  sha256=clean.sha256, size=len(clean.content), width=clean.width, height=clean.height,
                  kind=clean.kind, duration_s=clean.duration_s, name=clean.name[:120],
                  metadata_removed=clean.metadata_removed, truncated=clean.truncated, processed_sha256=processed)
    media.file.save(f"x{clean.extension}", ContentFile(clean.content), save=False)
    if poster:
        media.poster.save(f"{processed}.jpg", ContentFile(poster), save=False)
    media.save()
    return media


@transaction.atomic
def add_media(*, report: Report, clean: SanitisedFile) -> Media:
    """Store a sanitised copy as the report's media (not public until staff say so) and audit it."""
    media = store_media(report=report, clean=clean)
    audit.record(action="report.media_added", obj=report, data={"sha256": clean.sha256})
    return media


def purge_stale_held_photos(*, older_than: timedelta = HELD_MAX_AGE) -> int:
    """Delete held photos whose job never ran (their key is gone with the queue). Returns how many."""
    if not default_storage.exists(QUARANTINE_DIR):
        return 0
    cutoff = timezone.now() - older_than
    _dirs, names = default_storage.listdir(QUARANTINE_DIR)
    stale = [f"{QUARANTINE_DIR}/{n}" for n in names if default_storage.get_modified_time(f"{QUARANTINE_DIR}/{n}") < cutoff]
    for path in stale:
        default_storage.delete(path)
    return len(stale)
