import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Testigo with gunicorn (production server). Static files are collected first."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("TESTIGO_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TESTIGO_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=None, help="default: TESTIGO_WEB_WORKERS")
        parser.add_argument("--with-worker", action="store_true", help="also run the job worker")

    def handle(self, *args, host, port, workers, with_worker, **options):
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
    """Run the web server (and optionally the worker) until interrupted, then stop both."""
    env = dict(os.environ, TESTIGO_DATA_DIR=str(settings.DATA_DIR))
    children = []
    if with_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker"], env=env))
    if dev:
        web = [sys.executable, "-m", "testigo.cli", "runserver", f"{host}:{port}", "--noreload"]
    else:
        web = gunicorn_command(host=host, port=port, workers=workers, behind_proxy=settings.BEHIND_PROXY)
    children.append(subprocess.Popen(web, env=env))

    def stop(signum, frame):  # SIGTERM (systemd, docker, kill) must stop the children too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stdout.write(f"Testigo is running at http://{host}:{port}/  (Ctrl-C to stop)")
    try:
        while all(child.poll() is None for child in children):
            try:
                children[-1].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
