"""Promise 7: retention — inactive tips are purged for good unless staff keep them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from testigo.tipline import services, storage, tasks
from testigo.tipline.models import Source, TipFile, TipMessage


def _age(days: int) -> None:
    Source.objects.update(last_activity=timezone.now() - timedelta(days=days))


def test_inactive_tips_are_purged_with_their_files(tip_admin, settings, tl):
    services.submit_tip(body="old", files=[("p.jpg", tl.gps_jpeg()), ("doc.txt", b"text")], language="en")
    paths = [p for pair in TipFile.objects.values_list("view_path", "original_path") for p in pair if p]
    assert len(paths) == 2 and all((storage.root() / p).exists() for p in paths)
    _age(settings.TIP_RETENTION_DAYS + 1)
    assert services.purge_expired() == 1
    assert not Source.objects.exists() and not TipMessage.objects.exists() and not TipFile.objects.exists()
    assert not any((storage.root() / p).exists() for p in paths)


def test_shred_overwrites_before_unlinking(tmp_path, settings):
    name = storage.write(b"ciphertext bytes")
    path = storage.root() / name
    inode_data = []
    real_unlink = type(path).unlink

    def watch(self, *a, **kw):
        inode_data.append(self.read_bytes())
        real_unlink(self, *a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(type(path), "unlink", watch)
    try:
        storage.shred(name)
    finally:
        mp.undo()
    assert inode_data and inode_data[0] != b"ciphertext bytes" and len(inode_data[0]) == len(b"ciphertext bytes")
    assert not path.exists()


def test_recent_and_kept_tips_are_not_purged(tip_admin, settings):
    services.submit_tip(body="recent", files=[], language="en")
    services.submit_tip(body="kept", files=[], language="en")
    _age(settings.TIP_RETENTION_DAYS + 30)
    kept = Source.objects.order_by("pk").last()
    services.set_keep(actor=tip_admin, tip=kept.tip, keep=True)
    recent = Source.objects.order_by("pk").first()
    Source.objects.filter(pk=recent.pk).update(last_activity=timezone.now() - timedelta(days=settings.TIP_RETENTION_DAYS - 1))
    assert services.purge_expired() == 0
    assert Source.objects.count() == 2


def test_retention_days_are_configurable(tip_admin, settings):
    settings.TIP_RETENTION_DAYS = 7
    services.submit_tip(body="x", files=[], language="en")
    _age(8)
    assert services.purge_expired() == 1


def test_purge_runs_daily_and_from_the_command_line(tip_admin, settings, capsys):
    from datetime import datetime

    from huey.contrib.djhuey import HUEY

    periodic = [t for t in HUEY._registry.periodic_tasks if t.name.endswith("purge_expired_tips")]
    assert len(periodic) == 1
    runs = [h for h in range(24) if periodic[0].validate_datetime(datetime(2026, 1, 1, h, 17))]
    assert len(runs) == 1  # once a day
    services.submit_tip(body="x", files=[], language="en")
    _age(settings.TIP_RETENTION_DAYS + 1)
    call_command("tipline", "purge")
    assert "Purged 1" in capsys.readouterr().out
    services.submit_tip(body="y", files=[], language="en")
    _age(settings.TIP_RETENTION_DAYS + 1)
    assert tasks.purge_expired_tips.call_local() == 1
