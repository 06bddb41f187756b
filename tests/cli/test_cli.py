"""The `testigo` command, run as a user would: a subprocess with its own data directory."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs the command in a fresh Python (seconds of CPU)


def run(data_dir: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env["TESTIGO_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "testigo.cli", *args], env=env, capture_output=True,
                          text=True, input=input, timeout=300)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo")
    result = run(data_dir, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    return data_dir, result


def test_demo_seeds_a_believable_deployment_and_prints_the_admin_password_once(demo_dir):
    data_dir, result = demo_dir
    # The labels follow the deployment's language (Spanish by default).
    match = re.search(r"(?:username|usuario): (\S+)\n\s+(?:password|contraseña): (\S+)", result.stdout)
    assert match, result.stdout
    db = sqlite3.connect(data_dir / "testigo.sqlite3")
    # 2,000 generated reports, plus those the demo's SMS conversation and survey answers created.
    seeded = db.execute("select count(*) from reports_report").fetchone()[0]
    generated = "select count(*) from reports_report where source != 'smssync' and custom_values not like '%_survey%'"
    assert db.execute(generated).fetchone()[0] == 2000
    assert seeded > 2000
    assert db.execute("select count(*) from reports_category").fetchone()[0] >= 10
    assert db.execute("select count(distinct status) from reports_report").fetchone()[0] == 6
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    again = run(data_dir, "demo", "--no-serve")
    assert again.returncode == 0 and "password:" not in again.stdout and "contraseña:" not in again.stdout
    assert db.execute("select count(*) from reports_report").fetchone()[0] == seeded  # not seeded twice


def test_secret_key_is_generated_into_the_data_dir_with_0600(demo_dir):
    data_dir, _ = demo_dir
    mode = stat.S_IMODE((data_dir / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert len((data_dir / "secret_key").read_text().strip()) >= 40


def test_audit_verify_exits_non_zero_when_an_event_was_changed(demo_dir):
    data_dir, _ = demo_dir
    ok = run(data_dir, "audit-verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    db = sqlite3.connect(data_dir / "testigo.sqlite3")
    db.execute("update core_auditevent set action = 'forged' where seq = 1")
    db.commit()
    bad = run(data_dir, "audit-verify")
    assert bad.returncode != 0 and "content changed" in bad.stderr


def test_createadmin_with_and_without_password(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    ok = run(tmp_path, "createadmin", "--username", "ana", "--password", "una clave bastante larga")
    assert ok.returncode == 0, ok.stderr
    stored = sqlite3.connect(tmp_path / "testigo.sqlite3").execute(
        "select password from auth_user where username = 'ana'").fetchone()[0]
    assert stored.startswith("argon2$")  # the command runs with the deployment's hasher, not the tests'
    weak = run(tmp_path, "createadmin", "--username", "beto", "--password", "123")
    assert weak.returncode != 0 and "10" in weak.stderr  # the minimum length, in the user's language
    dup = run(tmp_path, "createadmin", "--username", "ana", "--password", "una clave bastante larga")
    assert dup.returncode != 0 and "already exists" in dup.stderr


def test_data_dir_option_wins_over_the_environment(tmp_path):
    other = tmp_path / "elsewhere"
    env_dir = tmp_path / "env"
    result = run(env_dir, "--data-dir", str(other), "migrate")
    assert result.returncode == 0, result.stderr
    assert (other / "testigo.sqlite3").exists()
    assert not (env_dir / "testigo.sqlite3").exists()
