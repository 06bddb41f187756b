"""Promise: a recording or video still waiting for the worker when staff merge its report into
another lands on the report it was merged into, like the files already stored."""

from __future__ import annotations

import pytest

from testigo.reports import recordings, services
from tests.public.conftest import QueueSpy
from tests.reports.conftest import generate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ffmpeg_tools")]


def test_a_waiting_recording_lands_on_the_merge_target(report_factory, admin_user, monkeypatch, tmp_path):
    note = generate(tmp_path, "nota.ogg", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "libopus")
    duplicate, target = report_factory(), report_factory()
    queue = QueueSpy(monkeypatch)
    recordings.hold_recordings(report=duplicate, files=[("nota.ogg", note)])
    services.merge(duplicate=duplicate, into=target, actor=admin_user)
    queue.run()
    assert [m.kind for m in target.media.all()] == ["audio"]
    assert not duplicate.media.exists() and not duplicate.held_recordings.exists()
