"""The situation report (issue #24) over a seeded deployment: the printable HTML page for the last 30
days (headline numbers, charts, the server-drawn map of the period's published reports, notable
reports), for the whole country and for one department, and the same page printed to PDF by headless
Chromium (skipped, and said so, when Chromium is absent).

Prints JSON lines {"name","value","unit","target","n"}, on SQLite and then on PostgreSQL (with
TESTIGO_BENCH_POSTGRES_URL). TESTIGO_BENCH_QUICK=1: 20,000 reports; TESTIGO_BENCH_REPORTS=n for
another size. Targets: the HTML page p95 ≤ 1 s, a PDF ≤ 15 s (the request's own limit is 60 s).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402
from bench_dashboard import _areas, _pct  # noqa: E402

REQUESTS = 10 if _seed.QUICK else 20
PDFS = 2 if _seed.QUICK else 3
HTML_TARGET_MS = 1000
PDF_TARGET_S = 15


def run(backend: str) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from testigo.console.sitrep_views import chromium
    from testigo.core import roles

    n = _seed.report_count()
    seconds = _seed.seed(n)
    _areas()
    _seed.emit(f"sitrep.{backend}.seed_time", round(seconds, 1), "s", n=n)
    user = get_user_model().objects.create_user(username="bench-admin", password="x")
    roles.set_role(user, roles.ADMIN)
    client = Client()
    client.force_login(user)
    cases = {"country": "/console/situation-report/?lang=es", "department": "/console/situation-report/?area=Cortés"}
    for name, url in cases.items():
        first = client.get(url)
        assert first.status_code == 200 and b"<svg" in first.content, url
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        _seed.emit(f"sitrep.{backend}.html_{name}.p50", round(_pct(times, 50), 1), "ms", n=n)
        _seed.emit(f"sitrep.{backend}.html_{name}.p95", round(_pct(times, 95), 1), "ms",
                   target=None if _seed.QUICK else HTML_TARGET_MS, n=n)
        _seed.emit(f"sitrep.{backend}.html_{name}.size", round(len(first.content) / 1024, 1), "KB", n=n)
    if not chromium():
        _seed.emit(f"sitrep.{backend}.pdf", None, "", skipped="Chromium is not installed")
        return
    times, size = [], 0
    for _ in range(PDFS):
        started = time.perf_counter()
        response = client.get("/console/situation-report/pdf/?lang=es")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.status_code
        size = len(response.content)
    _seed.emit(f"sitrep.{backend}.pdf.max", round(max(times), 2), "s", target=PDF_TARGET_S, n=n, runs=PDFS)
    _seed.emit(f"sitrep.{backend}.pdf.size", round(size / 1024, 1), "KB", n=n)


if __name__ == "__main__":
    _seed.run_on_both("sitrep", run, __file__)
