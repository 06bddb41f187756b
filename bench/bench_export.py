"""Exports at scale: seed 1,000,000 reports (QUICK: 20,000) and run `testigo export` as a
subprocess for CSV and GeoJSON, reporting wall time and the child's peak RSS.

SQLite always; PostgreSQL too when TESTIGO_BENCH_POSTGRES_URL is set (in a throw-away database
created next to the one named in the URL), as bench_map.py does.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402


def run(backend: str, database_url: str | None) -> None:
    data_dir = _seed.setup_django(database_url)
    n = _seed.report_count()
    seconds = _seed.seed(n)
    _seed.emit(f"export.{backend}.seed_time", round(seconds, 1), "s", n=n)
    from django.db import connections

    connections.close_all()
    env = dict(os.environ)  # carries TESTIGO_DATA_DIR / TESTIGO_DATABASE_URL of the seeded database
    testigo = [sys.executable, "-c", "from testigo.cli import main; main()"]
    for fmt in ("csv", "geojson"):
        out = data_dir / f"export.{fmt}"
        started = time.perf_counter()
        with open(out, "wb") as handle:
            subprocess.run([*testigo, "export", "--format", fmt, "--all"], stdout=handle, env=env, check=True)
        elapsed = time.perf_counter() - started
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far (KB on Linux): run CSV first,
        # and GeoJSON's figure is max(csv, geojson), an upper bound for it.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        _seed.emit(f"export.{backend}.{fmt}.time", round(elapsed, 1), "s", target=30, n=n)
        _seed.emit(f"export.{backend}.{fmt}.peak_rss", round(peak_mb, 1), "MB", target=300, n=n)
        _seed.emit(f"export.{backend}.{fmt}.size", round(out.stat().st_size / 2**20, 1), "MB", n=n)
        out.unlink()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--backend":
        run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    # SQLite in this process (its children are then only its exports, whose peak memory is
    # measured); PostgreSQL in a fresh one (setup_django points it at its own database).
    run("sqlite", None)
    _seed.on_postgres("export", __file__)


if __name__ == "__main__":
    main()
