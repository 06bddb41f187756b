"""Everything under the data directory is readable by Testigo's own user only: the directory is
0700, the SQLite database, its -wal and -shm files, the queue, media files and secrets are 0600,
even when the service starts under Debian's default umask 022 (which would give 0644)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

SCRIPT = """
import json, os, pathlib
import django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from huey.contrib.djhuey import HUEY

with connection.cursor() as cursor:  # a write in WAL mode: -wal and -shm exist while it is open
    cursor.execute("CREATE TABLE probe (x)")
    cursor.execute("INSERT INTO probe VALUES (1)")
default_storage.save("reports/2026/12/photo.jpg", ContentFile(b"jpeg"))
HUEY.storage.enqueue(b"job")
modes = {str(p.relative_to(settings.DATA_DIR)): p.stat().st_mode for p in settings.DATA_DIR.rglob("*")}
modes["."] = settings.DATA_DIR.stat().st_mode
print(json.dumps(modes))
"""


def _modes_under_umask_022(data_dir) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"TESTIGO_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "testigo.settings"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          preexec_fn=lambda: os.umask(0o022), check=True)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_promise_data_dir_files_are_private_under_umask_022(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)  # made by hand or by an older version: closed at start-up
    modes = _modes_under_umask_022(data_dir)
    for name in ("testigo.sqlite3", "testigo.sqlite3-wal", "testigo.sqlite3-shm", "queue.sqlite3", "secret_key",
                 "media/reports/2026/12/photo.jpg"):
        assert name in modes, sorted(modes)
    assert stat.S_IMODE(modes["."]) == 0o700
    loose = {name: oct(stat.S_IMODE(mode)) for name, mode in modes.items() if stat.S_IMODE(mode) & 0o077}
    assert not loose
