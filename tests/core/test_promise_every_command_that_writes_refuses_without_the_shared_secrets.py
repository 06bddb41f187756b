"""Promise: with several nodes (PostgreSQL + Redis), not only `serve`, `worker` and `smpp` but every
`testigo` command that could write (migrate, createadmin, createsuperuser, import, seed-demo,
restore, …) refuses to run without the shared secrets in the environment, naming the missing ones:
a data migration or an import run without TESTIGO_SECRET_KEY would fuzz locations differently from
every other node. Commands that write nothing (check, showmigrations, help) still run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PG = "postgres://postgres@127.0.0.1:5432/not_even_opened"
REDIS = "redis://127.0.0.1:6379/12"


def _testigo(tmp_path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"TESTIGO_DATA_DIR": str(tmp_path), "TESTIGO_DATABASE_URL": PG, "TESTIGO_QUEUE_URL": REDIS}
    return subprocess.run([sys.executable, "-m", "testigo.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["migrate"], ["createadmin", "--username", "ana"], ["createsuperuser",
                                                                                          "--noinput"]])
def test_promise_a_command_that_writes_refuses_without_the_shared_secrets(tmp_path, command):
    result = _testigo(tmp_path, *command)
    assert result.returncode == 1
    assert "CommandError" in result.stderr and "varios nodos" in result.stderr  # Spanish by default
    assert "TESTIGO_SECRET_KEY" in result.stderr and "TESTIGO_TIPLINE_PEPPER" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.slow
def test_a_command_that_writes_nothing_still_runs(tmp_path):
    result = _testigo(tmp_path, "check")
    assert result.returncode == 0, result.stderr
