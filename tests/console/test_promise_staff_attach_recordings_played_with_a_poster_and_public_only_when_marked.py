"""Promise: staff attach a recording or a video to a report from the console; the worker cleans it
as it does the public form's. The console plays it (<video controls> with a still-frame poster,
<audio controls>); the public report page plays it only once staff mark it public, and its poster
is served to the public only then. The original as sent is kept only when the operator asks
(TESTIGO_MEDIA_KEEP_ORIGINALS), sealed to the tip-line key, is downloaded and never played, and
only by those who may take evidence packages and hold that key (tests/reports/
test_promise_a_recordings_original_is_sealed_to_the_tip_line_key.py); an analyst (read only) cannot attach anything."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import HeldRecording, Media
from tests.reports.conftest import PHONE_TAGS, generate, require_tools


@pytest.fixture(autouse=True)
def _tools():
    require_tools("ffmpeg", "ffprobe")


@pytest.fixture
def video(tmp_path) -> bytes:
    return generate(tmp_path, "clip.mov", "-f", "lavfi", "-i", "testsrc=s=320x180:r=15:d=2", "-f", "lavfi",
                    "-i", "sine=d=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                    "-f", "mov", *PHONE_TAGS)


@pytest.fixture
def audio(tmp_path) -> bytes:
    return generate(tmp_path, "nota.ogg", "-f", "lavfi", "-i", "sine=f=300:d=2", "-c:a", "libopus", *PHONE_TAGS)


def attach(client, report, *files):
    return client.post(f"/console/r/{report.reference}/recordings/",
                       {"recordings": [SimpleUploadedFile(name, data) for name, data in files]})


def test_promise_staff_attach_and_the_console_plays_them_with_a_poster(client_as, report_factory, video, audio):
    editor = client_as(roles.MODERATOR)
    report = report_factory()
    response = attach(editor, report, ("clip.mov", video), ("nota.ogg", audio))
    assert response.status_code == 302
    clip = report.media.get(kind="video")
    note = report.media.get(kind="audio")
    assert clip.sha256 == hashlib.sha256(video).hexdigest() and clip.processed_sha256 and clip.poster
    assert not clip.original  # originals are dropped unless the operator keeps them
    page = editor.get(f"/console/r/{report.reference}/").content.decode()
    assert (f'<video controls preload="metadata" src="/console/media/{clip.id}/" '
            f'poster="/console/media/{clip.id}/poster.jpg"') in page
    assert f'<audio controls preload="none" src="/console/media/{note.id}/">' in page
    assert clip.processed_sha256[:16] in page
    poster = editor.get(f"/console/media/{clip.id}/poster.jpg")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    assert b"".join(poster.streaming_content).startswith(b"\xff\xd8")
    # The moderator attached them: the audit trail says who.
    from testigo.core.models import AuditEvent

    held = AuditEvent.objects.filter(action="report.recording_held", object_id=str(report.pk))
    assert [e.actor_id for e in held] == [editor.user.pk, editor.user.pk]
    added = AuditEvent.objects.filter(action="report.media_added", object_id=str(report.pk))
    assert {e.data["processed_sha256"] for e in added} == {clip.processed_sha256, note.processed_sha256}


def test_promise_the_public_sees_and_plays_a_video_only_once_marked_public(client_as, report_factory, video, client,
                                                                            admin_user):
    admin = client_as(roles.ADMIN)
    report = report_factory()
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    attach(admin, report, ("clip.mov", video))
    clip = report.media.get()
    page = client.get(f"/r/{report.reference}/").content.decode()
    assert "<video" not in page
    assert client.get(f"/media/p/{clip.id}/poster.jpg").status_code == 404
    assert client.get(f"/media/p/{clip.id}/").status_code == 404

    admin.post(f"/console/r/{report.reference}/media/{clip.id}/public/", {"public": "1"})
    page = client.get(f"/r/{report.reference}/").content.decode()
    assert (f'<video controls preload="metadata" src="/media/p/{clip.id}/" poster="/media/p/{clip.id}/poster.jpg" '
            'width="320" height="180">') in page
    assert client.get(f"/media/p/{clip.id}/poster.jpg").status_code == 200
    assert client.get(f"/media/p/{clip.id}/").status_code == 200


def test_promise_the_original_is_kept_only_when_asked_and_only_evidence_roles_download_it(
        client_as, report_factory, video, settings, client, monkeypatch):
    settings.MEDIA_KEEP_ORIGINALS = True
    admin, moderator = client_as(roles.ADMIN), client_as(roles.MODERATOR)
    # Originals are sealed to the tip-line key: the administrator holds it, unlocked at login.
    import nacl.pwhash

    from testigo.tipline import crypto, vault
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)
    vault.initialise(user=admin.user, password="correct horse battery")
    admin.post("/console/login/", {"username": admin.user.username, "password": "correct horse battery"})
    report = report_factory()
    attach(moderator, report, ("clip.mov", video))
    clip = report.media.get()
    assert clip.original
    assert moderator.get(f"/console/media/{clip.id}/original/").status_code == 404
    assert "/original/" not in moderator.get(f"/console/r/{report.reference}/").content.decode()
    assert f"/console/media/{clip.id}/original/" in admin.get(f"/console/r/{report.reference}/").content.decode()
    response = admin.get(f"/console/media/{clip.id}/original/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(response.content).hexdigest() == clip.sha256
    # The evidence package carries it, and its sha256 is the one the report lists as the original's.
    import io
    import json
    import zipfile

    from testigo.reports import evidence, recordings

    package = zipfile.ZipFile(io.BytesIO(b"".join(evidence.evidence_zip(
        reports=[report], actor=admin.user, unseal=recordings.original_opener(response.wsgi_request)).stream())))
    (entry,) = json.loads(package.read(f"reports/{report.reference}.json"))["media"]
    original = package.read(entry["original_file"].removeprefix("../"))
    assert hashlib.sha256(original).hexdigest() == entry["sha256_original"] == clip.sha256
    stored = package.read(entry["file"].removeprefix("../"))
    assert hashlib.sha256(stored).hexdigest() == entry["sha256_stored"] == clip.processed_sha256
    # Never public, even once the clip is.
    clip.is_public = True
    clip.save()
    assert client.get(f"/console/media/{clip.id}/original/").status_code == 302  # to the login page


def test_promise_a_viewer_cannot_attach_and_an_empty_post_says_what_to_do(client_as, report_factory):
    report = report_factory()
    analyst = client_as(roles.ANALYST)  # reads, never edits
    assert attach(analyst, report, ("x.mp3", b"ID3" + b"\0" * 100)).status_code == 403
    editor = client_as(roles.MODERATOR)
    response = editor.post(f"/console/r/{report.reference}/recordings/", {})
    assert response.status_code == 200
    assert "Choose a recording or a video to attach." in response.content.decode()
    assert not HeldRecording.objects.exists() and not Media.objects.exists()
