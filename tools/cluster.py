"""A scaled-out Testigo on this machine: N `testigo serve` nodes (each its own data directory), M
`testigo worker`s, one PostgreSQL database and one Redis, and Debian's nginx in front as the load
balancer, configured from the files in deploy/nginx/ as docs/scale-out.md installs them.

Used by tests/deploy/test_promise_two_nodes_behind_nginx_lose_nothing_when_one_dies.py and
bench/bench_scaleout.py; loaded by file path (tools/ is not a package). Everything listens on
127.0.0.1 only, on free ports, and every process it starts is stopped by `close()`.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'testigo.settings'); django.setup()\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def postgres_server_url() -> str:
    return os.environ.get("TESTIGO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_admin_url() -> str:
    """The server of TESTIGO_TEST_POSTGRES_URL, through its maintenance database (`postgres`): the
    database the URL names need not exist, only the server; clusters make databases of their own."""
    return _with_database(postgres_server_url(), "postgres")


def redis_url() -> str:
    return os.environ.get("TESTIGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def missing_services() -> list[str]:
    """What this machine lacks for a cluster, one phrase each (empty when everything is there)."""
    missing = []
    if not nginx_binary():
        missing.append("nginx (apt-get install nginx)")
    try:
        import psycopg

        psycopg.connect(postgres_admin_url(), connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        missing.append(f"PostgreSQL at {postgres_server_url()} ({type(exc).__name__}; set TESTIGO_TEST_POSTGRES_URL)")
    try:
        import redis

        redis.Redis.from_url(redis_url(), socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        missing.append(f"Redis at {redis_url()} ({type(exc).__name__}; set TESTIGO_TEST_REDIS_URL)")
    return missing


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class Cluster:
    """Start with `Cluster(work_dir)`, then `create_database()`, `manage(...)`/`script(...)`,
    `start_node(i)`, `start_worker(i)`, `start_nginx([i, ...])`; `close()` stops everything."""

    def __init__(self, work: Path, *, web_workers: int = 2, job_threads: int = 2, extra_env: dict | None = None):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        server = postgres_server_url()
        base = urlsplit(server).path.strip("/") or "postgres"
        self.database_name = f"{base}_cluster_{secrets.token_hex(4)}"
        self.server_url = postgres_admin_url()
        self.database_url = _with_database(server, self.database_name)
        self.redis_url = redis_url()
        self.queue_name = f"testigocluster{secrets.token_hex(4)}"  # Huey drops hyphens from key names
        self.secret_key = secrets.token_urlsafe(48)
        self.pepper = secrets.token_hex(32)
        self.web_workers, self.job_threads = web_workers, job_threads
        self.extra_env = dict(extra_env or {})
        self.nodes: dict[int, tuple[subprocess.Popen, int]] = {}
        self.workers: dict[int, subprocess.Popen] = {}
        self.nginx_port: int | None = None
        self._nginx_prefix: Path | None = None
        self._database_created = False

    # --- environment and commands -------------------------------------------------------------
    def env(self, name: str) -> dict:
        """The environment of one machine: its own data directory, the shared everything else.
        Files are shared as docs/deployment.md section 11 mounts them over NFS: DATA_DIR/media
        is the shared directory (a symbolic link here), and so is TESTIGO_TIP_STORAGE_DIR."""
        data_dir = self.work / name
        data_dir.mkdir(mode=0o700, exist_ok=True)
        shared = self.work / "shared"
        for folder in ("media", "tipline"):
            (shared / folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (data_dir / "media").exists():
            (data_dir / "media").symlink_to(shared / "media", target_is_directory=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
            TESTIGO_DATA_DIR=str(data_dir), TESTIGO_DATABASE_URL=self.database_url,
            TESTIGO_QUEUE_URL=self.redis_url, TESTIGO_CACHE_URL=self.redis_url, TESTIGO_QUEUE_NAME=self.queue_name,
            TESTIGO_SECRET_KEY=self.secret_key, TESTIGO_TIPLINE_PEPPER=self.pepper,
            TESTIGO_ALLOWED_HOSTS="127.0.0.1,localhost", TESTIGO_BEHIND_PROXY="1",
            TESTIGO_WEB_WORKERS=str(self.web_workers), TESTIGO_WORKERS=str(self.job_threads),
            TESTIGO_LOG_LEVEL="ERROR", TESTIGO_TIP_STORAGE_DIR=str(shared / "tipline"),
        )
        env.update(self.extra_env)
        return env

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database_name}"')
        self._database_created = True

    def manage(self, *args: str, timeout: float = 600) -> str:
        """`testigo ARGS` on a management machine (its own data directory)."""
        result = subprocess.run([sys.executable, "-m", "testigo.cli", *args], env=self.env("manage"), cwd=ROOT,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"testigo {' '.join(args)} failed: {result.stdout[-2000:]}{result.stderr[-3000:]}")
        return result.stdout

    def script(self, code: str, timeout: float = 600) -> str:
        """Python with Django set up, on the management machine."""
        result = subprocess.run([sys.executable, "-c", SETUP + code], env=self.env("manage"), cwd=ROOT,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"script failed: {result.stderr[-3000:]}")
        return result.stdout

    # --- processes ----------------------------------------------------------------------------
    def start_node(self, index: int) -> int:
        """`testigo serve` (gunicorn) on a free port; returns the port. Its own process group, so
        kill() takes the whole node (testigo serve, gunicorn's master and its workers) at once."""
        port = free_port()
        log = open(self.work / f"node{index}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "testigo.cli", "serve", "--host", "127.0.0.1", "--port",
                                 str(port)], env=self.env(f"node{index}"), cwd=ROOT, stdout=log, stderr=log,
                                start_new_session=True)
        self.nodes[index] = (proc, port)
        return port

    def start_worker(self, index: int, *, periodic: bool) -> subprocess.Popen:
        log = open(self.work / f"worker{index}.log", "ab")
        command = [sys.executable, "-m", "testigo.cli", "worker"] + ([] if periodic else ["--no-periodic"])
        proc = subprocess.Popen(command, env=self.env(f"worker{index}"), cwd=ROOT, stdout=log, stderr=log,
                                start_new_session=True)
        self.workers[index] = proc
        return proc

    def wait_until_serving(self, port: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/help/", timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        logs = "".join(p.read_text(errors="replace")[-1500:] for p in self.work.glob("node*.log"))
        raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s; {logs}")

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """kill -9 a process and everything it started, as when its machine dies."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def kill_node(self, index: int) -> None:
        self.kill(self.nodes[index][0])

    def kill_worker(self, index: int) -> None:
        self.kill(self.workers[index])

    # --- nginx --------------------------------------------------------------------------------
    def start_nginx(self, nodes: list[int]) -> int:
        """Debian's nginx in front of the given nodes, from deploy/nginx/testigo-upstream-nodes.conf
        and the shared proxy snippet, as shipped; only addresses, ports and paths are replaced."""
        prefix = self.work / "nginx"
        for folder in ("conf", "logs", "body", "proxy"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        os.chmod(prefix, 0o755)
        upstream = (DEPLOY / "nginx" / "testigo-upstream-nodes.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{self.nodes[i][1]} max_fails=1 fail_timeout=10s;\n" for i in nodes)
        upstream = re.sub(r"(?m)^    server web\d\.internal:8000[^\n]*\n", "", upstream)
        upstream = upstream.replace("upstream testigo_app {\n", "upstream testigo_app {\n" + servers, 1)
        (prefix / "conf" / "testigo-upstream-nodes.conf").write_text(upstream)
        proxy = (DEPLOY / "nginx" / "testigo-proxy.conf").read_text().replace(
            "/run/testigo-nginx-body", str(prefix / "body"))
        (prefix / "conf" / "testigo-proxy.conf").write_text(proxy)
        self.nginx_port = free_port()
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log crit;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    include {prefix}/conf/testigo-upstream-nodes.conf;
    server {{
        listen 127.0.0.1:{self.nginx_port};
        server_name localhost;
        include {prefix}/conf/testigo-proxy.conf;
    }}
}}
""")
        os.chmod(prefix / "body", 0o777)
        os.chmod(prefix / "proxy", 0o777)
        subprocess.run([nginx_binary(), "-t", "-q", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                       check=True, capture_output=True)
        subprocess.run([nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf")], check=True)
        self._nginx_prefix = prefix
        return self.nginx_port

    def stop_nginx(self) -> None:
        if self._nginx_prefix is None:
            return
        subprocess.run([nginx_binary(), "-p", str(self._nginx_prefix), "-c", str(self._nginx_prefix / "nginx.conf"),
                        "-s", "stop"], capture_output=True)
        self._nginx_prefix = None

    # --- the end ------------------------------------------------------------------------------
    def close(self) -> None:
        self.stop_nginx()
        for proc in [p for p, _port in self.nodes.values()] + list(self.workers.values()):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(proc)
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(f"*{self.queue_name}*"):
                client.delete(key)
        except Exception:  # noqa: BLE001 - cleaning up is best effort
            pass
        if self._database_created:
            import psycopg

            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            self._database_created = False


class KannelGateway:
    """Kannel's sendsms as far as Testigo sees it, on 127.0.0.1: accepts every message and counts
    it by the outbox id in its delivery-report URL (`received`). `delay` seconds per message widen
    the races between workers."""

    def __init__(self, delay: float = 0.0):
        self.received: Counter[int] = Counter()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                query = parse_qs(urlsplit(self.path).query)
                dlr = parse_qs(urlsplit(query.get("dlr-url", [""])[0]).query)
                if delay:
                    time.sleep(delay)
                if "id" in dlr:
                    with gateway.lock:
                        gateway.received[int(dlr["id"][0])] += 1
                body = b"0: Accepted for delivery"
                self.send_response(202)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/cgi-bin/sendsms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
