"""What the backup tests share: a data directory of their own, and a machine made new again."""

from __future__ import annotations

import shutil
from pathlib import Path

import nacl.pwhash
from django.db import connection

from testigo.core.backups import crypto, database


def use_data_dir(settings, tmp_path, monkeypatch, *also) -> None:
    """Media and tip-line files under a fresh data directory; the cheapest Argon2 (tests only) in
    the backups' crypto and in any other module given (the tip line's)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.MEDIA_ROOT = settings.DATA_DIR / "media"
    settings.TIP_STORAGE_DIR = settings.DATA_DIR / "tipline"
    for module in (crypto, *also):  # production Argon2 costs are asserted in test_promise_seized_server
        monkeypatch.setattr(module, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
        monkeypatch.setattr(module, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


def wipe(settings) -> None:
    """A new machine: no database tables, no media, no tip-line files."""
    if database.kind() == database.SQLITE:
        name = connection.settings_dict["NAME"]
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    else:
        database._drop_tables("default")
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.TIP_STORAGE_DIR, ignore_errors=True)
