"""Map clusters at scale: seed 1,000,000 reports (QUICK: 20,000), then time cluster requests
through the Django view over random viewports at zooms 3-16, with and without a category filter;
then the same views without the public points held in memory (`.database`: the count pyramid, as
before issue #19) and the first request after a change (it reloads them); then the reference:
npm's supercluster over the same public points and viewports, in the same run (skipped, with a
message, where node/npm are absent), compared two ways:
- in process: Testigo's clustering of the points held in memory (memindex.PointIndex.cells) against
  supercluster's getClusters inside node;
- over HTTP: Testigo under gunicorn as `testigo serve` starts it (one worker, so its answers kept
  in memory are found again) against a minimal node http server answering getClusters as JSON,
  both asked by the same client, a new connection per request; Testigo's first request of each
  view (computed) and the same views again (answered from memory, api/mapcache.py) separately.

Prints JSON lines. PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL is set (in a throw-away
database created next to the one named in the URL).
"""

from __future__ import annotations

import gzip
import http.client
import json
import math
import os
import random
import shutil
import socket
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
# In process, both sides time each view this many times and keep its fastest (a loaded machine
# preempts single calls of a fraction of a millisecond).
ROUNDS = 5


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
        # The same views again: answered from the answers kept in memory (api/mapcache.py).
        cached = []
        for bbox, zoom in views:
            started = time.perf_counter()
            assert client.get(f"/api/v1/map/clusters?bbox={bbox}&zoom={zoom}{extra}").status_code == 200
            cached.append((time.perf_counter() - started) * 1000)
        name = f"map.{backend}.clusters_{label}"
        _seed.emit(f"{name}.p50", round(_pct(times, 50), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.p95", round(_pct(times, 95), 1), "ms", target=50, n=REQUESTS)
        # This process's CPU per request (with SQLite, the database's too): steadier than the wall
        # clock on a shared machine.
        _seed.emit(f"{name}.cpu_p50", round(_pct(cpu, 50), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.cpu_p95", round(_pct(cpu, 95), 1), "ms", n=REQUESTS)
        _seed.emit(f"{name}.cached.p50", round(_pct(cached, 50), 2), "ms", n=REQUESTS)
        _seed.emit(f"{name}.cached.p95", round(_pct(cached, 95), 2), "ms", n=REQUESTS)
        for band, zooms in (("z3-8", range(3, 9)), ("z9-16", range(9, 17))):
            band_times = [t for (_b, z), t in zip(views, times, strict=True) if z in zooms]
            _seed.emit(f"{name}.{band}.p95", round(_pct(band_times, 95), 1), "ms", target=50, n=len(band_times))
        _seed.emit(f"{name}.gzip_kb_p95", round(_pct(sizes, 95), 1), "KB", target=30, n=REQUESTS)
        _seed.emit(f"{name}.gzip_kb_max", round(max(sizes), 1), "KB", target=30, n=REQUESTS)
        sets[label] = {"ours": times, "views": views, "categories": [parent.id] if extra else [],
                       "in_process": _clustering_in_process(views, [parent.id] if extra else []), "extra": extra}
        _from_database_and_reload(client, name, views, extra)
    _versus_supercluster(backend, sets)
    _over_http(backend, sets)


def _clustering_in_process(views: list, categories: list[int]) -> list[float]:
    """Testigo's clustering alone, as supercluster's getClusters is timed: the viewport's cells
    from the public points held in memory (memindex.PointIndex.cells), one untimed pass first."""
    from testigo.api import queries
    from testigo.geo.clustering import Viewport
    from testigo.reports.selectors import ReportFilters

    index = queries._point_index(ReportFilters(categories=categories))
    assert index is not None
    vps = [Viewport(*map(float, bbox.split(",")), zoom) for bbox, zoom in views]
    for vp in vps:
        index.cells(vp)
    times = [math.inf] * len(vps)
    for _round in range(ROUNDS):
        for i, vp in enumerate(vps):
            started = time.perf_counter()
            index.cells(vp)
            times[i] = min(times[i], (time.perf_counter() - started) * 1000)
    return times


def _from_database_and_reload(client, name: str, views: list, extra: str) -> None:
    """The same views answered without the points held in memory (the count pyramid and the
    reports table, as before issue #19's in-memory index), and what the first request after a
    change to the public counts costs (it reloads the points)."""
    from testigo.api import mapcache, queries
    from testigo.geo import memindex
    from testigo.reports import counts

    mapcache.clear()  # the views were answered already: their kept answers must not be timed here
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
    payload = {"options": SUPERCLUSTER_OPTIONS, "rounds": ROUNDS, "sets": {
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
        ours, clustering = sets[label]["ours"], sets[label]["in_process"]
        name = f"map.{backend}.clusters_{label}.supercluster"
        _seed.emit(f"{name}.load_ms", round(result["load_ms"]), "ms", n=result["n"])
        _seed.emit(f"{name}.p50", round(_pct(theirs, 50), 3), "ms", n=len(theirs))
        _seed.emit(f"{name}.p95", round(_pct(theirs, 95), 3), "ms", n=len(theirs))
        # A whole Django request (test client, first request of each view) over getClusters alone.
        _seed.emit(f"map.{backend}.clusters_{label}.ratio_p50", round(_pct(ours, 50) / _pct(theirs, 50), 2), "x",
                   n=len(ours), reference="supercluster getClusters in node")
        _seed.emit(f"map.{backend}.clusters_{label}.ratio_p95", round(_pct(ours, 95) / _pct(theirs, 95), 2), "x",
                   n=len(ours), reference="supercluster getClusters in node")
        # In process, like for like: Testigo's clustering of the points in memory over getClusters.
        inproc = f"map.{backend}.clusters_{label}.in_process"
        _seed.emit(f"{inproc}.p50", round(_pct(clustering, 50), 3), "ms", n=len(clustering))
        _seed.emit(f"{inproc}.p95", round(_pct(clustering, 95), 3), "ms", n=len(clustering))
        _seed.emit(f"{inproc}.ratio_p50", round(_pct(clustering, 50) / _pct(theirs, 50), 2), "x",
                   n=len(clustering), reference="supercluster getClusters in node")
        _seed.emit(f"{inproc}.ratio_p95", round(_pct(clustering, 95) / _pct(theirs, 95), 2), "x", target=3,
                   n=len(clustering), reference="supercluster getClusters in node")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[float, int, int]:
    """One GET on a new connection (gunicorn's sync workers close each one): (ms, status, bytes)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "localhost", "Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000, response.status, len(body)


def _cpu_ms(pid: int) -> float:
    """CPU time used so far by process `pid` and its children (every thread), in ms, from the
    scheduler's nanosecond counters (/proc/<pid>/task/*/schedstat)."""
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    for p in pids:
        for task in Path(f"/proc/{p}/task").glob("*/schedstat"):
            try:
                total += int(task.read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e6


def _wait_for(port: int, path: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped (exit code {process.returncode})")
        try:
            if _get(port, path)[1] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within 60 s")


def _over_http(backend: str, sets: dict) -> None:
    """Both over HTTP on this machine: Testigo under gunicorn (the command `testigo serve` runs,
    one worker) against a minimal node http server answering supercluster's getClusters as JSON,
    same points, same views, same client. Testigo: the first request of each view (computed, after
    other views warmed the worker up) and the same views again (answered from memory); node: one
    untimed pass, then the timed one."""
    from django.conf import settings
    from django.db import connection

    from testigo.core.management.commands.serve import gunicorn_command

    why = _supercluster_ready()
    if why:
        _seed.emit(f"map.{backend}.http", None, "", skipped=why)
        return
    connection.close()  # the server process opens its own
    port = _free_port()
    env = dict(os.environ, TESTIGO_DATA_DIR=str(settings.DATA_DIR), TESTIGO_ALLOWED_HOSTS="localhost")
    server = subprocess.Popen(gunicorn_command(host="127.0.0.1", port=port, workers=1), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, "/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=6", server, "gunicorn")
        for s in sets.values():
            extra = s["extra"]
            rng = random.Random(29)
            for zoom in range(3, 17):  # warm up: the points loaded, the queries prepared; other views
                _get(port, f"/api/v1/map/clusters?bbox={_viewport(rng, zoom)}&zoom={zoom}{extra}")
            paths = [f"/api/v1/map/clusters?bbox={bbox}&zoom={zoom}{extra}" for bbox, zoom in s["views"]]
            cpu_started = _cpu_ms(server.pid)
            first = [_get(port, p) for p in paths]
            cpu_first = _cpu_ms(server.pid)
            again = [_get(port, p) for p in paths]
            cpu_again = _cpu_ms(server.pid)
            assert all(status == 200 for _t, status, _n in first + again)
            s["http"] = ([t for t, _s, _n in first], [t for t, _s, _n in again])
            s["http_cpu"] = ((cpu_first - cpu_started) / len(paths), (cpu_again - cpu_first) / len(paths))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for label, s in sets.items():
        theirs, their_cpu = _node_http(s)
        first, again = s["http"]
        name = f"map.{backend}.clusters_{label}.http"
        # The server's CPU per request (all its threads; gunicorn: master and worker), steadier
        # than the wall clock on a shared machine.
        _seed.emit(f"{name}.server_cpu_per_request", round(s["http_cpu"][0], 3), "ms", n=len(first))
        _seed.emit(f"{name}.cached.server_cpu_per_request", round(s["http_cpu"][1], 3), "ms", n=len(again))
        _seed.emit(f"{name}.supercluster.server_cpu_per_request", round(their_cpu, 3), "ms", n=len(theirs))
        _seed.emit(f"{name}.cpu_ratio", round(s["http_cpu"][0] / their_cpu, 2), "x", n=len(first),
                   reference="node http server with supercluster: CPU per request")
        _seed.emit(f"{name}.cached.cpu_ratio", round(s["http_cpu"][1] / their_cpu, 2), "x", n=len(again),
                   reference="node http server with supercluster: CPU per request")
        _seed.emit(f"{name}.p50", round(_pct(first, 50), 2), "ms", n=len(first))
        _seed.emit(f"{name}.p95", round(_pct(first, 95), 2), "ms", n=len(first))
        _seed.emit(f"{name}.cached.p50", round(_pct(again, 50), 2), "ms", n=len(again))
        _seed.emit(f"{name}.cached.p95", round(_pct(again, 95), 2), "ms", n=len(again))
        _seed.emit(f"{name}.supercluster.p50", round(_pct(theirs, 50), 2), "ms", n=len(theirs))
        _seed.emit(f"{name}.supercluster.p95", round(_pct(theirs, 95), 2), "ms", n=len(theirs))
        reference = "supercluster getClusters behind node's http server, same client"
        _seed.emit(f"{name}.ratio_p95", round(_pct(first, 95) / _pct(theirs, 95), 2), "x", target=3,
                   n=len(first), reference=reference)
        _seed.emit(f"{name}.cached.ratio_p95", round(_pct(again, 95) / _pct(theirs, 95), 2), "x", target=3,
                   n=len(again), reference=reference)


def _node_http(s: dict) -> tuple[list[float], float]:
    """Node's wall-clock times per view, and its CPU per request (ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"options": SUPERCLUSTER_OPTIONS, "points": _public_points(s["categories"])}, f)
        f.flush()
        node = subprocess.Popen(["node", "supercluster_http.mjs", f.name], cwd=SUPERCLUSTER_DIR,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            port = json.loads(node.stdout.readline())["port"]
            paths = [f"/clusters?bbox={bbox}&zoom={zoom}" for bbox, zoom in s["views"]]
            for p in paths:  # untimed: node's compiled code warm, as in the in-process reference
                _get(port, p)
            times = []
            cpu_started = _cpu_ms(node.pid)
            for p in paths:
                elapsed, status, _n = _get(port, p)
                assert status == 200
                times.append(elapsed)
            return times, (_cpu_ms(node.pid) - cpu_started) / len(paths)
        finally:
            node.stdin.close()
            node.wait(timeout=30)


def main() -> None:
    _seed.run_on_both("map", run, __file__)


if __name__ == "__main__":
    main()
