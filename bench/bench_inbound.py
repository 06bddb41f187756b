"""Inbound webhook throughput over HTTP: the production server (`testigo serve`'s gunicorn command)
on SQLite, SMSSync form posts, each acknowledged only after its row is committed. Then a crash
run: kill -9 the gunicorn workers during the load and count acknowledged messages missing from
the database afterwards (must be 0).

The load generator shares the machine's cores with the server, so it is kept cheap: one process
with an epoll loop over raw sockets (no http.client, no threads) holding BENCH_CLIENTS
connections, each sending its next message as soon as the previous one is answered, like many
gateways at once. Every message is distinct (its own message_id and text); a message counts as
acknowledged only on HTTP 200 with SMSSync's `"success": true`, which the server sends after the
commit. Its CPU use is reported (`client_cpu_cores`) next to the whole machine's.

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: a few seconds.
"""

from __future__ import annotations

import atexit
import os
import resource
import selectors
import shutil
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUICK = _seed.QUICK
SECRET = "bench-secret"
TIMEOUT = 10.0  # a request unanswered this long counts as failed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare() -> tuple[dict, str, Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="testigo-bench-inbound-"))
    atexit.register(shutil.rmtree, data_dir, True)
    (data_dir / "static").mkdir()
    env = dict(os.environ, TESTIGO_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="testigo.settings",
               PYTHONPATH=str(ROOT), TESTIGO_DATABASE_URL=f"sqlite:///{data_dir / 'testigo.sqlite3'}",
               TESTIGO_LOG_LEVEL="ERROR")
    # One process migrates and adds the channel, exactly as `testigo migrate` and
    # `testigo channel add smssync` would.
    script = ("import django; django.setup()\n"
              "from django.core.management import call_command\n"
              "call_command('migrate', verbosity=0)\n"
              f"call_command('channel', 'add', 'smssync', '--name', 'bench', '--secret', {SECRET!r})\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT, capture_output=True,
                         text=True).stdout
    url = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Webhook URL"))
    path = "/" + url.split("/", 3)[3]
    return env, path, data_dir / "testigo.sqlite3"


def start_server(env: dict, port: int, workers: int | None) -> tuple[subprocess.Popen, list[str]]:
    """gunicorn exactly as `testigo serve` starts it (same function builds the command)."""
    from testigo.core.management.commands.serve import gunicorn_command

    command = gunicorn_command(host="127.0.0.1", port=port, workers=workers)
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /ch/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(100).startswith(b"HTTP/1.1"):
                    return proc, command
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


class _Conn:
    __slots__ = ("sock", "out", "inbuf", "message_id", "t0")

    def __init__(self):
        self.sock, self.out, self.inbuf, self.message_id, self.t0 = None, b"", b"", "", 0.0


class Load:
    """`connections` concurrent senders over raw non-blocking sockets in one epoll loop."""

    def __init__(self, port: int, path: str, connections: int, seconds: float, tag: str = ""):
        self.port, self.path, self.connections, self.seconds, self.tag = port, path, connections, seconds, tag
        self.acknowledged: list[str] = []
        self.latencies: list[float] = []
        self.errors = 0
        self.head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ").encode()
        self.count = 0

    def _request(self, conn: _Conn) -> None:
        self.count += 1
        conn.message_id = uuid.uuid4().hex
        body = (f"from=%2B50499{self.count % 1000000:06d}&message=REPORTE+prueba+de+carga+{self.tag}{self.count}"
                f"&message_id={conn.message_id}&secret={SECRET}&sent_timestamp=1700000000000").encode()
        conn.out = self.head + str(len(body)).encode() + b"\r\n\r\n" + body
        conn.inbuf = b""
        conn.t0 = time.perf_counter()

    def _open(self, sel, conn: _Conn) -> None:
        """Connect (on loopback the handshake completes at once) and send the request straight
        away, as a gateway does."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        conn.sock = sock
        try:
            conn.out = conn.out[sock.send(conn.out):]
        except BlockingIOError:
            pass
        sel.register(sock, selectors.EVENT_WRITE if conn.out else selectors.EVENT_READ, conn)

    def _fail(self, sel, conn: _Conn, retry: list) -> None:
        self.errors += 1
        self._close(sel, conn)
        retry.append((time.monotonic() + 0.01, conn))  # the message is sent again as a new one

    def _close(self, sel, conn: _Conn) -> None:
        if conn.sock is not None:
            sel.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None

    def run(self) -> None:
        sel = selectors.EpollSelector()
        conns = [_Conn() for _ in range(self.connections)]
        retry: list = []
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        self.started = started = time.monotonic()
        stop_at = started + self.seconds
        for conn in conns:
            self._request(conn)
            self._open(sel, conn)
        while True:
            now = time.monotonic()
            sending = now < stop_at
            if not sending and not any(c.sock for c in conns):
                break
            if now > stop_at + TIMEOUT:
                self.errors += sum(1 for c in conns if c.sock)
                break
            if retry and sending:
                due = [item for item in retry if item[0] <= now]
                retry[:] = [item for item in retry if item[0] > now]
                for _t, conn in due:
                    self._request(conn)
                    try:
                        self._open(sel, conn)
                    except OSError:
                        retry.append((now + 0.05, conn))
            for key, events in sel.select(timeout=0.01):
                conn = key.data
                if events & selectors.EVENT_WRITE:
                    try:
                        sent = conn.sock.send(conn.out)
                    except OSError:
                        self._fail(sel, conn, retry)
                        continue
                    conn.out = conn.out[sent:]
                    if not conn.out:
                        sel.modify(conn.sock, selectors.EVENT_READ, conn)
                    continue
                try:
                    chunk = conn.sock.recv(65536)
                except OSError:
                    self._fail(sel, conn, retry)
                    continue
                if not chunk:
                    self._fail(sel, conn, retry)
                    continue
                conn.inbuf += chunk
                done = self._complete(conn.inbuf)
                if done is None:
                    continue
                ok, keep_alive = done
                if ok:
                    self.acknowledged.append(conn.message_id)
                    self.latencies.append(time.perf_counter() - conn.t0)
                else:
                    self.errors += 1
                if not keep_alive:
                    self._close(sel, conn)
                if time.monotonic() >= stop_at:
                    self._close(sel, conn)
                    continue
                self._request(conn)
                if keep_alive:
                    sel.modify(conn.sock, selectors.EVENT_WRITE, conn)
                    continue
                try:
                    self._open(sel, conn)
                except OSError:
                    self.errors += 1
                    retry.append((time.monotonic() + 0.05, conn))
            for conn in conns:  # a request the server never answered
                if conn.sock is not None and time.perf_counter() - conn.t0 > TIMEOUT:
                    self._fail(sel, conn, retry)
        self.elapsed = time.monotonic() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu_seconds = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        sel.close()

    @staticmethod
    def _acknowledged(head: bytes, body: bytes) -> bool:
        """SMSSync's answer after the commit: 200 with "success": true."""
        return head.startswith(b"http/1.1 200") and b'"success": true' in body

    @classmethod
    def _complete(cls, buf: bytes) -> tuple[bool, bool] | None:
        """(acknowledged, keep-alive) once a whole response is in `buf`; None while incomplete."""
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = buf[:end].lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(buf) < end + 4 + length:
            return None
        return cls._acknowledged(head, buf[end + 4:]), b"connection: close" not in head


