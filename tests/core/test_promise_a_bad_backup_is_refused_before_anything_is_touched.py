"""Promise: a backup that is damaged (a byte changed in the middle), cut short, opened with the
wrong passphrase, made by a newer Testigo, or aimed at a target that holds data (another
deployment's backup never restores over data, even with --force) is refused with a message that
says which, and nothing in the database, media or tip-line directories has changed."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from testigo.core.backups import crypto, services
from testigo.core.models import AuditEvent, Deployment
from testigo.reports import services as report_services
from testigo.reports.models import Media, Report
from tests.core import backup_kit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSPHRASE = "seven long words for the backup"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch)
    # Big enough to span several 1 MiB chunks, so "the middle" is inside the stream, not its header.
    monkeypatch.setattr(crypto, "CHUNK", 4096)


@pytest.fixture
def archive(admin_user, tmp_path) -> Path:
    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, "JPEG", quality=95)
    report_services.create_report(title="Flooded bridge", description="Water over the road", lat=14.07, lon=-87.19,
                                  photos=[("bridge.jpg", out.getvalue())], actor=admin_user)
    run = services.create(to_dir=tmp_path / "backups", key=crypto.Key(passphrase=PASSPHRASE))
    return Path(run.path)


def state(settings) -> tuple:
    """What a refused restore must leave as it was, and no staging directory left behind."""
    files = sorted((str(p), p.read_bytes()) for p in Path(settings.DATA_DIR).rglob("*") if p.is_file()
                   and p.name != "restored-settings.json")
    return (list(Report.objects.values_list("reference", "title")), Media.objects.count(),
            list(AuditEvent.objects.values_list("hash", flat=True)), services.deployment_id(), files,
            sorted(p.name for p in Path(settings.DATA_DIR).iterdir()))


def refused(path: Path, settings, *, key=None, force: bool = True) -> str:
    """Restore (with --force, the strongest request) must raise; return its message."""
    before = state(settings)
    with pytest.raises(crypto.BackupError) as refusal:
        services.restore(path, key or crypto.Key(passphrase=PASSPHRASE), force=force)
    assert state(settings) == before
    return str(refusal.value)


def test_the_archive_itself_is_fine(archive):
    assert services.verify(archive, crypto.Key(passphrase=PASSPHRASE))["files"]


def test_a_byte_changed_in_the_middle_is_refused_naming_where(archive, settings, tmp_path):
    damaged = tmp_path / "damaged.backup"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    with pytest.raises(crypto.Damaged, match="fails its authentication"):
        services.verify(damaged, crypto.Key(passphrase=PASSPHRASE))
    assert "damaged" in refused(damaged, settings)


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_a_truncated_archive_is_refused(archive, settings, tmp_path, keep):
    cut = tmp_path / "cut.backup"
    data = archive.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    assert "truncated" in refused(cut, settings)


def test_bytes_added_after_the_end_are_refused(archive, settings, tmp_path):
    longer = tmp_path / "longer.backup"
    longer.write_bytes(archive.read_bytes() + b"\0" * 10)
    assert "after its end mark" in refused(longer, settings)


def test_a_file_that_is_not_a_backup_is_refused(settings, tmp_path, admin_user):
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 5000)
    assert "not a Testigo backup" in refused(other, settings)


def test_the_wrong_passphrase_or_key_is_said_plainly(archive, settings):
    assert "Wrong passphrase" in refused(archive, settings, key=crypto.Key(passphrase="not the passphrase at all"))
    private, _public = crypto.new_keypair()
    assert "made with a passphrase" in refused(archive, settings, key=crypto.Key(private_key=crypto.decode_key(private)))


def test_a_backup_from_a_newer_schema_is_refused(admin_user, settings, tmp_path, monkeypatch):
    real = services._applied_migrations
    monkeypatch.setattr(services, "_applied_migrations", lambda: [*real(), ["core", "9999_from_the_future"]])
    run = services.create(to_dir=tmp_path / "b", key=crypto.Key(passphrase=PASSPHRASE))
    monkeypatch.undo()
    message = refused(Path(run.path), settings)
    assert "newer" in message and "core.9999_from_the_future" in message


def test_a_target_holding_data_is_refused_without_force(archive, settings):
    assert "not empty" in refused(archive, settings, force=False)


def test_another_deployments_backup_never_restores_over_data(archive, settings):
    Deployment.objects.update(uuid=uuid.uuid4())  # this server is now another deployment
    assert "another deployment" in refused(archive, settings)


def test_the_restore_command_exits_with_the_reason(archive, settings, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("a wrong passphrase, long enough")
    with pytest.raises(CommandError, match="Wrong passphrase"):
        call_command("restore", str(archive), "--passphrase-file", str(passphrase_file), "--force")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), "--passphrase-file", str(passphrase_file))


def test_a_pg_dump_older_than_the_server_is_refused_naming_both(monkeypatch):
    from django.db import connections

    from testigo.core.backups import database

    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (TESTIGO_DATABASE_URL)")
    connection.ensure_connection()
    monkeypatch.setitem(connection.__dict__, "pg_version", 170002)
    with pytest.raises(crypto.BackupError, match=r"pg_dump \d+ is older than the PostgreSQL 17 server"):
        database.dump(Path("/nonexistent"))
