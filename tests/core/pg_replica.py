"""A real PostgreSQL streaming replica of the test cluster, for the read-replica tests.

`pg_replica` (session-scoped) copies the cluster at TESTIGO_TEST_POSTGRES_URL's host and port
(default 127.0.0.1:5432) with `pg_basebackup -R` into a temporary directory and starts it with
`pg_ctl` on a free port, as the `postgres` OS user when the tests run as root (CI). The primary's
pg_hba.conf must allow replication connections from 127.0.0.1 (.ci/run adds the line). Skipped
with the reason when the PostgreSQL server binaries are absent or the copy is refused; a failure
under TESTIGO_REQUIRE_SERVICES=1.

`replica_alias` adds the replica to Django's connections as "replica_1" for one test.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

REQUIRED = os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1"


def _unavailable(message: str):
    if REQUIRED:
        pytest.fail(f"TESTIGO_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


def pg_bin() -> str | None:
    if os.environ.get("TESTIGO_PG_BIN"):
        return os.environ["TESTIGO_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    which = shutil.which("pg_basebackup")
    return os.path.dirname(which) if which else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Replica:
    host: str
    port: int
    directory: str


def _as_postgres(argv: list[str]) -> list[str]:
    """Run as the postgres OS user when we are root (the server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _primary() -> tuple[str, int, str]:
    url = urlparse(os.environ.get("TESTIGO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"))
    return url.hostname or "127.0.0.1", url.port or 5432, url.username or "postgres"


def _psql(bindir: str, host: str, port: int, user: str, sql: str) -> str:
    result = subprocess.run([os.path.join(bindir, "psql"), "-h", host, "-p", str(port), "-U", user, "-d", "postgres",
                             "-Atc", sql], capture_output=True, text=True, timeout=30)
    if result.returncode:
        raise RuntimeError(result.stderr.strip())
    return result.stdout.strip()


@pytest.fixture(scope="session")
def pg_replica():
    bindir = pg_bin()
    if not bindir or not os.path.exists(os.path.join(bindir, "pg_ctl")):
        _unavailable("the PostgreSQL server binaries (pg_basebackup, pg_ctl) were not found; "
                     "apt-get install postgresql, or set TESTIGO_PG_BIN")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        _unavailable("running as root without runuser to start PostgreSQL as the postgres user")
    host, port, user = _primary()
    psql_bin = bindir if os.path.exists(os.path.join(bindir, "psql")) else os.path.dirname(shutil.which("psql") or "")
    try:
        limits = _psql(psql_bin, host, port, user,
                       "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN "
                       "('max_connections','max_worker_processes','max_wal_senders','max_prepared_transactions',"
                       "'max_locks_per_transaction')")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"the PostgreSQL primary at {host}:{port} did not answer ({exc})")
    directory = tempfile.mkdtemp(prefix="testigo-replica-")
    os.chmod(directory, 0o700)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    copy = subprocess.run(_as_postgres([os.path.join(bindir, "pg_basebackup"), "-h", host, "-p", str(port), "-U", user,
                                        "-D", directory, "-R", "-X", "stream", "-c", "fast", "--no-sync"]),
                          capture_output=True, text=True, timeout=300)
    if copy.returncode:
        shutil.rmtree(directory, ignore_errors=True)
        _unavailable(f"pg_basebackup from {host}:{port} failed: {copy.stderr.strip()[-400:]} (the primary's "
                     "pg_hba.conf needs `host replication postgres 127.0.0.1/32 trust`: .ci/run adds it)")
    replica_port = free_port()
    # Debian keeps the configuration outside the data directory: the copy gets its own.
    config = {"port": replica_port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{directory}'",
              "hot_standby": "on", "fsync": "off", "logging_collector": "off"}
    config.update(dict(item.split("=", 1) for item in limits.split()))
    for name, text in {"postgresql.conf": "".join(f"{k} = {v}\n" for k, v in config.items()),
                       "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
                       "pg_ident.conf": ""}.items():
        path = os.path.join(directory, name)
        with open(path, "w") as handle:
            handle.write(text)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")
    log = os.path.join(directory, "server.log")
    start = subprocess.run(_as_postgres([os.path.join(bindir, "pg_ctl"), "-D", directory, "-l", log, "-w", "-t", "60",
                                         "start"]), capture_output=True, text=True, timeout=90)
    replica = Replica(host="127.0.0.1", port=replica_port, directory=directory)
    try:
        if start.returncode:
            tail = open(log).read()[-800:] if os.path.exists(log) else ""
            _unavailable(f"the replica did not start: {start.stderr.strip()} {tail}")
        deadline = time.monotonic() + 60
        while True:
            try:
                if _psql(psql_bin, replica.host, replica.port, user, "SELECT pg_is_in_recovery()") == "t":
                    break
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() > deadline:
                pytest.fail("the replica started but never accepted connections as a standby")
            time.sleep(0.2)
        yield replica
    finally:
        subprocess.run(_as_postgres([os.path.join(bindir, "pg_ctl"), "-D", directory, "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


ALIAS = "replica_1"


def add_alias(settings_dict: dict) -> None:
    """Register "replica_1" with Django's connections (before the test's database setup, which
    checks the aliases a test names in `databases`)."""
    from django.db import connections

    from testigo.core.db import replicas

    connections.settings[ALIAS] = settings_dict
    replicas.forget_health()


def remove_alias() -> None:
    from django.db import connections

    from testigo.core.db import replicas

    try:
        connections[ALIAS].close()
        del connections[ALIAS]
    finally:
        connections.settings.pop(ALIAS, None)
        replicas.forget_health()


@pytest.fixture(scope="module")
def replica_alias(request, django_db_setup, django_db_blocker):
    """The replica as Django's "replica_1" for a module's tests, which name it in
    `@pytest.mark.django_db(databases=["default", "replica_1"])`. Same database name as the test
    database; a mirror of "default" for the test machinery (never flushed: it is read-only)."""
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        pytest.skip("a PostgreSQL streaming replica needs a PostgreSQL primary (runs in the PostgreSQL pass)")
    pg_replica = request.getfixturevalue("pg_replica")
    primary = connections["default"].settings_dict
    add_alias(dict(primary, HOST=pg_replica.host, PORT=str(pg_replica.port), CONN_MAX_AGE=0,
                   TEST=dict(primary.get("TEST", {}), MIRROR="default")))
    try:
        yield ALIAS
    finally:
        with django_db_blocker.unblock():
            try:
                with connections[ALIAS].cursor() as cursor:
                    cursor.execute("SELECT pg_wal_replay_resume()")  # never leave replay paused
            except Exception:
                pass
            remove_alias()