def stored_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("select provider_id from channels_inboundmessage")}


def kill_workers(master: subprocess.Popen, stop: threading.Event, every: float, until: float) -> None:
    """SIGKILL every worker of the gunicorn master, repeatedly until `until` (time.monotonic);
    the master forks new ones, which then answer what is still waiting."""
    while not stop.wait(every) and time.monotonic() < until:
        children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def busy_cores() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def server_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time used so far by the gunicorn master and its live workers."""
    pids = [str(master.pid)] + subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True,
                                               text=True).stdout.split()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measure(master, port: int, path: str, connections: int, seconds: float, tag: str) -> tuple[Load, float, float]:
    """The load, the machine's busy cores and the server's CPU seconds during it."""
    load = Load(port, path, connections, seconds, tag)
    busy0, total0 = busy_cores()
    server0 = server_cpu_seconds(master)
    load.run()
    server = server_cpu_seconds(master) - server0
    busy1, total1 = busy_cores()
    return load, (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1), server


def main() -> None:
    env, path, db = prepare()
    port = free_port()
    workers = int(os.environ["BENCH_WORKERS"]) if os.environ.get("BENCH_WORKERS") else None
    connections = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = 3 if QUICK else 30
    master, command = start_server(env, port, workers)
    try:
        Load(port, path, connections, 1.0, "w").run()  # warm up workers, connections and caches
        load, machine, server_cpu = measure(master, port, path, connections, seconds, "m")
        lat = sorted(load.latencies)
        n = len(lat)
        server = " ".join(command[command.index("gunicorn"):])
        _seed.emit("inbound_webhook_throughput", round(n / load.elapsed, 1), "messages/s", ">= 1000", n,
                   server=server, connections=connections, errors=load.errors, cpus=os.cpu_count(),
                   client_cpu_cores=round(load.cpu_seconds / load.elapsed, 2), machine_busy_cores=round(machine, 2),
                   server_cpu_ms_per_message=round(server_cpu / max(1, n) * 1000, 3),
                   client_cpu_ms_per_message=round(load.cpu_seconds / max(1, n) * 1000, 3),
                   loadavg=Path("/proc/loadavg").read_text().split()[0])
        _seed.emit("inbound_webhook_p99", round(lat[int(n * 0.99) - 1] * 1000, 2), "ms", "<= 50", n)
        _seed.emit("inbound_webhook_p50", round(lat[n // 2] * 1000, 2), "ms", None, n)
        stop = threading.Event()
        crash_seconds, every = (4, 1.5) if QUICK else (20, 2.0)
        # Killing stops when the load stops sending, so restarted workers can answer what waits.
        killer = threading.Thread(target=kill_workers, args=(master, stop, every, time.monotonic() + crash_seconds))
        killer.start()
        try:
            crashed, _machine, _cpu = measure(master, port, path, connections, crash_seconds, "c")
        finally:
            stop.set()
            killer.join()
        missing = set(crashed.acknowledged) - stored_ids(db)
        _seed.emit("inbound_crash_acknowledged_missing", len(missing), "messages", "0", len(crashed.acknowledged),
                   failed_requests=crashed.errors, kill_every_s=every, seconds=round(crashed.elapsed, 1))
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(timeout=20)


if __name__ == "__main__":
    main()
