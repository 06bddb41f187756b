"""Promise: `testigo backup` then `testigo restore` into an empty database and data directory gives
back every report, every media file byte for byte, every audit event (the hash chain still
verifies, with the same head) and every tip (opened with the staff password, as before) — on
SQLite and on PostgreSQL (TESTIGO_DATABASE_URL). Archives are encrypted to a passphrase or sealed
to a public key; scheduled backups keep a retention count; admins see them in the console."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from PIL import Image

from testigo.core import audit, roles
from testigo.core.backups import crypto, database, services
from testigo.core.models import AuditEvent, BackupRun
from testigo.reports import services as report_services
from testigo.reports.models import Media, Report
from testigo.tipline import crypto as tip_crypto
from testigo.tipline import selectors as tip_selectors
from testigo.tipline import services as tip_services
from testigo.tipline import vault
from testigo.tipline.models import Tip, TipFile
from tests.core import backup_kit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]

PASSWORD = "correct horse battery"
PASSPHRASE = "seven long words for the backup"
TIP_TEXT = "The mayor's brother keeps the ledger in the church"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch, tip_crypto)


def jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(admin_user):
    """Reports with photos, their audit events, and a tip with a file, behind the vault."""
    vault.initialise(user=admin_user, password=PASSWORD)
    for i in range(3):
        report_services.create_report(title=f"Report {i}", description=f"What happened {i}", lat=14.07,
                                      lon=-87.19, reporter_contact=f"+5049000000{i}",
                                      photos=[(f"p{i}.jpg", jpeg((60 * i, 20, 200)))], actor=admin_user)
    tip_services.submit_tip(body=TIP_TEXT, language="en", files=[("ledger.pdf", b"%PDF-1.4 ledger pages")])
    return snapshot()


def snapshot() -> dict:
    check = audit.verify()
    assert check.ok, check.problems
    return {
        "reports": sorted(Report.objects.values_list("reference", "title", "description", "reporter_contact")),
        "media": {m.file.name: m.file.open("rb").read() for m in Media.objects.all()},
        "audit": list(AuditEvent.objects.order_by("seq").values_list("seq", "action", "hash")),
        "head": check.head_hash,
        "tip_files": sorted(p.name for p in Path(django_settings.TIP_STORAGE_DIR).iterdir()),
    }


def wipe(settings) -> None:
    """A new machine: no database tables, no media, no tip-line files."""
    backup_kit.wipe(settings)
    assert services.target_is_empty()


def assert_everything_is_back(before: dict, admin_username: str) -> None:
    after = snapshot()  # the audit chain verifies (snapshot asserts it)
    # The archive's chain is back whole, with the restore's own event appended to it.
    restored_event = after["audit"].pop()
    assert restored_event[:2] == (len(before["audit"]) + 1, "backup.restored")
    assert after["audit"][-1][2] == before["head"] and after.pop("head") != before["head"]
    assert after == {k: v for k, v in before.items() if k != "head"}  # reports, media bytes, events, sealed files
    staff = get_user_model().objects.get(username=admin_username)
    org_private = vault._unwrap_for(staff, PASSWORD)
    tip = Tip.objects.get()
    messages = tip_selectors.conversation_for_staff(staff, org_private=org_private, tip=tip)
    assert [m.body for m in messages] == [TIP_TEXT]
    name, _type, data = tip_selectors.file_for_staff(staff, org_private=org_private,
                                                     file_id=TipFile.objects.get().pk, original=False)
    assert (name, data) == ("ledger.pdf", b"%PDF-1.4 ledger pages")


def test_a_passphrase_backup_restores_every_report_media_file_audit_event_and_tip(world, admin_user, settings,
                                                                                  tmp_path):
    key = crypto.Key(passphrase=PASSPHRASE)
    run = services.create(to_dir=tmp_path / "backups", key=key)
    manifest = services.verify(Path(run.path), key)
    assert manifest["deployment"] == services.deployment_id() and manifest["database"] == database.kind()
    assert manifest["schema"]["core"] == MigrationLoader(None).graph.leaf_nodes("core")[0][1]
    assert {f["path"].split("/")[0] for f in manifest["files"]} >= {"database", "media", "tipline"}
    # What leaves the server is ciphertext: no report text, contact or photo in the archive's bytes.
    archive = Path(run.path).read_bytes()
    assert b"What happened" not in archive and b"+50490000000" not in archive and b"JFIF" not in archive

    wipe(settings)
    result = services.restore(Path(run.path), key)
    assert result.files == len(manifest["files"])
    assert_everything_is_back(world, admin_user.username)
    assert services.deployment_id() == manifest["deployment"]  # the restored deployment keeps its identity


def test_an_archive_sealed_to_a_public_key_needs_the_private_key_to_restore(world, admin_user, settings, tmp_path):
    private, public = crypto.new_keypair()
    run = services.create(to_dir=tmp_path / "backups", key=crypto.Key(public_key=crypto.decode_key(public)))
    with pytest.raises(crypto.WrongKey):
        services.verify(Path(run.path), crypto.Key(passphrase=PASSPHRASE))
    other_private, _other_public = crypto.new_keypair()
    with pytest.raises(crypto.WrongKey):
        services.verify(Path(run.path), crypto.Key(private_key=crypto.decode_key(other_private)))

    wipe(settings)
    services.restore(Path(run.path), crypto.Key(private_key=crypto.decode_key(private)))
    assert_everything_is_back(world, admin_user.username)


def test_the_commands_back_up_verify_and_restore(world, admin_user, settings, tmp_path, capsys):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    call_command("backup", "--to", str(tmp_path / "out"), "--passphrase-file", str(passphrase_file))
    (archive,) = (tmp_path / "out").iterdir()
    call_command("backup", "--verify", str(archive), "--passphrase-file", str(passphrase_file))
    assert "backup intact" in capsys.readouterr().out

    wipe(settings)
    call_command("restore", str(archive), "--passphrase-file", str(passphrase_file))
    assert_everything_is_back(world, admin_user.username)
    assert (settings.DATA_DIR / "secret_key").read_text() == settings.SECRET_KEY


@pytest.mark.django_db  # reads back what it wrote; restores nothing
def test_scheduled_backups_keep_the_newest_and_say_whether_they_verified(world, settings, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    settings.BACKUP_DIR, settings.BACKUP_PASSPHRASE_FILE, settings.BACKUP_KEEP = str(tmp_path / "b"), str(passphrase_file), 2
    runs = [services.run_scheduled() for _ in range(3)]
    assert all(r.verified and r.scheduled and not r.error for r in runs)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(Path(r.path).name for r in runs[1:])

    _private, public = crypto.new_keypair()
    settings.BACKUP_PUBLIC_KEY = public  # the server cannot open these: it checks the bytes it wrote
    sealed = services.run_scheduled()
    assert sealed.verified and "public key" in sealed.verify_note
    with open(sealed.path, "r+b") as handle:  # a bit flipped on the backup disk is noticed
        handle.seek(os.path.getsize(sealed.path) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 1]))
    assert services.verify_written(sealed) is False


@pytest.mark.django_db  # reads back what it wrote; restores nothing
def test_a_scheduled_backup_without_a_key_is_recorded_as_failed(settings, tmp_path):
    settings.BACKUP_DIR, settings.BACKUP_PUBLIC_KEY, settings.BACKUP_PASSPHRASE_FILE = str(tmp_path), "", ""
    run = services.run_scheduled()
    assert run.verified is False and "TESTIGO_BACKUP_PUBLIC_KEY" in run.error
    settings.BACKUP_DIR = ""
    assert services.run_scheduled() is None and BackupRun.objects.count() == 1


@pytest.mark.django_db  # reads back what it wrote; restores nothing
def test_admins_see_the_last_backup_its_size_and_whether_it_verified(world, admin_client, django_user_model,
                                                                     client, tmp_path):
    key = crypto.Key(passphrase=PASSPHRASE)
    run = services.check_run(services.create(to_dir=tmp_path / "b", key=key), key)
    response = admin_client.get("/console/backups/")
    assert response.status_code == 200 and Path(run.path).name in response.content.decode()
    assert response.context["last"] == run and run.verified and run.size > 0
    moderator = django_user_model.objects.create_user("mod", password=PASSWORD)
    roles.set_role(moderator, roles.MODERATOR)
    client.force_login(moderator)
    assert client.get("/console/backups/").status_code == 403
