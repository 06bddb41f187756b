"""`testigo demo` (and `serve --with-worker`) keeps the web server up when the background worker
dies, and restarts the worker with a growing pause; the web server stopping still ends the run."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time

from testigo.core.management.commands import serve

WORKER_THAT_DIES = [sys.executable, "-c", "import sys; sys.exit(3)"]
WEB_THAT_RUNS = [sys.executable, "-c", "import time; time.sleep(60)"]


def _run_until_the_web_server_dies(**kwargs):
    try:
        serve.run(**kwargs)
    except SystemExit as exc:  # the web server died by itself: a failure status, for systemd
        assert exc.code != 0


def test_promise_a_dying_worker_is_restarted_and_the_web_server_stays_up(monkeypatch, settings, tmp_path):
    real_popen, started = subprocess.Popen, {"web": [], "worker": []}

    def popen(command, env):
        role = "worker" if command[-1] == "worker" else "web"
        process = real_popen(WORKER_THAT_DIES if role == "worker" else WEB_THAT_RUNS, env=env)
        started[role].append(process)
        return process

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve.signal, "signal", lambda *args: None)  # run() is not in the main thread here
    monkeypatch.setattr(serve, "POLL_SECONDS", 0.01, raising=False)
    monkeypatch.setattr(serve, "WORKER_RESTART_FIRST_DELAY", 0.01, raising=False)
    out = io.StringIO()
    runner = threading.Thread(target=_run_until_the_web_server_dies, kwargs={"host": "127.0.0.1", "port": 8000, "workers": 1,
                                                        "with_worker": True, "stdout": out})
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while len(started["worker"]) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(started["worker"]) >= 4, out.getvalue()  # died three times, restarted each time
        assert len(started["web"]) == 1 and started["web"][0].poll() is None  # the site never went down
        assert "The background worker stopped (exit code 3); restarting it in" in out.getvalue()
    finally:
        for process in started["web"]:
            process.terminate()
        runner.join(timeout=20)
    assert not runner.is_alive()  # the web server stopping ends the run


def test_restart_pauses_grow_while_the_worker_keeps_dying(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(serve.time, "monotonic", lambda: clock[0])

    class Dead:
        def poll(self):
            return 1

    monkeypatch.setattr(serve.subprocess, "Popen", lambda command, env: Dead())
    out = io.StringIO()
    worker = serve.JobWorker(env={}, stdout=out)
    delays = []
    for _ in range(9):
        worker.keep_running()  # notices the death, schedules the restart
        delays.append(worker.restart_at - clock[0])
        clock[0] = worker.restart_at
        worker.keep_running()  # restarts it; it dies again at once
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    clock[0] += serve.WORKER_STABLE_SECONDS  # this time it ran for a minute before dying
    worker.keep_running()
    assert worker.restart_at - clock[0] == 1
