"""Map clusters at scale: seed 1,000,000 reports (QUICK: 20,000), then time cluster requests
through the Django view over random viewports at zooms 3-16, with and without a category filter.

Prints JSON lines. PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL is set (in a throw-away
database created next to the one named in the URL).
"""

from __future__ import annotations

import gzip
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

VIEW_W, VIEW_H = 1280, 800  # a laptop screen's map, in pixels
REQUESTS = 60 if _seed.QUICK else 200


def _viewport(rng: random.Random, zoom: int) -> str:
    lat, lon = _seed._point(rng)
    width = VIEW_W / 256 * 360 / 2**zoom
    height = min(170.0, width * VIEW_H / VIEW_W * math.cos(math.radians(lat)))
    west, east = lon - width / 2, lon + width / 2
    if width >= 360:
        west, east = -180.0, 180.0
    else:
        west, east = ((west + 540) % 360) - 180, ((east + 540) % 360) - 180
    south, north = max(-85.0, lat - height / 2), min(85.0, lat + height / 2)
    return f"{west:.5f},{south:.5f},{east:.5f},{north:.5f}"


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _upkeep(backend: str) -> None:
    """What keeping the map's counts adds to a bulk import: the count update for a batch of 5,000
    reports (as `counts.added()` does after an import batch), then its exact reverse."""
    from django.db import transaction

    from testigo.geo import pyramid
    from testigo.reports import counts
    from testigo.reports.counts import entries
    from testigo.reports.models import Report

    ids = list(Report.objects.order_by("-id").values_list("id", flat=True)[:5000])
    with transaction.atomic():
        started = time.perf_counter()
        counts.added(ids)
        elapsed = time.perf_counter() - started
        pyramid.apply_deltas(entries.deltas(entries.entries_of(ids), {}))  # back as it was
    _seed.emit(f"map.{backend}.count_upkeep_per_report", round(elapsed / len(ids) * 1e6), "us", n=len(ids))


def run(backend: str) -> None:
    from django.test import Client

    from testigo.reports.models import Category

    n = _seed.report_count()
    seconds = _seed.seed(n)
    _seed.emit(f"map.{backend}.seed_time", round(seconds, 1), "s", target=120 if not _seed.QUICK else None, n=n)
    _upkeep(backend)
    client = Client(HTTP_HOST="localhost")
    rng = random.Random(11)
    parent = Category.objects.filter(parent__isnull=True).first()
    for label, extra in (("all", ""), ("category", f"&category={parent.id}")):
        times, sizes = [], []
        client.get(f"/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=6{extra}")  # warm up
        for i in range(REQUESTS):
            zoom = 3 + i % 14
            url = f"/api/v1/map/clusters?bbox={_viewport(rng, zoom)}&zoom={zoom}{extra}"
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:200]
            sizes.append(len(gzip.compress(response.content)) / 1024)
        name = f"map.{backend}.clusters_{label}"
        _seed.emit(f"{name}.p50", round(_pct(times, 50), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.p95", round(_pct(times, 95), 1), "ms", target=50, n=REQUESTS)
        for band, zooms in (("z3-8", range(3, 9)), ("z9-16", range(9, 17))):
            band_times = [t for i, t in enumerate(times) if 3 + i % 14 in zooms]
            _seed.emit(f"{name}.{band}.p95", round(_pct(band_times, 95), 1), "ms", target=50, n=len(band_times))
        _seed.emit(f"{name}.gzip_kb_p95", round(_pct(sizes, 95), 1), "KB", target=30, n=REQUESTS)
        _seed.emit(f"{name}.gzip_kb_max", round(max(sizes), 1), "KB", target=30, n=REQUESTS)


def main() -> None:
    _seed.run_on_both("map", run, __file__)


if __name__ == "__main__":
    main()
