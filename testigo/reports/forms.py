"""A form field shared by the public report form and the console: recordings and videos."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from testigo.reports.avmedia import looks_like_recording

HEAD_BYTES = 64  # enough for every container signature looks_like_recording knows
ACCEPT = "audio/*,video/*"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class RecordingsField(forms.FileField):
    """Zero or more sound or video files: count and size checked from what the upload handler
    reports (nothing is read for it), then each file's first bytes. Never probed, decoded or
    transcoded here: the worker does that (reports/recordings.py)."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.MEDIA_UPLOAD_MAX_FILES:
            raise ValidationError(
                gettext("Attach at most %(max)s recordings or videos (you attached %(count)s).")
                % {"max": settings.MEDIA_UPLOAD_MAX_FILES, "count": len(files)})
        limit = settings.MEDIA_UPLOAD_MAX_MB * 1024 * 1024
        errors = []
        for upload in files:
            if upload.size > limit:
                errors.append(ValidationError(gettext("“%(name)s” is larger than the limit of %(mb)s MB.")
                                              % {"name": upload.name, "mb": settings.MEDIA_UPLOAD_MAX_MB}))
        if errors:
            raise ValidationError(errors)
        files = [super(RecordingsField, self).clean(f, initial) for f in files]
        for upload in files:
            head = upload.read(HEAD_BYTES)
            upload.seek(0)
            if not looks_like_recording(head):
                errors.append(ValidationError(
                    gettext("“%(name)s” is not a sound or video file (MP3, M4A, OGG, WAV, AMR, MP4, 3GP, MOV, "
                            "WebM or MKV).") % {"name": upload.name}))
        if errors:
            raise ValidationError(errors)
        return files


def help_text() -> str:
    return gettext("Up to %(files)s recordings or videos, %(mb)s MB each. Location, date and device data are "
                   "removed from every file.") % {"files": settings.MEDIA_UPLOAD_MAX_FILES,
                                                   "mb": settings.MEDIA_UPLOAD_MAX_MB}


def recording_files(uploads) -> list[tuple[str, bytes]]:
    """(name, bytes) of each cleaned upload, for recordings.hold_recordings."""
    return [(upload.name, upload.read()) for upload in uploads or []]
