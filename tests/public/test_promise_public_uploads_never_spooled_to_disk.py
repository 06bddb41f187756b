"""Promise: no original photo sent through the public form leaves the data directory.

With FILE_UPLOAD_MAX_MEMORY_SIZE = 5 MB, Django spooled every file of a larger request to
`tmpXXXX.upload.<ext>` in the system's temporary directory: the original, GPS EXIF and all,
unlinked afterwards but never overwritten. The report form now keeps uploads in memory
(core/uploads.py), and the photo waits for the worker encrypted (reports/photos.py).
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.reports.models import Media
from tests.public.conftest import QueueSpy, SpoolSpy, bytes_found, padded_jpeg

URL = "/report/"
SIX_MB = 6 * 1024 * 1024  # over FILE_UPLOAD_MAX_MEMORY_SIZE


def test_promise_report_form_over_5_mb_spools_nothing_and_stores_no_original(en_client, form_data, monkeypatch,
                                                                             settings, tmp_path):
    photo, needle = padded_jpeg(SIX_MB)
    spool, queue = SpoolSpy(monkeypatch, settings, tmp_path), QueueSpy(monkeypatch)
    response = en_client.post(URL, {**form_data, "photos": [SimpleUploadedFile("foto.jpg", photo, "image/jpeg")]})
    assert response.status_code == 302
    assert spool.created == [] and spool.leftovers() == []
    roots = [spool.system, spool.upload, settings.MEDIA_ROOT, settings.DATA_DIR]
    assert bytes_found(roots, needle) == []  # waiting for the worker: encrypted

    queue.run()
    assert Media.objects.count() == 1
    assert bytes_found(roots, needle) == []  # processed: only the re-encoded copy remains


def test_a_request_larger_than_the_form_accepts_is_refused_before_it_is_read(en_client, form_data, settings):
    settings.MAX_UPLOAD_MB, settings.MAX_UPLOAD_FILES = 1, 1
    settings.MEDIA_UPLOAD_MAX_MB, settings.MEDIA_UPLOAD_MAX_FILES = 2, 1
    # photos + survey allowance + one recording + text
    limit = (1 + 10 + 2) * 1024 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = SimpleUploadedFile("foto.jpg", b"\xff\xd8" + b"0" * limit, content_type="image/jpeg")
    assert en_client.post(URL, {**form_data, "photos": [big]}).status_code == 400


def test_memory_is_bounded_by_the_limits_and_sizes_stay_true():
    """A file over the limit keeps one byte too many (every size check still refuses it), a
    file over the count keeps none; both report their real size."""
    from django.core.files.uploadhandler import StopFutureHandlers

    from testigo.core.uploads import CappedMemoryUploadHandler

    handler = CappedMemoryUploadHandler(None, max_file_bytes=10, max_files=1)
    handler.handle_raw_input(None, {}, 100, b"boundary")
    kept = []
    for name in ("a.jpg", "b.jpg"):
        try:
            handler.new_file("photos", name, "image/jpeg", None)
        except StopFutureHandlers:
            pass  # no handler after this one may open a temporary file
        for start in range(0, 32, 8):
            assert handler.receive_data_chunk(b"x" * 8, start) is None  # consumed, never passed on
        kept.append(handler.file_complete(32))
    assert [(f.size, len(f.read())) for f in kept] == [(32, 11), (32, 0)]


def test_staff_uploads_that_are_spooled_stay_under_the_data_directory():
    """Other views (staff imports, zone files) may spool large files: never to the system's
    temporary directory, only to a private folder of the data directory."""
    from pathlib import Path

    from django.conf import settings as django_settings

    spool_dir = Path(django_settings.FILE_UPLOAD_TEMP_DIR)
    assert spool_dir.is_relative_to(django_settings.DATA_DIR)
    assert spool_dir.is_dir() and spool_dir.stat().st_mode & 0o077 == 0
