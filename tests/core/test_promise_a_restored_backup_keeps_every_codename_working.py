"""Promise: a backup restored on a new machine keeps every tip-line codename working. The codename
pepper (DATA_DIR/tipline_pepper, or TESTIGO_TIPLINE_PEPPER on several nodes) travels inside the
encrypted archive and is written back, 0600; a node whose environment names another pepper is
told so, since the nodes would refuse to start. On SQLite and on PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.utils import translation

from testigo.core.backups import crypto, services
from testigo.tipline import crypto as tip_crypto
from testigo.tipline import services as tip_services
from testigo.tipline import vault
from tests.core import backup_kit

pytestmark = pytest.mark.django_db(transaction=True)

KEY = crypto.Key(passphrase="seven long words for the backup")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch, tip_crypto)
    settings.TIPLINE_PEPPER = ""


@pytest.fixture
def codename(admin_user):
    vault.initialise(user=admin_user, password="correct horse battery")
    _access, codename = tip_services.submit_tip(body="El libro está en la iglesia", files=[], language="es")
    return codename


def _new_machine(settings) -> None:
    backup_kit.wipe(settings)
    (Path(settings.DATA_DIR) / "tipline_pepper").unlink()  # a new machine has no pepper of its own


def test_promise_a_source_logs_in_with_their_codename_after_a_restore_on_a_new_machine(codename, settings, tmp_path):
    pepper = (Path(settings.DATA_DIR) / "tipline_pepper").read_bytes()
    run = services.create(to_dir=tmp_path / "backups", key=KEY)
    archive = Path(run.path).read_bytes()
    assert pepper not in archive  # inside the encryption, like the secret key
    _new_machine(settings)

    services.restore(Path(run.path), KEY)
    restored = Path(settings.DATA_DIR) / "tipline_pepper"
    assert restored.read_bytes() == pepper and stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert tip_services.source_login(codename=codename)  # the same hash: the source gets in


def test_promise_a_restore_says_when_the_environment_names_another_pepper(codename, settings, tmp_path):
    run = services.create(to_dir=tmp_path / "backups", key=KEY)
    _new_machine(settings)
    settings.TIPLINE_PEPPER = "ab" * 32
    with translation.override("en"):
        result = services.restore(Path(run.path), KEY)
    assert any("TESTIGO_TIPLINE_PEPPER differs" in note and "xxd -p -c 32" in note for note in result.notes)
