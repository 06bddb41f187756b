"""Promise (issue #25, docs/scale-out.md#moving-a-single-machine-install): a single machine's
install (SQLite, local files, generated secrets) moves onto PostgreSQL with the two commands it
already has: `testigo backup` on the old machine, `testigo restore` on the new one, whose
TESTIGO_DATABASE_URL names an empty PostgreSQL database. Everything is there afterwards, as it was:

- every report, with the same public (fuzzed) location, so the public map does not move;
- every photo, byte for byte; the audit trail, whose hash chain still verifies;
- staff passwords; the tip line: a source's codename still opens their conversation (the
  pepper travels in the archive) and staff still read the tip;
- new rows get new ids (every sequence is past the copied rows), and the public search works.

A backup of another schema is refused with a message saying what to do. Real processes, a
real PostgreSQL database (made next to TESTIGO_TEST_POSTGRES_URL's, dropped at the end); skipped
when PostgreSQL is not reachable, a failure under TESTIGO_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'testigo.settings'); django.setup()\n"
PASSPHRASE = "seven long words for the move"
TIP_TEXT = "El hermano del alcalde guarda el libro de cuentas en la iglesia"

SEED = r"""
import io, json
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image
from testigo.core import roles
from testigo.reports import services as rs
from testigo.reports.models import Category
from testigo.tipline import services as tips, vault
call_command('migrate', verbosity=0)
admin = get_user_model().objects.create_user(username='jefa', password='correct horse battery')
roles.set_role(admin, roles.ADMIN)
vault.initialise(user=admin, password='correct horse battery')
category = Category.objects.create(slug='extorsion', name_es='Extorsión', name_en='Extortion')
for i in range(6):
    out = io.BytesIO()
    Image.new('RGB', (40, 30), (40 * i, 90, 200)).save(out, 'JPEG')
    report = rs.create_report(title=f'Extorsión en el mercado {i}', description=f'Cobran cuota a los comerciantes {i}',
                              lat=14.07 + i / 100, lon=-87.19, reporter_contact=f'+5049000000{i}', categories=[category],
                              photos=[(f'foto{i}.jpg', out.getvalue())], actor=admin)
    if i % 2 == 0:
        rs.verify(report=report, actor=admin)
        rs.publish(report=report, actor=admin)
_access, codename = tips.submit_tip(body=TIP_TEXT, language='es', files=[('libro.pdf', b'%PDF-1.4 cuentas')])
print('CODENAME', codename)
"""

SNAPSHOT = r"""
import hashlib, json
from django.test import Client
from testigo.core import audit
from testigo.reports.models import Media, Report
check = audit.verify()
public = Client().get('/api/v1/reports', HTTP_HOST='localhost').json()
print(json.dumps({
    'reports': sorted(Report.objects.values_list('reference', 'title', 'description', 'reporter_contact', 'status')),
    'public': sorted((r['reference'], r.get('lat'), r.get('lon')) for r in public['items']),
    'media': sorted((m.file.name, hashlib.sha256(m.file.open('rb').read()).hexdigest()) for m in Media.objects.all()),
    'audit_ok': check.ok, 'audit_problems': [str(p) for p in check.problems][:3],
}))
"""

AFTER = r"""
import json
from django.contrib.auth import authenticate, get_user_model
from django.test import Client
from testigo.reports import services as rs
from testigo.tipline import selectors, services as tips, vault
from testigo.tipline.models import Tip
access = tips.source_login(codename=CODENAME)
tip, box_key = tips.source_box_key(access)
staff = authenticate(username='jefa', password='correct horse battery')
org_private = vault._unwrap_for(staff, 'correct horse battery')
messages = selectors.conversation_for_staff(staff, org_private=org_private, tip=Tip.objects.get())
newest = rs.create_report(title='Nuevo después de la mudanza', description='Llegó por el formulario', lat=14.1, lon=-87.2)
search = Client().get('/api/v1/reports', {'q': 'extorsion'}, HTTP_HOST='localhost').json()
print(json.dumps({'staff': staff is not None, 'tip': [m.body for m in messages],
                  'new_id': newest.pk, 'found': len(search['items'])}))
"""


def _postgres_url() -> str:
    server = os.environ.get("TESTIGO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        psycopg.connect(_admin(server), connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        message = f"PostgreSQL not reachable at {server} ({type(exc).__name__}); set TESTIGO_TEST_POSTGRES_URL"
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail("TESTIGO_REQUIRE_SERVICES=1 but " + message)
        pytest.skip(message)
    return server


def _admin(server: str) -> str:
    """The server's maintenance database: the database the URL names need not exist."""
    return urlunsplit(urlsplit(server)._replace(path="/postgres"))


def _env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
               TESTIGO_DATA_DIR=str(data_dir), TESTIGO_LOG_LEVEL="ERROR", TESTIGO_ALLOWED_HOSTS="localhost",
               TESTIGO_LANGUAGE="en")  # the messages below are asserted in English
    env.update({f"TESTIGO_{k}": v for k, v in extra.items()})
    return env


