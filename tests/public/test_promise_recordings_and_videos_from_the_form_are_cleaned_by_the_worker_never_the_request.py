"""Promise: a recording or a video attached on the public report form reaches staff as a file
every browser plays, with no tag the phone wrote (no place, date, device or name), a still frame
for a video, and the sha256 of the file as sent and as stored — and all of it is done by the
worker, never by the request. The request checks count, size and the first bytes only; a body
larger than the form accepts (a 2 GB video) is refused from its Content-Length before a byte of
it is read; a damaged file becomes a message on the report for staff, not a crash."""

from __future__ import annotations

import hashlib
import io
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.reports.models import HeldRecording, Media, Report
from tests.public.conftest import QueueSpy
from tests.reports.conftest import PHONE_TAGS, ffprobe, generate, leftover_tags, require_tools

URL = "/report/"
GB = 1024 ** 3


@pytest.fixture(autouse=True)
def _tools():
    require_tools("ffmpeg", "ffprobe")


@pytest.fixture
def video(tmp_path) -> bytes:
    """Two seconds of a test pattern with a tone, tagged as a phone tags it (place, date, device)."""
    return generate(tmp_path, "VID-20261101-WA0003.mp4", "-f", "lavfi", "-i", "testsrc=s=320x240:r=15:d=2",
                    "-f", "lavfi", "-i", "sine=f=440:d=2", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", "-shortest", *PHONE_TAGS)


@pytest.fixture
def voice_note(tmp_path) -> bytes:
    return generate(tmp_path, "nota.m4a", "-f", "lavfi", "-i", "sine=f=220:d=3", "-c:a", "aac", "-f", "ipod",
                    *PHONE_TAGS)


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_promise_the_request_only_holds_the_files_encrypted_and_the_worker_cleans_them(
        en_client, form_data, video, voice_note, tmp_path, monkeypatch):
    queue = QueueSpy(monkeypatch)
    ran = []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a) or real_run(*a, **k))
    response = en_client.post(URL, {**form_data, "recordings": [upload("VID-20261101-WA0003.mp4", video, "video/mp4"),
                                                                 upload("nota.m4a", voice_note, "audio/mp4")]})
    assert response.status_code == 302
    assert ran == [], "the request ran ffmpeg or ffprobe"
    report = Report.objects.get()
    assert not Media.objects.exists()
    assert [(h.position, h.status) for h in HeldRecording.objects.all()] == [(1, "pending"), (2, "pending")]
    _dirs, held = default_storage.listdir("quarantine")
    assert len(held) == 2
    for name in held:
        with default_storage.open(f"quarantine/{name}", "rb") as handle:
            stored = handle.read()
        assert b"SM-A515F" not in stored and b"Tegucigalpa" not in stored  # ciphertext, not the original

    queue.run()  # the worker
    assert not HeldRecording.objects.exists() and default_storage.listdir("quarantine")[1] == []
    clip, note = report.media.order_by("id")
    assert (clip.kind, clip.content_type, note.kind, note.content_type) == ("video", "video/mp4", "audio", "audio/mpeg")
    assert clip.sha256 == hashlib.sha256(video).hexdigest() and note.sha256 == hashlib.sha256(voice_note).hexdigest()
    for media in (clip, note):
        content = media.file.read()
        assert media.processed_sha256 == hashlib.sha256(content).hexdigest() != media.sha256
        assert leftover_tags(ffprobe(content, tmp_path)) == {}
        assert b"Tegucigalpa" not in content and b"samsung" not in content
        assert not media.original and not media.is_public
    assert clip.duration_s == pytest.approx(2, abs=0.5) and (clip.width, clip.height) == (320, 240)
    poster = clip.poster.read()
    from PIL import Image

    with Image.open(io.BytesIO(poster)) as still:
        assert still.format == "JPEG" and still.size == (320, 240)
        assert not still.getexif() and "comment" not in still.info
    assert not note.poster


def test_promise_a_damaged_video_fails_in_the_worker_with_a_message_staff_read(
        en_client, form_data, video, client, admin_user):
    damaged = video[:64] + bytes(range(256)) * 40  # an MP4's first box, then noise
    response = en_client.post(URL, {**form_data, "recordings": [upload("roto.mp4", damaged, "video/mp4")]})
    assert response.status_code == 302  # the worker ran (jobs are immediate here) and did not crash
    held = HeldRecording.objects.get()
    assert held.status == "failed" and "damaged" in held.error
    assert not Media.objects.exists() and default_storage.listdir("quarantine")[1] == []
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    page = client.get(f"/console/r/{held.report.reference}/").content.decode()
    assert "Recording or video 1" in page and "Could not be processed" in page
    assert "looks like a sound or video file but is damaged" in page


def test_promise_an_unexpected_failure_in_the_worker_is_a_message_not_a_crash(en_client, form_data, voice_note,
                                                                                monkeypatch):
    from testigo.reports import avmedia

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(avmedia, "sanitise_media", broken)
    assert en_client.post(URL, {**form_data, "recordings": [upload("n.m4a", voice_note, "audio/mp4")]}).status_code == 302
    held = HeldRecording.objects.get()
    assert held.status == "failed" and "unexpected error" in held.error


class CountingInput:
    """A request body that records how much of it is read (the upload would be 2 GB)."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = b"\0" * (65536 if size is None or size < 0 else min(size, 65536))
        self.read_bytes += len(chunk)
        return chunk

    readline = read


@pytest.mark.parametrize("path", [URL, "/console/r/{reference}/recordings/"])
def test_promise_a_2_gb_upload_is_refused_before_it_is_read(path, en_client, admin_user, report_factory):
    report = report_factory()
    en_client.force_login(admin_user)
    body = CountingInput()
    response = en_client.generic("POST", path.format(reference=report.reference), b"x",
                                 content_type="multipart/form-data; boundary=BoUnDaRy",
                                 **{"CONTENT_LENGTH": str(2 * GB), "wsgi.input": body})
    assert response.status_code == 400
    assert body.read_bytes == 0
    assert Report.objects.count() == 1 and not HeldRecording.objects.exists()


def test_promise_the_form_refuses_too_many_too_large_or_non_recordings_unread_by_ffmpeg(
        en_client, form_data, video, make_image, settings):
    settings.MEDIA_UPLOAD_MAX_FILES = 1
    response = en_client.post(URL, {**form_data, "recordings": [upload("a.mp4", video, "video/mp4"),
                                                                 upload("b.mp4", video, "video/mp4")]})
    assert response.status_code == 200
    assert response.context["form"].errors["recordings"] == ["Attach at most 1 recordings or videos (you attached 2)."]
    settings.MEDIA_UPLOAD_MAX_MB = 1
    big = video + b"\0" * (1024 * 1024)
    response = en_client.post(URL, {**form_data, "recordings": [upload("grande.mp4", big, "video/mp4")]})
    assert response.context["form"].errors["recordings"] == ["“grande.mp4” is larger than the limit of 1 MB."]
    response = en_client.post(URL, {**form_data, "recordings": [upload("foto.mp4", make_image("PNG"), "video/mp4")]})
    assert response.context["form"].errors["recordings"][0].startswith("“foto.mp4” is not a sound or video file")
    assert not Report.objects.exists() and not HeldRecording.objects.exists()
