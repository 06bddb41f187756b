"""Promise: a backup archive holds the database compressed before encryption (a SQLite file
shrinks to a fraction; PostgreSQL's dump, compressed already, is stored as it is), it restores
byte for byte, and archives written before compression (format 1) still verify and restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.core import audit
from testigo.core.backups import crypto, database, services
from testigo.reports import services as report_services
from testigo.reports.models import Report
from tests.core import backup_kit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]

KEY = crypto.Key(passphrase="seven long words for the backup")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch)


@pytest.fixture
def reports(admin_user):
    for i in range(40):
        report_services.create_report(title=f"Robo en la colonia {i}", description="Dos hombres en moto " * 20,
                                      lat=14.07, lon=-87.19, actor=admin_user)
    return sorted(Report.objects.values_list("reference", "title", "description"))


def wipe(settings) -> None:
    backup_kit.wipe(settings)
    assert services.target_is_empty()


def database_entry(manifest: dict) -> dict:
    (entry,) = [f for f in manifest["files"] if f["path"].startswith("database/")]
    return entry


def test_the_database_is_compressed_and_the_archive_is_smaller(reports, tmp_path, monkeypatch):
    new = services.create(to_dir=tmp_path / "new", key=KEY)
    monkeypatch.setattr(services, "COMPRESSION", None)  # what earlier versions wrote
    old = services.create(to_dir=tmp_path / "old", key=KEY)
    new_manifest, old_manifest = services.verify(Path(new.path), KEY), services.verify(Path(old.path), KEY)
    assert (new_manifest["format"], old_manifest["format"]) == (2, 1)
    if database.kind() == database.SQLITE:
        entry = database_entry(new_manifest)
        assert entry["path"] == "database/testigo.sqlite3.gz" and entry["compression"] == "gzip"
        assert entry["original_size"] == database_entry(old_manifest)["size"]
        assert entry["size"] < entry["original_size"] / 2
        assert new.size < old.size * 0.75, (new.size, old.size)
    else:  # pg_dump's custom format is compressed already: stored as it is
        assert "compression" not in database_entry(new_manifest)


def test_a_compressed_archive_restores_everything(reports, settings, tmp_path):
    run = services.create(to_dir=tmp_path / "b", key=KEY)
    wipe(settings)
    services.restore(Path(run.path), KEY)
    assert sorted(Report.objects.values_list("reference", "title", "description")) == reports
    assert audit.verify().ok


def test_an_archive_of_the_older_uncompressed_format_still_restores(reports, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "COMPRESSION", None)
    run = services.create(to_dir=tmp_path / "b", key=KEY)
    monkeypatch.undo()
    assert services.COMPRESSION == "gzip" and services.verify(Path(run.path), KEY)["format"] == 1
    wipe(settings)
    services.restore(Path(run.path), KEY)
    assert sorted(Report.objects.values_list("reference", "title", "description")) == reports


def test_files_compressed_already_are_not_compressed_again(tmp_path):
    dump = tmp_path / "testigo.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"x" * 1000)
    assert services._compressed_copy(dump) == (dump, None) and dump.exists()
    plain = tmp_path / "testigo.sqlite3"
    plain.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100_000)
    stored, method = services._compressed_copy(plain)
    assert method == "gzip" and stored.name == "testigo.sqlite3.gz" and not plain.exists()
    assert stored.stat().st_size < 1000
