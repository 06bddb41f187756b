"""Exports at scale: seed 1,000,000 reports (QUICK: 20,000) and run `testigo export` as a
subprocess for CSV and GeoJSON, reporting wall time and the child's peak RSS. Then an XLSX export
of the first 100,000 of them (QUICK: all 20,000), staff view, in a child process that reports its
own peak RSS (target: 300 MB), and the workbook read back by openpyxl to count its rows. Then, in this
process, the public CSV export against its reference measured in the same run: a plain
`csv.writer` over the same SQL (the same rows and columns, read in the same chunks with one link
query each, written unformatted). The first byte / first rows of the streamed endpoints are
bench_million's section (bench/_million_exports.py).

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
    _xlsx(backend, data_dir, env, min(n, XLSX_REPORTS))
    connections.close_all()
    exported, plain = _in_process()
    _seed.emit(f"export.{backend}.public_csv.in_process_time", round(exported, 2), "s", n=n)
    _seed.emit(f"export.{backend}.public_csv.reference_time", round(plain, 2), "s", n=n,
               reference="plain csv.writer over the same SQL, unformatted")
    _seed.emit(f"export.{backend}.public_csv.time_vs_reference", round(exported / plain, 2), "x", n=n)


XLSX_REPORTS = 100_000
_XLSX_CHILD = """
import resource, sys, time
import django
django.setup()
from testigo.reports import exporters
from testigo.reports.models import Report
n = int(sys.argv[1])
last = Report.objects.order_by("id").values_list("id", flat=True)[n - 1]
export = exporters.Export(Report.objects.filter(id__lte=last).order_by("id"), public=False, with_contact=True)
started = time.perf_counter()
with open(sys.argv[2], "wb") as out:
    for piece in export.xlsx():
        out.write(piece)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _xlsx(backend: str, data_dir: Path, env: dict, n: int) -> None:
    """XLSX of `n` reports in a child process: its time and its own peak RSS, then read back."""
    from openpyxl import load_workbook

    out = data_dir / "export.xlsx"
    child_env = dict(env, DJANGO_SETTINGS_MODULE="testigo.settings")
    done = subprocess.run([sys.executable, "-c", _XLSX_CHILD, str(n), str(out)], env=child_env, check=True,
                          capture_output=True, text=True)
    seconds, peak_mb = (float(v) for v in done.stdout.split()[-2:])
    rows = sum(1 for _row in load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True)) - 1
    assert rows == n, f"the workbook has {rows} reports, not {n}"
    _seed.emit(f"export.{backend}.xlsx.time", round(seconds, 1), "s", n=n)
    _seed.emit(f"export.{backend}.xlsx.peak_rss", round(peak_mb, 1), "MB", target=300, n=n)
    _seed.emit(f"export.{backend}.xlsx.size", round(out.stat().st_size / 2**20, 1), "MB", n=n)
    out.unlink()


class _Null:
    def write(self, text: str) -> int:
        return len(text)


def _in_process() -> tuple[float, float]:
    """Seconds for the public CSV export, and for the plain reference over the same SQL."""
    import csv
    from contextlib import nullcontext

    from django.db import connection, transaction

    from testigo.reports import exporters, selectors
    from testigo.reports.models import Report

    export = exporters.Export(selectors.public_reports(), public=True)
    started = time.perf_counter()
    for _chunk in export.csv():
        pass
    exported = time.perf_counter() - started
    names = [source for _name, source in export.select]
    sql, params = export.qs.values_list(*names).query.sql_with_params()
    links = Report.categories.through._meta.db_table
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"  # a server-side cursor streams inside a transaction
    with transaction.atomic() if postgres else nullcontext(), connection.chunked_cursor() as cursor, \
            connection.cursor() as other:
        cursor.execute(sql, params)
        writer = csv.writer(_Null())
        while rows := cursor.fetchmany(exporters.EXPORT_CHUNK):
            ids = [row[0] for row in rows]
            if postgres:
                other.execute(f"SELECT report_id, category_id FROM {links} WHERE report_id = ANY(%s)", [ids])
            else:
                other.execute(f"SELECT report_id, category_id FROM {links} WHERE report_id IN "
                              f"({', '.join(['%s'] * len(ids))})", ids)
            other.fetchall()
            writer.writerows(rows)
    return exported, time.perf_counter() - started


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
