"""Scale-out under load (issue #25): locust against Debian's nginx in front of `testigo serve` nodes
sharing one PostgreSQL database and one Redis (tools/cluster.py, deploy/nginx/ as shipped).

The mix (bench/_locust_scaleout.py): the public home page (4), the map's clusters (6), report
submissions through the API (2) and SMS gateway webhooks (3), at the reports count of
bench/_seed.py (1,000,000; QUICK: 20,000; TESTIGO_BENCH_REPORTS to choose).

1. one node behind nginx, then two: requests/s and p95 over the whole mix, and p95 per request;
2. the failover gap: two nodes under the same load, one killed with SIGKILL a third of the way in;
   the seconds from the kill to the last failed request, and how many failed.

Everything runs on this machine: locust, nginx, the nodes, two workers, PostgreSQL and Redis share
its cores, so two nodes cannot be faster than one here unless one node leaves cores idle; the
figures show what the balancing costs and how long a node's death is felt, not the capacity of two
machines. Needs nginx, PostgreSQL (TESTIGO_TEST_POSTGRES_URL) and Redis (TESTIGO_TEST_REDIS_URL);
says it was skipped otherwise. Prints JSON lines {"name","value","unit","target","n"}.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("testigo_tools_cluster", ROOT / "tools" / "cluster.py")
cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster)

QUICK = _seed.QUICK
USERS = int(os.environ.get("SCALEOUT_USERS", "10" if QUICK else "40"))
SECONDS = int(os.environ.get("SCALEOUT_SECONDS", "20" if QUICK else "60"))
SMS_SECRET = "bench-kannel-secret"
LOCUSTFILE = Path(__file__).resolve().parent / "_locust_scaleout.py"

SEED = """
import sys
sys.path.insert(0, BENCH)
import _seed
from django.core.management import call_command
call_command('migrate', verbosity=0)
print('SEEDED', round(_seed.seed(REPORTS), 1))
from testigo.reports.models import Category
print('CATEGORY', Category.objects.filter(parent__isnull=False).first().pk)
call_command('channel', 'add', 'kannel', '--name', 'SMS', '--secret', SECRET, '--rate', '1000',
             '--set', 'sendsms_url=http://127.0.0.1:GATEWAY/cgi-bin/sendsms', '--set', 'username=testigo',
             '--set', 'password=kannel-password')
"""




def locust(port: int, work: Path, label: str, env: dict, seconds: int) -> subprocess.Popen:
    prefix = work / label
    return subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(USERS), "-r", str(USERS),
         "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
         "--stop-timeout", "5", "--loglevel", "ERROR"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(work / f"{label}.log", "w"))


def results(work: Path, label: str) -> dict[str, dict]:
    with open(work / f"{label}_stats.csv", newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def emit_phase(label: str, rows: dict[str, dict]) -> None:
    total = rows["Aggregated"]
    n = int(total["Request Count"])
    _seed.emit(f"scaleout.{label}.requests_per_s", round(float(total["Requests/s"]), 1), "req/s", None, n,
               users=USERS, seconds=SECONDS)
    _seed.emit(f"scaleout.{label}.p95", float(total["95%"]), "ms", None, n)
    _seed.emit(f"scaleout.{label}.failures", int(total["Failure Count"]), "requests", 0, n)
    for name, row in rows.items():
        if name != "Aggregated":
            _seed.emit(f"scaleout.{label}.p95.{name.replace(' ', '_')}", float(row["95%"]), "ms", None,
                       int(row["Request Count"]))


def main() -> None:
    missing = cluster.missing_services()
    if missing:
        _seed.emit("scaleout", None, "", skipped="; ".join(missing))
        return
    work = Path(tempfile.mkdtemp(prefix="testigo-bench-scaleout-"))
    gateway = cluster.KannelGateway()
    nodes = cluster.Cluster(work / "cluster", web_workers=2, extra_env={"TESTIGO_ALLOW_PRIVATE_GATEWAYS": "1"})
    try:
        nodes.create_database()
        reports = _seed.report_count()
        code = (SEED.replace("BENCH", repr(str(ROOT / "bench"))).replace("REPORTS", str(reports))
                .replace("SECRET", repr(SMS_SECRET)).replace("GATEWAY", str(gateway.port)))
        out = nodes.script(code, timeout=3600)
        _seed.emit("scaleout.seed", float(re.search(r"SEEDED (\S+)", out).group(1)), "s", None, reports)
        env = dict(os.environ, SCALEOUT_SMS_PATH=urlsplit(re.search(r"Webhook URL: (\S+)", out).group(1)).path,
                   SCALEOUT_SMS_SECRET=SMS_SECRET, SCALEOUT_CATEGORY=re.search(r"CATEGORY (\d+)", out).group(1))
        ports = [nodes.start_node(0), nodes.start_node(1)]
        nodes.start_worker(0, periodic=True)
        nodes.start_worker(1, periodic=False)
        for port in ports:
            nodes.wait_until_serving(port)

        for label, serving in (("one_node", [0]), ("two_nodes", [0, 1])):
            port = nodes.start_nginx(serving)
            locust(port, work, f"warm_{label}", env, 3).wait()  # imports, templates, the map's memory
            locust(port, work, label, env, SECONDS).wait()
            nodes.stop_nginx()
            emit_phase(label, results(work, label))

        # The failover gap: the same load on two nodes; node 1 dies a third of the way in.
        failures = work / "failures.txt"
        failures.touch()
        port = nodes.start_nginx([0, 1])
        run = locust(port, work, "failover", dict(env, SCALEOUT_FAILURES=str(failures)), SECONDS)
        time.sleep(SECONDS / 3)
        killed_at = time.time()
        nodes.kill_node(1)
        run.wait()
        after = [float(line.split()[0]) for line in failures.read_text().splitlines() if line.strip()]
        after = [t for t in after if t >= killed_at - 0.5]
        gap = round(max(after) - killed_at, 2) if after else 0.0
        total = results(work, "failover")["Aggregated"]
        _seed.emit("scaleout.failover.gap", max(gap, 0.0), "s", "<= 2", len(after),
                   failed_requests=len(after), requests=int(total["Request Count"]))
        _seed.emit("scaleout.failover.requests_per_s", round(float(total["Requests/s"]), 1), "req/s", None,
                   int(total["Request Count"]))
    finally:
        nodes.close()
        gateway.server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
