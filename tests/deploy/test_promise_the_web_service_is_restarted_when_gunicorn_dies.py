"""`testigo serve` exits with a failure status when gunicorn's master dies by itself, so systemd's
Restart=on-failure (deploy/systemd/testigo-web.service) brings the site back; a stop asked for
(SIGTERM from systemd) still ends it cleanly."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest

from testigo.core.management.commands import serve

WEB_THAT_RUNS = [sys.executable, "-c", "import time; time.sleep(60)"]


def _run_with_a_web_server(monkeypatch, then):
    real_popen, started = subprocess.Popen, []

    def popen(command, env):
        started.append(real_popen(WEB_THAT_RUNS, env=env))
        return started[-1]

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve, "POLL_SECONDS", 0.01, raising=False)
    handlers = {}
    monkeypatch.setattr(serve.signal, "signal", lambda signum, handler: handlers.setdefault(signum, handler))
    out, acted = io.StringIO(), []

    def poll_then():
        # run() polls the web server: act once it has started, from inside run's own loop.
        if started and not acted:
            acted.append(True)
            then(started[0], handlers)

    real_wait = real_popen.wait

    def wait(self, timeout=None):
        poll_then()
        return real_wait(self, timeout=timeout)

    monkeypatch.setattr(real_popen, "wait", wait)
    try:
        serve.run(host="127.0.0.1", port=8000, workers=1, with_worker=False, stdout=out)
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
    return out.getvalue()


def test_promise_a_dead_gunicorn_ends_serve_with_a_failure_status(monkeypatch):
    def kill_gunicorn(web, handlers):
        os.kill(web.pid, signal.SIGKILL)

    with pytest.raises(SystemExit) as exited:
        _run_with_a_web_server(monkeypatch, kill_gunicorn)
    assert exited.value.code not in (0, None)


def test_a_stop_asked_for_ends_serve_cleanly(monkeypatch):
    def systemd_stops_it(web, handlers):
        handlers[signal.SIGTERM](signal.SIGTERM, None)

    started = time.monotonic()
    _run_with_a_web_server(monkeypatch, systemd_stops_it)  # returns: exit status 0
    assert time.monotonic() - started < 20
