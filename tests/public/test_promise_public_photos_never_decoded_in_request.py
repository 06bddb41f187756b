"""Promise: no public upload can occupy a web worker for more than about a second.

A noisy 40-megapixel PNG took ~61 s to re-encode inside the request (timeout, SIGKILL, 500;
two of them made every page wait a minute). Now the request reads only each photo's header;
the worker decodes and re-encodes it (reports/photos.py). Asserted as behaviour, not as time:
the request never runs Pillow's full decode, and a header claiming too many pixels is refused
with a clear message before any byte of pixel data is read.
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.reports import media as media_module
from testigo.reports.models import Media, Report
from tests.public.conftest import DecodeSpy, QueueSpy, huge_png

URL = "/report/"


def _post(client, form_data, name: str, data: bytes, content_type: str):
    return client.post(URL, {**form_data, "photos": [SimpleUploadedFile(name, data, content_type=content_type)]})


def test_promise_report_form_request_never_decodes_a_photo(en_client, form_data, make_image, monkeypatch):
    photo = make_image("PNG", (64, 48))
    queue, decodes = QueueSpy(monkeypatch), DecodeSpy(monkeypatch)
    response = _post(en_client, form_data, "foto.png", photo, "image/png")
    assert response.status_code == 302
    assert decodes.calls == 0, "the request decoded the photo's pixels"
    assert Report.objects.count() == 1 and not Media.objects.exists()
    assert len(queue.tasks) == 1  # the worker's job

    queue.run()  # the worker: decodes, re-encodes, attaches
    assert decodes.calls > 0
    media = Media.objects.get()
    assert (media.width, media.height, media.content_type) == (64, 48, "image/png")


def test_promise_photo_waits_encrypted_and_is_deleted_once_processed(en_client, form_data, monkeypatch):
    from tests.public.conftest import padded_jpeg

    queue = QueueSpy(monkeypatch)
    photo, needle = padded_jpeg(4096)
    assert _post(en_client, form_data, "foto.jpg", photo, "image/jpeg").status_code == 302
    _dirs, held = default_storage.listdir("quarantine")
    assert len(held) == 1
    with default_storage.open(f"quarantine/{held[0]}", "rb") as handle:
        stored = handle.read()
    assert needle not in stored and photo[:64] not in stored  # ciphertext, not the original

    queue.run()
    assert default_storage.listdir("quarantine")[1] == []
    assert Media.objects.count() == 1


@pytest.mark.parametrize("width, height", [(7000, 7000), (60000, 60000)])
def test_promise_decompression_bomb_is_refused_from_its_header(en_client, form_data, monkeypatch, width, height):
    """49 Mpx (over our 40) and 3.6 gigapixels (over Pillow's own bomb limit), each a few bytes."""
    queue, decodes = QueueSpy(monkeypatch), DecodeSpy(monkeypatch)
    response = _post(en_client, form_data, "bomba.png", huge_png(width, height), "image/png")
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [
        "“bomba.png” has too many pixels (at most 40 million). Please send a smaller copy of the picture."]
    assert decodes.calls == 0 and queue.tasks == [] and not Report.objects.exists()


def test_promise_bomb_message_is_translated(client, form_data):
    """The deployment language (Spanish) gets the message through gettext, not a hard-coded text."""
    from django.utils import translation

    calls = []
    original = media_module._

    def spy(message):
        calls.append(message)
        return original(message)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(media_module, "_", spy)
        response = _post(client, form_data, "bomba.png", huge_png(7000, 7000), "image/png")
    assert translation.get_language() == "es"
    assert "“%(name)s” has too many pixels (at most %(max)s million). Please send a smaller copy of the picture." in calls
    assert response.context["form"].errors["photos"]


def test_photo_the_worker_refuses_is_dropped_and_recorded(en_client, form_data, monkeypatch):
    """A header that looks right over data that does not decode: refused by the worker, audited."""
    from testigo.core.models import AuditEvent

    queue = QueueSpy(monkeypatch)
    broken = huge_png(64, 48)  # a valid header, but its pixel data is far too short
    assert _post(en_client, form_data, "rota.png", broken, "image/png").status_code == 302
    queue.run()
    assert not Media.objects.exists()
    assert AuditEvent.objects.filter(action="report.media_refused").count() == 1
    assert default_storage.listdir("quarantine")[1] == []


def test_worker_decodes_a_large_jpeg_at_reduced_scale(monkeypatch, make_image):
    """The JPEG draft mode keeps the worker's cost bounded too (decoding at 1/2, 1/4 or 1/8)."""
    monkeypatch.setattr(media_module, "DRAFT_PIXELS", 100 * 100)
    clean = media_module.sanitise_image(name="grande.jpg", data=make_image("JPEG", (400, 400)))
    assert (clean.width, clean.height) == (100, 100)


def test_held_photos_whose_job_was_lost_are_purged(db, settings):
    from datetime import timedelta

    from django.core.files.base import ContentFile

    from testigo.reports import photos

    default_storage.save("quarantine/orphan", ContentFile(b"ciphertext"))
    assert photos.purge_stale_held_photos() == 0  # recent: its job may still run
    assert photos.purge_stale_held_photos(older_than=timedelta(seconds=-1)) == 1
    assert default_storage.listdir("quarantine")[1] == []
