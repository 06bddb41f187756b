"""Promise: workers on several hosts (`testigo worker` on one Redis queue and one PostgreSQL, each
with its own data directory) never do the same work twice where it matters, and periodic jobs fire
once across hosts.

Two real worker processes drain, at the same time, an outbox of 240 messages (each reaches the
gateway once: claims are conditional UPDATEs under the channel row's lock), a rule evaluation
enqueued ten times (one alert), and an import enqueued twice (each row imported once: the import
is claimed by a conditional UPDATE, and its rows' fingerprints are unique). The periodic check of
two consumers at the same minute enqueues each due job once (core/periodic.py).

Needs Redis (TESTIGO_TEST_REDIS_URL, default redis://127.0.0.1:6379/15) and runs in the PostgreSQL
pass."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

_spec = importlib.util.spec_from_file_location(
    "testigo_tools_cluster", Path(__file__).resolve().parents[2] / "tools" / "cluster.py")
cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TESTIGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SETUP = "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','testigo.settings');django.setup();"
SECRET_KEY = "k" * 64
PEPPER = "ab" * 32

pytestmark = [pytest.mark.slow, pytest.mark.services]


def _require_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"TESTIGO_REQUIRE_SERVICES=1 but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}; set TESTIGO_TEST_REDIS_URL to run the two-worker tests")
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def queue_name():
    client = _require_redis()
    name = f"testigo-once-{uuid.uuid4().hex[:8]}"
    yield name
    for key in client.keys(f"{name}*"):
        client.delete(key)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _node_env(data_dir: Path, queue_name: str, media: Path | None = None) -> dict:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if media is not None and not (data_dir / "media").exists():
        (data_dir / "media").symlink_to(media)  # the shared file store (NFS in docs/deployment.md)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env.update(TESTIGO_DATA_DIR=str(data_dir), TESTIGO_DATABASE_URL=_database_url(), TESTIGO_QUEUE_URL=REDIS_URL,
               TESTIGO_QUEUE_NAME=queue_name, TESTIGO_SECRET_KEY=SECRET_KEY, TESTIGO_TIPLINE_PEPPER=PEPPER,
               TESTIGO_ALLOW_PRIVATE_GATEWAYS="1", TESTIGO_WORKERS="2",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    return env


def _run(env: dict, code: str) -> str:
    result = subprocess.run([sys.executable, "-c", SETUP + code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()




def _start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_promise_two_worker_hosts_send_each_message_once_fire_each_rule_once_and_import_each_row_once(
        tmp_path, queue_name, settings, monkeypatch, admin_user, report_factory, category):
    if connection.vendor != "postgresql":
        pytest.skip("workers on several hosts share PostgreSQL (runs in the PostgreSQL pass)")
    from testigo.alerts.models import Alert, Rule
    from testigo.channels import outbox, services
    from testigo.channels.models import Contact, OutboundMessage
    from testigo.core import roles
    from testigo.reports import services as report_services
    from testigo.reports.models import Report
    from testigo.surveys import importing
    from testigo.surveys.models import Import, ImportRow

    settings.ALLOW_PRIVATE_GATEWAYS = True
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    gateway = cluster.KannelGateway(delay=0.01)  # a gateway takes a moment: widens every race
    workers = []
    try:
        # The outbox: 240 messages, queued without starting the sending here (the workers send).
        monkeypatch.setattr(outbox, "_start_sending", lambda *args, **kwargs: None)
        channel = services.add_channel(actor=roles.SYSTEM, type_code="kannel", name="kannel", rate_per_second=1000,
                                       config={"secret": "kannel-key", "sendsms_url": gateway.url,
                                               "username": "testigo", "password": "x"})
        contacts = Contact.objects.bulk_create([Contact(scheme="tel", address=f"+50490{i:06d}") for i in range(240)])
        queued = outbox.queue_many(messages=[outbox.Outgoing(channel_id=channel.pk, contact_id=c.pk,
                                                             text=f"Alerta {c.pk}") for c in contacts])
        assert len(queued) == 240
        # A rule over three verified reports in one place: one alert, however often it is evaluated.
        for _ in range(3):
            report_services.verify(report=report_factory(lat=14.0723, lon=-87.1921), actor=admin_user)
        Rule.objects.create(name="3 robos", category=category.parent, min_reports=3, radius_m=500, hours=24,
                            verified_only=True)
        rule_alerts_before = Alert.objects.filter(kind=Alert.Kind.RULE).count()
        # An import of 200 rows, in the file store both workers share.
        rows = "".join(f"Robo {i},14.{i:04d},-87.2\n" for i in range(200))
        imp = importing.create_import(actor=admin_user, name="datos.csv", data=("Título,Lat,Lon\n" + rows).encode())
        importing.set_mapping(actor=admin_user, imp=imp, mapping_json={"columns": {"Título": "title", "Lat": "lat",
                                                                                   "Lon": "lon"}})
        Import.objects.filter(pk=imp.pk).update(status=Import.Status.QUEUED)
        reports_before = Report.objects.count()

        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        workers = [_start_worker(_node_env(tmp_path / host, queue_name, media), log)
                   for host, log in zip(("host-a", "host-b"), logs, strict=True)]
        _wait_for(lambda: all("consumer started" in log.read_text().lower() for log in logs), 90, "both workers")
        _run(_node_env(tmp_path / "web", queue_name),
             "from testigo.channels.tasks import send_outbox_task, send_bulk_task\n"
             "from testigo.alerts.tasks import evaluate_rules_task\n"
             "from testigo.surveys.tasks import run_import_task\n"
             f"run_import_task({imp.pk}); run_import_task({imp.pk})\n"
             "for _ in range(10): evaluate_rules_task()\n"
             f"for _ in range(12): send_outbox_task(); send_bulk_task({channel.pk})\n")

        _wait_for(lambda: not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists(), 120,
                  "every message sent")
        _wait_for(lambda: Import.objects.get(pk=imp.pk).status == Import.Status.DONE and
                  ImportRow.objects.filter(source_import=imp).count() == 200, 120, "the import")
        time.sleep(2)  # let any second run of a job finish before counting
        assert gateway.received.keys() == set(queued.values())
        assert set(gateway.received.values()) == {1}, "a message reached the gateway twice"
        assert Alert.objects.filter(kind=Alert.Kind.RULE).count() == rule_alerts_before + 1
        assert Report.objects.count() - reports_before == 200
        assert ImportRow.objects.count() == 200
        executed = [log.read_text().count("Executing testigo.") for log in logs]
        assert all(executed), f"both workers took jobs: {executed}"
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        gateway.close()


def test_promise_periodic_jobs_fire_once_across_two_worker_hosts(tmp_path, queue_name):
    """Two consumers (separate processes, as on two hosts) check the same minutes at the same time:
    each job due in a minute is enqueued by exactly one of them, and the next minute again."""
    check = ("import datetime, json\n"
             "from django.utils.module_loading import autodiscover_modules\n"
             "from huey.contrib.djhuey import HUEY\n"
             "autodiscover_modules('tasks')  # as the consumer does: every app's jobs registered\n"
             "minutes = [datetime.datetime(2026, 3, 1, 3, m) for m in range(0, 30)]\n"
             "print(json.dumps([[t.name for t in HUEY.read_periodic(ts)] for ts in minutes]))\n")
    env_a = _node_env(tmp_path / "host-a", queue_name)
    env_b = _node_env(tmp_path / "host-b", queue_name)
    procs = [subprocess.Popen([sys.executable, "-c", SETUP + check], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for env in (env_a, env_b)]
    import json

    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    due = json.loads(_run(_node_env(tmp_path / "host-c", f"{queue_name}-fresh"), check))  # a queue no one claimed
    assert any(due), "some periodic job is due in these minutes"
    for minute, names in enumerate(due):
        fired = results[0][minute] + results[1][minute]
        assert sorted(fired) == sorted(names), f"minute {minute}: {fired} vs {names}"
