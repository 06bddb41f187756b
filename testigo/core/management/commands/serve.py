import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from testigo.core import nodes


class Command(BaseCommand):
    help = "Serve Testigo with gunicorn (production server). Static files are collected first."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("TESTIGO_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TESTIGO_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=None, help="default: TESTIGO_WEB_WORKERS")
        parser.add_argument("--with-worker", action="store_true", help="also run the job worker")

    def handle(self, *args, host, port, workers, with_worker, **options):
        nodes.refuse_without_shared_secrets()  # several nodes: shared secrets from the environment
        call_command("collectstatic", interactive=False, verbosity=0)
        run(host=host, port=port, workers=workers, with_worker=with_worker, stdout=self.stdout)


def gunicorn_command(*, host: str, port: int, workers: int | None = None, behind_proxy: bool = False) -> list[str]:
    """The production web server command (bench/bench_inbound.py measures exactly this one)."""
    workers = workers or int(os.environ.get("TESTIGO_WEB_WORKERS", "3"))
    # No access log: gunicorn's would record client addresses and user agents. Its error log
    # ("Invalid request from ip=...") goes through the address scrubber (core/serverlog.py).
    command = [sys.executable, "-m", "gunicorn", "testigo.wsgi:application", "--bind", f"{host}:{port}",
               "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "10",
               "--error-logfile", "-", "--log-level", "warning",
               "--logger-class", "testigo.core.serverlog.ScrubbedLogger"]
    if not behind_proxy:
        # gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default: any local process could
        # then pass plain HTTP off as HTTPS. Without a proxy nobody is trusted; behind one,
        # gunicorn's default (a proxy on this machine; FORWARDED_ALLOW_IPS to change it) applies.
        command += ["--forwarded-allow-ips", ""]
    return command


def run(*, host: str, port: int, workers: int | None, with_worker: bool, stdout, dev: bool = False) -> None:
    """Run the web server (and optionally the worker) until interrupted, then stop both. A worker
    that dies is restarted (JobWorker); the web server dying ends the run with a non-zero exit
    status, so its supervisor (systemd's Restart=on-failure, deploy/systemd/) starts it again."""
    env = dict(os.environ, TESTIGO_DATA_DIR=str(settings.DATA_DIR))
    worker = JobWorker(env=env, stdout=stdout) if with_worker else None
    if dev:
        command = [sys.executable, "-m", "testigo.cli", "runserver", f"{host}:{port}", "--noreload"]
    else:
        command = gunicorn_command(host=host, port=port, workers=workers, behind_proxy=settings.BEHIND_PROXY)
    web = subprocess.Popen(command, env=env)

    def stop(signum, frame):  # SIGTERM (systemd, docker, kill) must stop the children too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stdout.write(_("Testigo is running at %(url)s  (Ctrl-C to stop)") % {"url": f"http://{host}:{port}/"})
    try:
        while web.poll() is None:
            if worker is not None:
                worker.keep_running()
            try:
                web.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        return
    finally:
        _stop([web] + ([worker.process] if worker is not None else []))
    # Nobody asked it to stop: gunicorn's master died or could not start (a port in use).
    code = web.poll()
    stdout.write(_("The web server stopped by itself (exit code %(code)s).") % {"code": code})
    raise SystemExit(code if code and code > 0 else 1)


# How often the web server and the worker are looked at (a restart waits at least this long).
POLL_SECONDS = 1.0
# A worker that dies is restarted after 1 s, then 2, 4, ... up to a minute while it keeps dying
# (a worker that fails at start-up must not spin a core); one that ran for a minute starts over at 1 s.
WORKER_RESTART_FIRST_DELAY = 1.0
WORKER_RESTART_MAX_DELAY = 60.0
WORKER_STABLE_SECONDS = 60.0


class JobWorker:
    """The background worker beside the web server (`testigo demo`, `serve --with-worker`)."""

    def __init__(self, *, env: dict, stdout) -> None:
        self.env, self.stdout = env, stdout
        self.failures, self.restart_at = 0, None
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        self.started = time.monotonic()
        return subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker"], env=self.env)

    def keep_running(self) -> None:
        """Restart the worker if it died, after a pause that grows while it keeps dying."""
        code = self.process.poll()
        if code is None:
            return
        now = time.monotonic()
        if self.restart_at is None:
            self.failures = 0 if now - self.started >= WORKER_STABLE_SECONDS else self.failures + 1
            delay = min(WORKER_RESTART_MAX_DELAY, WORKER_RESTART_FIRST_DELAY * 2 ** (self.failures - 1)) \
                if self.failures else WORKER_RESTART_FIRST_DELAY
            self.restart_at = now + delay
            self.stdout.write(f"The background worker stopped (exit code {code}); restarting it in {delay:g} s.")
        elif now >= self.restart_at:
            self.restart_at = None
            self.process = self._start()


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
