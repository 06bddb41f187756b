"""Moving from Ushahidi: a Haiti-sized v2 export (the real Haiti 2010 file, 3,593 reports, from
tests/surveys/ushahidi_exports/) imported end to end through the same code as `testigo import`:
upload (format detected, preset mapping), categories created, run. Then a newer export of the same
deployment, a tenth of its reports changed, imported again: those reports are updated, none
duplicated.

Prints JSON lines: rows/s and seconds of each step, with the load average. QUICK mode
(TESTIGO_BENCH_QUICK=1) runs the same file once each (well under 20 s); the full mode repeats the
first import three times over fresh ids to time a 10,800-row file too.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from pathlib import Path

from _seed import QUICK, emit, setup_django

HAITI = Path(__file__).resolve().parent.parent / "tests" / "surveys" / "ushahidi_exports" / "haiti_2010_v2.csv"


def newer_export(data: bytes) -> tuple[bytes, int]:
    """The same export a month later: every tenth report retitled (what a re-import must update)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    changed = 0
    for i, row in enumerate(rows[1:]):
        if i % 10 == 0:
            row[1] = row[1] + " (updated)"
            changed += 1
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8"), changed


def times(data: bytes, copies: int) -> bytes:
    """The file's rows `copies` times over, each copy with its own ids (a bigger deployment)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for copy in range(copies):
        for row in rows[1:]:
            writer.writerow([f"{copy}-{row[0]}", *row[1:]])
    return out.getvalue().encode("utf-8")


def timed_import(name: str, data: bytes):
    from testigo.core import roles
    from testigo.surveys import importing

    started = time.perf_counter()
    imp = importing.create_import(actor=roles.SYSTEM, name=name, data=data)
    imp = importing.run(import_id=imp.pk)
    return imp, time.perf_counter() - started


def main() -> None:
    setup_django(None)
    from testigo.reports.models import Category, Report

    data = HAITI.read_bytes()
    imp, seconds = timed_import("haiti.csv", data)
    assert imp.rejected_count == 0 and imp.created_count == Report.objects.count(), imp.errors[:3]
    load = round(os.getloadavg()[0], 1)
    emit("ushahidi_v2_import_rows_per_s", round(imp.total_rows / seconds), "rows/s", n=imp.total_rows,
         categories=Category.objects.count(), load_average=load)
    emit("ushahidi_v2_import_seconds", round(seconds, 2), "s", target=20, n=imp.total_rows, load_average=load)
    newer, changed = newer_export(data)
    again, seconds = timed_import("haiti-later.csv", newer)
    assert again.updated_count == changed and again.created_count == 0, (again.updated_count, changed)
    emit("ushahidi_v2_reimport_rows_per_s", round(again.total_rows / seconds), "rows/s", n=again.total_rows,
         updated=again.updated_count, load_average=round(os.getloadavg()[0], 1))
    emit("ushahidi_v2_reimport_seconds", round(seconds, 2), "s", n=again.total_rows, updated=again.updated_count,
         load_average=round(os.getloadavg()[0], 1))
    if not QUICK:
        big, seconds = timed_import("haiti-x3.csv", times(data, 3))
        emit("ushahidi_v2_import_3x_rows_per_s", round(big.total_rows / seconds), "rows/s", n=big.total_rows,
             load_average=round(os.getloadavg()[0], 1))


if __name__ == "__main__":
    sys.exit(main())
