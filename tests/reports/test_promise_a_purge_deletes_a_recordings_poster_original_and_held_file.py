"""Promise: purging a report deletes everything of its recordings and videos from storage: the
clean copy, the video's still frame, the original kept for evidence (which still carries the
phone's place and device tags) and the encrypted file of one still waiting for the worker."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from testigo.reports import recordings, retention
from testigo.reports.models import HeldRecording
from testigo.tipline import crypto, vault
from tests.public.conftest import QueueSpy
from tests.reports.conftest import PHONE_TAGS, generate
from tests.reports.retention_kit import age, make_policy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ffmpeg_tools")]


def test_a_purge_leaves_no_file_of_a_recording(report_factory, admin_user, settings, tmp_path, monkeypatch,
                                               django_capture_on_commit_callbacks):
    settings.MEDIA_KEEP_ORIGINALS = True  # kept sealed to the tip-line key: there must be one
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", crypto.nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", crypto.nacl.pwhash.argon2id.MEMLIMIT_MIN)
    vault.initialise(user=admin_user, password="correct horse battery")
    clip = generate(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=1", "-c:v", "libx264",
                    "-preset", "ultrafast", *PHONE_TAGS)
    report = report_factory()
    recordings.hold_recordings(report=report, files=[("clip.mp4", clip)])  # jobs are immediate here
    media = report.media.get()
    queue = QueueSpy(monkeypatch)
    (waiting,) = recordings.hold_recordings(report=report, files=[("clip.mp4", clip)])  # queued, not run
    names = [media.file.name, media.poster.name, media.original.name, waiting.held]
    assert all(names) and all(default_storage.exists(name) for name in names)
    age(report, days=400)

    with django_capture_on_commit_callbacks(execute=True):
        retention.apply_policy(policy=make_policy(days=365, statuses=["new"], confirm=True), actor=admin_user)

    assert [name for name in names if default_storage.exists(name)] == []
    assert not HeldRecording.objects.exists()
    queue.run()  # the job finds nothing to do: no crash, nothing stored
    assert not default_storage.exists(waiting.held)
