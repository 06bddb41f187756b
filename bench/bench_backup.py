"""Backups at scale: seed 100,000 reports (TESTIGO_BENCH_REPORTS; QUICK: 20,000) and 1,000 photos
(QUICK: 100; small generated JPEGs in the media directory, each with its Media row), then time
`services.create` (an encrypted archive, passphrase mode with production's Argon2id), reading it
back whole (verify), and `testigo restore` as a subprocess into a fresh, empty target (a new data
directory, and a new database on PostgreSQL). Reports the archive's size beside the raw size of
what it holds.

Reference, measured in the same run: the database copy alone (SQLite's backup API or pg_dump,
which the backup runs first), i.e. what encryption, the manifest and the media add to it.

Wall times on a shared machine wander with its load; each timing also carries `cpu_s`, the
seconds of CPU of this process (create; pg_dump's own CPU is not in it) or of the restore process.

SQLite always; PostgreSQL too when TESTIGO_BENCH_POSTGRES_URL is set (a throw-away database).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

PASSPHRASE = "a bench passphrase, long enough"


def photos(count: int) -> int:
    """Write `count` small JPEGs (noise, so they do not compress to nothing) with Media rows."""
    from django.conf import settings
    from PIL import Image

    from testigo.reports.models import Media, Report

    rng = random.Random(3)
    report_ids = list(Report.objects.order_by("id").values_list("id", flat=True)[:count])
    rows, total = [], 0
    for i, report_id in enumerate(report_ids):
        out = io.BytesIO()
        image = Image.effect_noise((320, 240), 40 + rng.random() * 20).convert("RGB")
        image.save(out, "JPEG", quality=80)
        data = out.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        name = f"reports/{sha[:2]}/{sha}.jpg"
        path = Path(settings.MEDIA_ROOT) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
        rows.append(Media(report_id=report_id, file=name, content_type="image/jpeg", extension=".jpg", sha256=sha,
                          size=len(data), width=320, height=240, name=f"photo-{i}.jpg"))
    Media.objects.bulk_create(rows, batch_size=500)
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_target(backend: str, data_dir: Path) -> tuple[dict, callable]:
    """Environment for `testigo restore` into an empty target, and how to remove it afterwards."""
    env = dict(os.environ, TESTIGO_DATA_DIR=str(data_dir))
    if backend == "sqlite":
        env["TESTIGO_DATABASE_URL"] = f"sqlite:///{data_dir / 'restored.sqlite3'}"
        return env, lambda: None
    import psycopg

    url = os.environ["TESTIGO_DATABASE_URL"]
    name = f"testigo_bench_restore_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    env["TESTIGO_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name

    def drop():
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return env, drop


def run(backend: str) -> None:
    from django.db import connection

    from testigo.core.backups import crypto, database, services

    n = _seed.report_count() if os.environ.get("TESTIGO_BENCH_REPORTS") or _seed.QUICK else 100_000
    n_photos = 100 if _seed.QUICK else 1_000
    _seed.emit(f"backup.{backend}.seed_time", round(_seed.seed(n), 1), "s", n=n)
    media_bytes = photos(n_photos)
    prefix = f"backup.{backend}"
    scratch = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=os.environ["TESTIGO_DATA_DIR"]))

    started = time.perf_counter()
    dumped = database.dump(scratch)
    _seed.emit(f"{prefix}.reference.database_copy_time", round(time.perf_counter() - started, 2), "s", n=n)
    _seed.emit(f"{prefix}.reference.database_copy_size", round(dumped.stat().st_size / 2**20, 1), "MB", n=n)
    _seed.emit(f"{prefix}.media_size", round(media_bytes / 2**20, 1), "MB", n=n, photos=n_photos)
    dumped.unlink()

    key = crypto.Key(passphrase=PASSPHRASE)
    started, cpu = time.perf_counter(), time.process_time()
    run = services.create(to_dir=scratch / "out", key=key)
    _seed.emit(f"{prefix}.create_time", round(time.perf_counter() - started, 2), "s", n=n, photos=n_photos,
               cpu_s=round(time.process_time() - cpu, 2))
    _seed.emit(f"{prefix}.archive_size", round(run.size / 2**20, 1), "MB", n=n, photos=n_photos)
    started = time.perf_counter()
    services.check_run(run, key)
    assert run.verified, run.verify_note
    _seed.emit(f"{prefix}.verify_time", round(time.perf_counter() - started, 2), "s", n=n, photos=n_photos)

    passphrase_file = scratch / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    connection.close()
    env, drop = fresh_target(backend, scratch / "restored")
    try:
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-c", "from testigo.cli import main; main()", "restore", run.path,
                        "--passphrase-file", str(passphrase_file)], env=env, check=True, stdout=subprocess.DEVNULL)
        _seed.emit(f"{prefix}.restore_time", round(time.perf_counter() - started, 2), "s", n=n, photos=n_photos,
                   cpu_s=round(_children_cpu() - cpu, 2))
    finally:
        drop()


if __name__ == "__main__":
    _seed.run_on_both("backup", run, __file__)
