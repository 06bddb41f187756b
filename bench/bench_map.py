"""Map clusters at scale: seed 1,000,000 reports (QUICK: 20,000), then time cluster requests
through the Django view over random viewports at zooms 3-16, with and without a category filter;
then the same views without the public points held in memory (`.database`: the count pyramid, as
before issue #19) and the first request after a change (it reloads them); then the reference:
npm's supercluster over the same public points and viewports, in the same run (skipped, with a
message, where node/npm are absent).

Prints JSON lines. PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL is set (in a throw-away
database created next to the one named in the URL).
"""

from __future__ import annotations

import gzip
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

VIEW_W, VIEW_H = 1280, 800  # a laptop screen's map, in pixels
REQUESTS = 60 if _seed.QUICK else 200
SUPERCLUSTER_DIR = Path(__file__).resolve().parent / "supercluster"
# Cells of about 64 px like ours (clustering.CELL_LEVELS), down to street level (bench zooms 3-16).
SUPERCLUSTER_OPTIONS = {"radius": 64, "extent": 256, "maxZoom": 16}


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

    from testigo.reports import counts
    from testigo.reports.counts import entries, keeping
    from testigo.reports.models import Report

    ids = list(Report.objects.order_by("-id").values_list("id", flat=True)[:5000])
    with transaction.atomic():
        started = time.perf_counter()
        counts.added(ids)
        elapsed = time.perf_counter() - started
        keeping.apply_changes(entries.entries_of(ids), {})  # back as it was (the status counts too)
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
    sets = {}
    for label, extra in (("all", ""), ("category", f"&category={parent.id}")):
        views = [(_viewport(rng, 3 + i % 14), 3 + i % 14) for i in range(REQUESTS)]
        times, sizes, cpu = [], [], []
        client.get(f"/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=6{extra}")  # warm up
        for bbox, zoom in views:
            url = f"/api/v1/map/clusters?bbox={bbox}&zoom={zoom}{extra}"
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, response.content[:200]
            sizes.append(len(gzip.compress(response.content)) / 1024)
        name = f"map.{backend}.clusters_{label}"
        _seed.emit(f"{name}.p50", round(_pct(times, 50), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.p95", round(_pct(times, 95), 1), "ms", target=50, n=REQUESTS)
        # This process's CPU per request (with SQLite, the database's too): steadier than the wall
        # clock on a shared machine.
        _seed.emit(f"{name}.cpu_p50", round(_pct(cpu, 50), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.cpu_p95", round(_pct(cpu, 95), 1), "ms", n=REQUESTS)
        for band, zooms in (("z3-8", range(3, 9)), ("z9-16", range(9, 17))):
            band_times = [t for (_b, z), t in zip(views, times, strict=True) if z in zooms]
            _seed.emit(f"{name}.{band}.p95", round(_pct(band_times, 95), 1), "ms", target=50, n=len(band_times))
        _seed.emit(f"{name}.gzip_kb_p95", round(_pct(sizes, 95), 1), "KB", target=30, n=REQUESTS)
        _seed.emit(f"{name}.gzip_kb_max", round(max(sizes), 1), "KB", target=30, n=REQUESTS)
        sets[label] = {"ours": times, "views": views, "categories": [parent.id] if extra else []}
        _from_database_and_reload(client, name, views, extra)
    _versus_supercluster(backend, sets)


def _from_database_and_reload(client, name: str, views: list, extra: str) -> None:
    """The same views answered without the points held in memory (the count pyramid and the
    reports table, as before issue #19's in-memory index), and what the first request after a
    change to the public counts costs (it reloads the points)."""
    from testigo.api import queries
    from testigo.geo import memindex
    from testigo.reports import counts

    held = queries._point_index
    queries._point_index = lambda filters: None
    try:
        times, cpu = [], []
        for bbox, zoom in views:
            started, cpu_started = time.perf_counter(), time.process_time()
            assert client.get(f"/api/v1/map/clusters?bbox={bbox}&zoom={zoom}{extra}").status_code == 200
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    finally:
        queries._point_index = held
    _seed.emit(f"{name}.database.p50", round(_pct(times, 50), 1), "ms", n=len(times))
    _seed.emit(f"{name}.database.p95", round(_pct(times, 95), 1), "ms", n=len(times))
    _seed.emit(f"{name}.database.cpu_p50", round(_pct(cpu, 50), 1), "ms", n=len(cpu))
    _seed.emit(f"{name}.database.cpu_p95", round(_pct(cpu, 95), 1), "ms", n=len(cpu))
    reloads = []
    spacing, queries._RELOAD_SPACING = queries._RELOAD_SPACING, 0  # reload at once, to time it
    for bbox, zoom in views[:5]:
        memindex.bump([counts.PUBLIC])  # as a publication does
        started = time.perf_counter()
        assert client.get(f"/api/v1/map/clusters?bbox={bbox}&zoom={zoom}{extra}").status_code == 200
        reloads.append((time.perf_counter() - started) * 1000)
    queries._RELOAD_SPACING = spacing
    _seed.emit(f"{name}.first_after_change", round(_pct(reloads, 50), 1), "ms", n=len(reloads))


def _public_points(categories: list[int]) -> list[float]:
    """The public points the map clusters for the public ([lon, lat, lon, lat, ...]), read through
    the public selector like the endpoint's."""
    from testigo.reports.selectors import ReportFilters, public_reports

    rows = (public_reports(ReportFilters(categories=categories)).order_by()
            .filter(public_lat__isnull=False, public_lon__isnull=False).values_list("public_lon", "public_lat"))
    return [v for row in rows.iterator(chunk_size=20_000) for v in row]


def _supercluster_ready() -> str | None:
    """Install supercluster (bench/supercluster/package-lock.json) with npm, once; None when ready,
    else why the comparison is skipped."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "node/npm not installed: no supercluster reference"
    if not (SUPERCLUSTER_DIR / "node_modules" / "supercluster").is_dir():
        run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SUPERCLUSTER_DIR, capture_output=True,
                             text=True, timeout=300)
        if run.returncode != 0:
            return f"npm ci failed: {run.stderr.strip()[-300:]}"
    return None


def _versus_supercluster(backend: str, sets: dict) -> None:
    """The reference, in the same run: npm's supercluster over the same public points (for the
    category run, the public points of that category and its children) answering the same
    viewports with getClusters(bbox, zoom), each call timed in one node process; and our p95 over
    its p95 (target: at most 3)."""
    why = _supercluster_ready()
    if why:
        _seed.emit(f"map.{backend}.supercluster", None, "", skipped=why)
        return
    payload = {"options": SUPERCLUSTER_OPTIONS, "sets": {
        label: {"points": _public_points(s["categories"]),
                "viewports": [[*map(float, bbox.split(",")), zoom] for bbox, zoom in s["views"]]}
        for label, s in sets.items()}}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(payload, f)
        f.flush()
        run = subprocess.run(["node", "supercluster_bench.mjs", f.name], cwd=SUPERCLUSTER_DIR, capture_output=True,
                             text=True, timeout=900, check=True)
    for line in run.stdout.splitlines():
        result = json.loads(line)
        label, theirs = result["set"], result["times_ms"]
        ours = sets[label]["ours"]
        name = f"map.{backend}.clusters_{label}.supercluster"
        _seed.emit(f"{name}.load_ms", round(result["load_ms"]), "ms", n=result["n"])
        _seed.emit(f"{name}.p50", round(_pct(theirs, 50), 2), "ms", n=len(theirs))
        _seed.emit(f"{name}.p95", round(_pct(theirs, 95), 2), "ms", n=len(theirs))
        _seed.emit(f"map.{backend}.clusters_{label}.ratio_p50", round(_pct(ours, 50) / _pct(theirs, 50), 2), "x",
                   n=len(ours))
        _seed.emit(f"map.{backend}.clusters_{label}.ratio_p95", round(_pct(ours, 95) / _pct(theirs, 95), 2), "x",
                   target=3, n=len(ours))


def main() -> None:
    _seed.run_on_both("map", run, __file__)


if __name__ == "__main__":
    main()
