"""Moving a single machine's SQLite install onto PostgreSQL (`testigo restore` of a SQLite backup
into an empty PostgreSQL database: core/backups/database.py, move_sqlite_into).

1. A SQLite install with the reports of bench/_seed.py (1,000,000; QUICK: 20,000;
   TESTIGO_BENCH_REPORTS to choose) is seeded in a process of its own.
2. In a process pointed at a fresh PostgreSQL database: the whole move (migrate, copy of every
   table in batched raw INSERTs, sequences), rows per second over every table; then, for
   comparison, the per-row way `loaddata` would take (`save_base(raw=True)`, the public API that
   keeps `auto_now` values) on a sample of report rows, rolled back.

Needs PostgreSQL (TESTIGO_TEST_POSTGRES_URL's server; says it was skipped otherwise). Prints JSON
lines {"name","value","unit","target","n"}.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = 2000

SEED = """
import sys
sys.path.insert(0, BENCH)
import _seed
from django.core.management import call_command
call_command('migrate', verbosity=0)
_seed.seed(REPORTS)
"""

MOVE = """
import json, time
from django.db import connection, transaction
from testigo.core.backups import database
from testigo.reports.models import Report
started = time.perf_counter()
copied = database.move_sqlite_into(SOURCE)
seconds = time.perf_counter() - started
with database.sqlite_source(SOURCE) as source, transaction.atomic():
    rows = list(Report._base_manager.using(source).order_by('pk')[:SAMPLE])
    connection.cursor().execute('TRUNCATE reports_report CASCADE')
    t0 = time.perf_counter()
    for row in rows:
        row.save_base(raw=True)
    per_row = time.perf_counter() - t0
    transaction.set_rollback(True)
with database.sqlite_source(SOURCE) as source, transaction.atomic():
    rows = list(Report._base_manager.using(source).order_by('pk')[:SAMPLE])
    connection.cursor().execute('TRUNCATE reports_report CASCADE')
    fields = [f for f in Report._meta.concrete_fields]
    t0 = time.perf_counter()
    for i in range(0, len(rows), database.MOVE_BATCH):
        database.insert_raw(Report, rows[i:i + database.MOVE_BATCH], fields, 'default')
    batched = time.perf_counter() - t0
    transaction.set_rollback(True)
print(json.dumps({'rows': sum(copied.values()), 'tables': len(copied), 'seconds': seconds,
                  'per_row': per_row, 'batched': batched, 'sample': len(rows)}))
"""


def _env(data_dir: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env.update(PYTHONPATH=str(ROOT), TESTIGO_DATA_DIR=str(data_dir), TESTIGO_DATABASE_URL=database_url,
               TESTIGO_LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="testigo.settings")
    return env


def _script(env: dict, code: str) -> str:
    setup = "import django; django.setup()\n"
    return subprocess.run([sys.executable, "-c", setup + code], env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def main() -> None:
    server = os.environ.get("TESTIGO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    admin = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    try:
        import psycopg

        psycopg.connect(admin, connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        _seed.emit("move", None, "", skipped=f"PostgreSQL not reachable at {server} ({type(exc).__name__})")
        return
    work = Path(tempfile.mkdtemp(prefix="testigo-bench-move-"))
    name = f"testigo_bench_move_{secrets.token_hex(4)}"
    reports = _seed.report_count()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        (work / "old").mkdir()
        sqlite = work / "old" / "testigo.sqlite3"
        _script(_env(work / "old", f"sqlite:///{sqlite}"),
                SEED.replace("BENCH", repr(str(ROOT / "bench"))).replace("REPORTS", str(reports)))
        (work / "new").mkdir()
        out = _script(_env(work / "new", urlunsplit(urlsplit(server)._replace(path="/" + name))),
                      MOVE.replace("SOURCE", repr(str(sqlite))).replace("SAMPLE", str(SAMPLE)))
        result = json.loads(out.strip().splitlines()[-1])
        _seed.emit("move.sqlite_to_postgres.seconds", round(result["seconds"], 1), "s", None, reports,
                   rows=result["rows"], tables=result["tables"])
        _seed.emit("move.sqlite_to_postgres.rows_per_s", round(result["rows"] / result["seconds"]), "rows/s", None,
                   result["rows"])
        _seed.emit("move.reports.batched_raw_insert.rows_per_s", round(result["sample"] / result["batched"]),
                   "rows/s", None, result["sample"])
        _seed.emit("move.reports.save_base_per_row.rows_per_s", round(result["sample"] / result["per_row"]),
                   "rows/s", None, result["sample"])
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
