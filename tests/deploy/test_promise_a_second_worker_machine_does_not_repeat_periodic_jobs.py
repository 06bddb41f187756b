"""Promise: a second worker machine (`testigo worker --no-periodic`, docs/deployment.md) takes jobs
from the shared queue without scheduling the periodic ones again (a second daily backup, alert
rules evaluated twice); a plain `testigo worker` schedules them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def worker_log(tmp_path, *options: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env.update(TESTIGO_DATA_DIR=str(tmp_path), TESTIGO_WORKERS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    worker = subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker", *options], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Periodic tasks are" in line:
                break
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    return "".join(lines)


@pytest.mark.slow
def test_promise_no_periodic_jobs_are_scheduled_by_a_worker_started_with_no_periodic(tmp_path):
    assert "Periodic tasks are disabled." in worker_log(tmp_path / "second", "--no-periodic")
    assert "Periodic tasks are enabled." in worker_log(tmp_path / "first")