def _run(env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def _script(env: dict, code: str, **values) -> str:
    for name, value in values.items():
        code = code.replace(name, repr(value))
    return _run(env, "-c", SETUP + code).stdout


@pytest.fixture
def postgres_database():
    server = _postgres_url()
    import psycopg

    name = f"{(urlsplit(server).path.strip('/') or 'postgres')}_move_{secrets.token_hex(4)}"
    with psycopg.connect(_admin(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path="/" + name))
    finally:
        with psycopg.connect(_admin(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.services
@pytest.mark.slow
def test_promise_a_sqlite_install_moves_onto_postgresql_with_backup_and_restore(tmp_path, postgres_database):
    if os.environ.get("TESTIGO_DATABASE_URL", "").startswith(("postgres", "pgsql")):
        pytest.skip("runs once, in the SQLite pass: it makes its own PostgreSQL database")
    old = _env(tmp_path / "old", DATABASE_URL=f"sqlite:///{tmp_path / 'old' / 'testigo.sqlite3'}")
    (tmp_path / "old").mkdir(mode=0o700)
    out = _script(old, SEED + SNAPSHOT, TIP_TEXT=TIP_TEXT).splitlines()
    codename, before = out[0].split("CODENAME ", 1)[1].strip(), json.loads(out[1])
    assert before["audit_ok"] and len(before["public"]) == 3 and len(before["media"]) == 6
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    _run(old, "-m", "testigo.cli", "backup", "--to", str(tmp_path / "backups"),
         "--passphrase-file", str(tmp_path / "passphrase"))
    archive = next((tmp_path / "backups").glob("*.backup"))

    # The new machine: PostgreSQL, a data directory of its own, nothing carried over but the archive.
    new_dir = tmp_path / "new"
    new_dir.mkdir(mode=0o700)
    new = _env(new_dir, DATABASE_URL=postgres_database)
    restored = _run(new, "-m", "testigo.cli", "restore", str(archive), "--passphrase-file", str(tmp_path / "passphrase"))
    assert "Moved from SQLite onto PostgreSQL" in restored.stdout, restored.stdout
    assert (new_dir / "tipline_pepper").read_bytes() == (tmp_path / "old" / "tipline_pepper").read_bytes()
    assert (new_dir / "secret_key").read_text() == (tmp_path / "old" / "secret_key").read_text()

    out = _script(new, SNAPSHOT + AFTER, CODENAME=codename).splitlines()
    after, checks = json.loads(out[0]), json.loads(out[1])
    assert after["audit_ok"], after["audit_problems"]  # the hash chain verifies on PostgreSQL
    for key in ("reports", "public", "media"):
        assert after[key] == before[key], key  # the public map does not move; photos byte for byte
    assert checks["staff"] and checks["tip"] == [TIP_TEXT]
    assert checks["found"] == 3  # the three published reports, found by PostgreSQL's Spanish search
    assert checks["new_id"] > 6  # the sequence continues after the copied rows


@pytest.mark.services
@pytest.mark.slow
def test_promise_a_sqlite_backup_of_another_schema_is_refused_with_what_to_do(tmp_path, postgres_database):
    if os.environ.get("TESTIGO_DATABASE_URL", "").startswith(("postgres", "pgsql")):
        pytest.skip("runs once, in the SQLite pass: it makes its own PostgreSQL database")
    # An old machine whose database lacks this code's latest migration of one app (as after an
    # upgrade without `testigo migrate`): its migration record says so, and so does the archive.
    old = _env(tmp_path / "old", DATABASE_URL=f"sqlite:///{tmp_path / 'old' / 'testigo.sqlite3'}")
    (tmp_path / "old").mkdir(mode=0o700)
    _script(old, "from django.core.management import call_command\n"
                 "from django.db import connection\n"
                 "from django.db.migrations.loader import MigrationLoader\n"
                 "call_command('migrate', verbosity=0)\n"
                 "app, name = MigrationLoader(None).graph.leaf_nodes('reports')[0]\n"
                 "connection.cursor().execute('DELETE FROM django_migrations WHERE app = %s AND name = %s', [app, name])\n")
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    _run(old, "-m", "testigo.cli", "backup", "--to", str(tmp_path / "backups"),
         "--passphrase-file", str(tmp_path / "passphrase"))
    archive = next((tmp_path / "backups").glob("*.backup"))
    new = _env(tmp_path / "new", DATABASE_URL=postgres_database)
    (tmp_path / "new").mkdir(mode=0o700)
    refused = _run(new, "-m", "testigo.cli", "restore", str(archive), "--passphrase-file",
                   str(tmp_path / "passphrase"), ok=False)
    assert refused.returncode != 0
    assert "run `testigo migrate` there, make a new backup" in refused.stderr, refused.stderr[-2000:]
