"""Promise: every backup made, read back, restored or failed leaves an audit event
(backup.created, backup.verified, backup.restored, backup.failed) naming the archive's file
name only, never a path outside the backup directory or a secret; a restore writes its event
into the restored trail, after the archive's own events, and that trail still verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from testigo.core import audit
from testigo.core.backups import crypto, services
from testigo.core.models import AuditEvent
from testigo.reports import services as report_services
from tests.core import backup_kit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]

PASSPHRASE = "seven long words for the backup"
KEY = crypto.Key(passphrase=PASSPHRASE)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch)


@pytest.fixture
def report(admin_user):
    return report_services.create_report(title="Robo", description="En la parada de buses", lat=14.07,
                                         lon=-87.19, actor=admin_user)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def assert_no_path_or_secret(event: AuditEvent, *secrets: str) -> None:
    text = json.dumps(event.data)
    assert "/" not in json.dumps({k: v for k, v in event.data.items() if k != "sha256"}), event.data
    for secret in secrets:
        assert secret not in text


def test_a_backup_read_back_leaves_created_and_verified_events(report, settings, tmp_path):
    run = services.check_run(services.create(to_dir=tmp_path / "backups", key=KEY), KEY)
    (created,), (verified,) = events("backup.created"), events("backup.verified")
    assert created.data["file"] == Path(run.path).name and created.data["size"] == run.size
    assert created.actor_name == "system" and created.object_id == str(run.pk)
    assert verified.data == {"file": Path(run.path).name, "decrypted": True} and verified.seq > created.seq
    for event in (created, verified):
        assert_no_path_or_secret(event, PASSPHRASE, settings.SECRET_KEY, str(tmp_path))
    assert audit.action_label("backup.verified") == "Backup read back and found whole"
    assert audit.object_label(created.object_type, created.object_id) == f"Backup {run.pk}"
    assert audit.verify().ok


def test_failures_leave_a_failed_event_without_paths(report, settings, tmp_path):
    settings.BACKUP_DIR, settings.BACKUP_PUBLIC_KEY, settings.BACKUP_PASSPHRASE_FILE = str(tmp_path / "b"), "", ""
    services.run_scheduled()  # no key configured
    run = services.create(to_dir=tmp_path / "b", key=KEY)
    with open(run.path, "r+b") as handle:  # a byte changed on the backup disk
        handle.seek(200)
        handle.write(b"\x00\x01\x02")
    services.check_run(run, KEY)
    with pytest.raises(Exception, match="Permission denied|Not a directory|File exists"):
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("")
        call_command("backup", "--to", str(blocker / "sub"), "--passphrase-file", _passphrase_file(tmp_path))
    failed = events("backup.failed")
    assert [e.data["stage"] for e in failed] == ["create", "verify", "create"]
    assert "TESTIGO_BACKUP_PUBLIC_KEY" in failed[0].data["reason"]
    assert failed[1].data["file"] == Path(run.path).name and failed[1].object_id == str(run.pk)
    for event in failed:
        assert_no_path_or_secret(event, PASSPHRASE, str(tmp_path))
    assert audit.verify().ok


def _passphrase_file(tmp_path) -> str:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE)
    return str(path)


def test_a_restore_is_the_last_event_of_the_restored_trail_which_still_verifies(report, settings, tmp_path):
    run = services.create(to_dir=tmp_path / "b", key=KEY)
    archived = list(AuditEvent.objects.order_by("seq").values_list("seq", "action", "hash"))[:-1]  # before "created"
    report_services.create_report(title="Después", description="No está en la copia", lat=14.0, lon=-87.0,
                                  actor=None)
    backup_kit.wipe(settings)
    services.restore(Path(run.path), KEY)
    trail = list(AuditEvent.objects.order_by("seq"))
    assert [(e.seq, e.action, e.hash) for e in trail[:-1]] == archived
    restored = trail[-1]
    assert restored.action == "backup.restored" and restored.prev_hash == archived[-1][2]
    assert restored.data["file"] == Path(run.path).name and restored.data["format"] == services.FORMAT
    assert_no_path_or_secret(restored, PASSPHRASE, settings.SECRET_KEY, str(tmp_path))
    check = audit.verify()
    assert check.ok and check.head_hash == restored.hash, check.problems
