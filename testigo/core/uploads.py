"""Public uploads stay in memory: never spooled to the temporary directory.

Django writes every file of a request larger than FILE_UPLOAD_MAX_MEMORY_SIZE (5 MB) to
`tmpXXXX.upload.<ext>` in the temporary directory: a tipster's plaintext, a photo with its GPS
EXIF, unlinked afterwards but never overwritten, with the extension in the name. The tip line
promises that plaintext never touches disk unencrypted, and the public form that no original
leaves the data directory. Their views use `keep_uploads_in_memory`: every file of the request
is kept in memory, and memory is bounded by the same limits the forms enforce (size per file,
number of files), so a large request costs RAM the operator sized, not disk.

Staff uploads (imports, zone files) keep Django's handlers; settings.FILE_UPLOAD_TEMP_DIR puts
their spooled files under the data directory rather than the system's temporary directory.
"""

from __future__ import annotations

from functools import wraps
from io import BytesIO

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from testigo.core.middleware import bad_request, body_problem

MB = 1024 * 1024


class CappedMemoryUploadHandler(FileUploadHandler):
    """Keeps every uploaded file in memory, at most `max_file_bytes` + 1 bytes of each and the
    content of at most `max_files` files. The size reported is always the real one, and a
    truncated file keeps one byte too many, so every size check (form or service) still refuses
    it; files beyond the count are kept empty so the count check still sees them."""

    def __init__(self, request=None, *, max_file_bytes: int, max_files: int, max_total_bytes: int | None = None):
        super().__init__(request)
        self.max_file_bytes, self.max_files = max_file_bytes, max_files
        # A form with two kinds of file (photos, and fewer but larger recordings) bounds the
        # whole body by what both fields accept, not by count x the larger size.
        self.max_total_bytes = max_files * max_file_bytes if max_total_bytes is None else max_total_bytes
        self.files_seen = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Refuse an oversized body before reading it: the files, plus the text fields that
        # Django itself caps at DATA_UPLOAD_MAX_MEMORY_SIZE. Answered with 400 Bad Request.
        limit = self.max_total_bytes + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if content_length is not None and content_length > limit:
            raise RequestDataTooBig("Upload larger than the files this form accepts.")

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.room = self.max_file_bytes + 1 if self.files_seen <= self.max_files else 0
        self.file = BytesIO()
        raise StopFutureHandlers()  # no other handler may open a temporary file for it

    def receive_data_chunk(self, raw_data, start):
        if self.room > 0:
            kept = raw_data[:self.room]
            self.file.write(kept)
            self.room -= len(kept)
        return None  # consumed: never passed on to a handler that writes to disk

    def file_complete(self, file_size):
        self.file.seek(0)
        return InMemoryUploadedFile(file=self.file, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=file_size, charset=self.charset,
                                    content_type_extra=self.content_type_extra)


def keep_uploads_in_memory(*, max_file_mb: str, max_files: str, extra_files: int = 0, check_csrf: bool = True,
                           media_mb: str = "", media_files: str = ""):
    """View decorator: this view's uploads are held in memory only (CappedMemoryUploadHandler).

    `max_file_mb` and `max_files` name the settings that bound them (read on each request);
    `extra_files` allows files outside the main field (a survey's photo questions). Upload
    handlers must be set before anything reads request.POST, and the CSRF middleware reads it,
    so the view is exempted from the middleware and checked here instead, after the handler is
    in place (Django's documented recipe) — unless `check_csrf` is False (the tip line checks
    its own token). `media_mb` and `media_files` name the settings of a second, larger kind of
    file the view also takes (recordings and videos: reports/recordings.py)."""
    def decorator(view):
        inner = decorator_from_middleware(CsrfViewMiddleware)(view) if check_csrf else view

        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.upload_handlers = [_handler(request, max_file_mb, max_files, extra_files, media_mb, media_files)]
            problem = body_problem(request)  # the middleware's check, now that the handler is set
            if problem:
                return bad_request(problem)
            return inner(request, *args, **kwargs)

        wrapped.checks_own_body = True
        return wrapped

    return decorator


def _handler(request, max_file_mb: str, max_files: str, extra_files: int, media_mb: str, media_files: str
             ) -> CappedMemoryUploadHandler:
    file_bytes, files = getattr(settings, max_file_mb) * MB, getattr(settings, max_files) + extra_files
    if not media_mb:
        return CappedMemoryUploadHandler(request, max_file_bytes=file_bytes, max_files=files)
    big_bytes, big_files = getattr(settings, media_mb) * MB, getattr(settings, media_files)
    return CappedMemoryUploadHandler(request, max_file_bytes=max(file_bytes, big_bytes), max_files=files + big_files,
                                     max_total_bytes=files * file_bytes + big_files * big_bytes)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []
