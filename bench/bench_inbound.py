"""Inbound webhook throughput over HTTP: gunicorn + SQLite, SMSSync form posts, each acknowledged
only after its row is committed. Then a crash run: kill -9 the gunicorn workers during the load
and count acknowledged messages missing from the database afterwards (must be 0).

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: under a minute.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUICK = _seed.QUICK
BIN = Path(sys.executable).parent
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(settings_module: str) -> tuple[dict, str, Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="testigo-bench-inbound-"))
    (data_dir / "static").mkdir()
    env = dict(os.environ, TESTIGO_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE=settings_module,
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
               TESTIGO_DATABASE_URL=f"sqlite:///{data_dir / 'testigo.sqlite3'}", TESTIGO_LOG_LEVEL="ERROR")
    cli = [sys.executable, "-m", "testigo.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    out = subprocess.run([*cli, "channel", "add", "smssync", "--name", "bench", "--secret", SECRET],
                         env=env, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    url = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Webhook URL"))
    path = "/" + url.split("/", 3)[3]
    return env, path, data_dir / "testigo.sqlite3"


def start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    # gunicorn writes headers and body separately; without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every keep-alive response. Linux copies TCP_NODELAY from the listening socket to
    # accepted ones, so we bind the socket here (as a proxy would set nodelay) and hand it over.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "testigo.wsgi", "-b", f"fd://{listener.fileno()}", "-w", str(workers),
         "-k", "gthread", "--threads", str(threads), "--keep-alive", "30", "--log-level", "error"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        pass_fds=(listener.fileno(),))
    listener.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ch/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


class Load:
    """Threads posting SMSSync messages over keep-alive connections, like many gateways at once."""

    def __init__(self, port: int, path: str, threads: int, seconds: float):
        self.port, self.path, self.threads, self.seconds = port, path, threads, seconds
        self.acknowledged: list[str] = []
        self.latencies: list[float] = []
        self.errors = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        workers = [threading.Thread(target=self._worker, args=(i,)) for i in range(self.threads)]
        self.started = time.monotonic()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.elapsed = time.monotonic() - self.started

    def _worker(self, n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "keep-alive"}
        acked, lat, errors = [], [], 0
        while time.monotonic() - self.started < self.seconds:
            message_id = str(uuid.uuid4())
            body = urlencode({"from": f"+50499{n:02d}{len(acked) % 10000:04d}", "message": "REPORTE prueba de carga",
                              "message_id": message_id, "secret": SECRET, "sent_timestamp": "1700000000000"})
            t0 = time.perf_counter()
            try:
                conn.request("POST", self.path, body, headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                time.sleep(0.01)
                continue
            if response.status == 200 and b'"success": true' in payload:
                acked.append(message_id)
                lat.append(time.perf_counter() - t0)
            else:
                errors += 1
        with self.lock:
            self.acknowledged += acked
            self.latencies += lat
            self.errors += errors


def stored_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("select provider_id from channels_inboundmessage")}


def kill_workers(master: subprocess.Popen, stop: threading.Event, every: float) -> None:
    """SIGKILL every worker of the gunicorn master, repeatedly; the master forks new ones."""
    while not stop.wait(every):
        children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def run(settings_module: str, suffix: str, crash: bool) -> None:
    env, path, db = prepare(settings_module)
    port = free_port()
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    threads = int(os.environ.get("BENCH_THREADS", "4"))
    clients = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = 6 if QUICK else 30
    master = start_gunicorn(env, port, workers, threads)
    try:
        Load(port, path, clients, 1.0).run()  # warm up connections and caches
        load = Load(port, path, clients, seconds)
        load.run()
        lat = sorted(load.latencies)
        n = len(lat)
        _seed.emit(f"inbound_webhook_throughput{suffix}", round(n / load.elapsed, 1), "messages/s", ">= 1000", n,
                   workers=workers, threads=threads, clients=clients, errors=load.errors, cpus=os.cpu_count())
        _seed.emit(f"inbound_webhook_p99{suffix}", round(lat[int(n * 0.99) - 1] * 1000, 2), "ms", "<= 50", n)
        _seed.emit(f"inbound_webhook_p50{suffix}", round(lat[n // 2] * 1000, 2), "ms", None, n)
        if not crash:
            return
        stop = threading.Event()
        killer = threading.Thread(target=kill_workers, args=(master, stop, 2.0))
        crashed = Load(port, path, clients, 6 if QUICK else 20)
        killer.start()
        crashed.run()
        stop.set()
        killer.join()
        missing = set(crashed.acknowledged) - stored_ids(db)
        _seed.emit("inbound_crash_acknowledged_missing", len(missing), "messages", "0", len(crashed.acknowledged),
                   failed_requests=crashed.errors)
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(timeout=20)


def main() -> None:
    run("testigo.settings", "", crash=True)


if __name__ == "__main__":
    main()
