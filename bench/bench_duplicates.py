"""Duplicate candidates for a new report (reports.duplicates.find): the indexed window (hours,
area box, sender) read and the text compared on what it returns. Target: 20 ms per report at a
million reports (issue #23). Also the hotspot scan over the last four weeks (reports.hotspots.scan).

Prints JSON lines {"name","value","unit","target","n"}, on SQLite and then on PostgreSQL (with
TESTIGO_BENCH_POSTGRES_URL). TESTIGO_BENCH_QUICK=1: 20,000 reports, under a minute;
TESTIGO_BENCH_REPORTS overrides the count. The seed (bench/_seed.py) gives every report the same
sender, the worst case for the window: every report of the hours matches on the sender.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

SAMPLES = 200


def run(backend: str) -> None:

    from testigo.reports import duplicates, hotspots
    from testigo.reports.models import Report

    n = _seed.report_count()
    _seed.seed(n)
    rng = random.Random(3)
    ids = list(Report.objects.values_list("id", flat=True))
    sample = Report.objects.filter(id__in=rng.sample(ids, min(SAMPLES, len(ids))))
    reports = list(sample)
    duplicates.find(reports[0])  # warm the connection
    timings, cpu, found = [], [], 0
    for report in reports:
        duplicates.trigrams.cache_clear()  # cold: the worker's cache of earlier texts not counted
        started, started_cpu = time.perf_counter(), time.process_time()
        found += len(duplicates.find(report))
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    cpu.sort()
    p95 = int(len(timings) * 0.95) - 1
    # cpu_ms: this process's own time; on a shared machine the wall time also holds waits for a core.
    _seed.emit(f"duplicates.find_p50.{backend}", round(statistics.median(timings), 2), "ms", 20, n,
               cpu_ms=round(statistics.median(cpu), 2))
    _seed.emit(f"duplicates.find_p95.{backend}", round(timings[p95], 2), "ms", 20, n, cpu_ms=round(cpu[p95], 2),
               candidates=found)
    # A flood: 600 reports of one event in the same hours and street, from one sender, then one more.
    flood = _flood(600, rng)
    walls, cpus = [], []
    for _run in range(7):  # the median of a few runs: one run on a shared machine is mostly noise
        duplicates.trigrams.cache_clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        matches = duplicates.find(flood)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - started_cpu) * 1000)
    _seed.emit(f"duplicates.find_flood.{backend}", round(statistics.median(walls), 2), "ms", 20, n + 600,
               cpu_ms=round(statistics.median(cpus), 2), candidates=len(matches))
    newest = Report.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    started = time.perf_counter()
    spots = hotspots.scan(newest)
    _seed.emit(f"hotspots.scan.{backend}", round(time.perf_counter() - started, 3), "s", None, n,
               hotspots=len(spots))


def _flood(count: int, rng: random.Random):
    from datetime import timedelta

    from django.utils import timezone

    from testigo.reports import bulk
    from testigo.reports.models import Report

    now, columns = timezone.now(), bulk.ReportColumns()
    rows = [bulk.report_row({"title": f"Balacera en la colonia Kennedy {i}",
                             "description": "disparos cerca del mercado, hay heridos " + rng.choice(_seed.DETAILS),
                             "lat": 14.0723 + rng.uniform(-0.002, 0.002), "lon": -87.1921 + rng.uniform(-0.002, 0.002),
                             "received_at": now - timedelta(minutes=rng.randint(1, 600)),
                             "reporter_contact": "+50488887777"}) for i in range(count)]
    bulk.insert_reports([columns.params(row, columns.stamp()) for row in rows], columns)
    return Report(id=None, title="balacera col kennedy", description="disparos en el mercado", lat=14.0724,
                  lon=-87.1920, place_name="", admin2="", reporter_contact="+50488887777", received_at=now)


if __name__ == "__main__":
    _seed.run_on_both("duplicates", run, __file__)
