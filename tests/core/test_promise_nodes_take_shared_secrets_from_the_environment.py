"""Promise: with several nodes (PostgreSQL + Redis) every shared secret comes from the environment,
never from a file one node generated; `testigo serve` and `testigo worker` refuse to start without
them, naming the missing variables. A single machine (SQLite) still generates its own, as before."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.utils import translation

from testigo.core import nodes
from testigo.tipline import codenames

PG = "postgres://postgres@127.0.0.1:5432/not_even_opened"
REDIS = "redis://127.0.0.1:6379/12"
SECRET = secrets.token_urlsafe(48)
PEPPER = secrets.token_hex(32)


def _env(data_dir, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    return env | {"TESTIGO_DATA_DIR": str(data_dir)} | {f"TESTIGO_{k}": v for k, v in extra.items()}


def _testigo(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "testigo.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_serve_refuses_without_the_shared_secrets_and_names_them(tmp_path):
    result = _testigo(_env(tmp_path, DATABASE_URL=PG, QUEUE_URL=REDIS), "serve", "--port", "8791")
    assert result.returncode != 0
    assert "TESTIGO_SECRET_KEY" in result.stderr and "TESTIGO_TIPLINE_PEPPER" in result.stderr
    assert "varios nodos" in result.stderr  # the default language: Spanish
    # Nothing was generated that a second node would not share.
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "tipline_pepper").exists()


@pytest.mark.slow
def test_worker_refuses_and_names_only_what_is_missing(tmp_path):
    result = _testigo(_env(tmp_path, DATABASE_URL=PG, CACHE_URL=REDIS, SECRET_KEY=SECRET), "worker")
    assert result.returncode != 0
    assert "TESTIGO_TIPLINE_PEPPER" in result.stderr
    assert "TESTIGO_SECRET_KEY" not in result.stderr


@pytest.mark.slow
def test_gunicorn_started_by_hand_refuses_too(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import testigo.wsgi"], capture_output=True, text=True,
                            env=_env(tmp_path, DATABASE_URL=PG, QUEUE_URL=REDIS, TIPLINE_PEPPER=PEPPER), timeout=120)
    assert result.returncode != 0
    assert "TESTIGO_SECRET_KEY" in result.stderr and "TESTIGO_TIPLINE_PEPPER" not in result.stderr


@pytest.mark.slow
def test_a_single_machine_still_generates_its_secret_and_postgres_alone_is_not_multi_node(tmp_path):
    code = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','testigo.settings');django.setup();"
            "from django.conf import settings;print(settings.MULTI_NODE, len(settings.SECRET_KEY) > 40)")
    for extra in ({}, {"QUEUE_URL": REDIS}, {"DATABASE_URL": PG}):
        data_dir = tmp_path / str(len(extra)) / "-".join(extra)
        result = subprocess.run([sys.executable, "-c", code], env=_env(data_dir, **extra), capture_output=True,
                                text=True, check=True)
        assert result.stdout.split() == ["False", "True"]
        assert (data_dir / "secret_key").exists()
    result = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path / "multi", DATABASE_URL=PG,
                                                                    QUEUE_URL=REDIS, SECRET_KEY=SECRET),
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True"]
    assert not (tmp_path / "multi" / "secret_key").exists()


def test_a_node_with_both_secrets_passes(settings, monkeypatch, tmp_path):
    settings.MULTI_NODE, settings.DATA_DIR = True, tmp_path
    monkeypatch.setenv("TESTIGO_SECRET_KEY", SECRET)
    monkeypatch.setenv("TESTIGO_TIPLINE_PEPPER", PEPPER)
    nodes.refuse_without_shared_secrets()  # no exception
    monkeypatch.delenv("TESTIGO_SECRET_KEY")
    with pytest.raises(CommandError, match="TESTIGO_SECRET_KEY"):
        nodes.refuse_without_shared_secrets()


@translation.override("en")
def test_a_malformed_or_short_secret_is_refused_with_a_reason(tmp_path):
    problems = nodes.shared_secret_problems(secret_key="short", pepper="not hex at all", data_dir=tmp_path)
    assert len(problems) == 2
    assert "at least 50 characters" in problems[0]
    assert "64 hexadecimal digits" in problems[1]


@translation.override("en")
def test_a_node_that_ran_alone_must_be_given_its_own_secrets_not_new_ones(tmp_path):
    (tmp_path / "secret_key").write_text("an-old-key-" * 10)
    (tmp_path / "tipline_pepper").write_bytes(bytes.fromhex(PEPPER))
    problems = nodes.shared_secret_problems(secret_key=SECRET, pepper=secrets.token_hex(32), data_dir=tmp_path)
    assert len(problems) == 2
    assert all("differs from" in p for p in problems)
    assert nodes.shared_secret_problems(secret_key="an-old-key-" * 10, pepper=PEPPER, data_dir=tmp_path) == []


def test_two_nodes_given_the_same_pepper_hash_a_codename_alike(settings, tmp_path):
    settings.MULTI_NODE, settings.TIPLINE_PEPPER = True, PEPPER
    hashes = []
    for node in ("node-a", "node-b"):
        settings.DATA_DIR = tmp_path / node
        settings.DATA_DIR.mkdir()
        hashes.append(codenames.lookup_hash("siete palabras de una frase secreta"))
        assert not (settings.DATA_DIR / codenames.PEPPER_FILE).exists()
    assert hashes[0] == hashes[1]


def test_several_nodes_never_generate_a_pepper(settings, tmp_path):
    settings.MULTI_NODE, settings.TIPLINE_PEPPER, settings.DATA_DIR = True, "", tmp_path
    with pytest.raises(ImproperlyConfigured, match="TESTIGO_TIPLINE_PEPPER"):
        codenames.lookup_hash("una frase")
    assert not (tmp_path / codenames.PEPPER_FILE).exists()


def test_a_pepper_in_the_environment_never_silently_replaces_the_one_codenames_were_made_with(settings, tmp_path):
    settings.MULTI_NODE, settings.TIPLINE_PEPPER, settings.DATA_DIR = False, "", tmp_path
    before = codenames.lookup_hash("una frase")  # single node: generated into the data dir
    settings.TIPLINE_PEPPER = secrets.token_hex(32)
    with pytest.raises(ImproperlyConfigured, match="differs from"):
        codenames.lookup_hash("una frase")
    settings.TIPLINE_PEPPER = (tmp_path / codenames.PEPPER_FILE).read_bytes().hex()
    assert codenames.lookup_hash("una frase") == before


def test_the_smpp_link_refuses_too(settings, monkeypatch, tmp_path):
    from django.core.management import call_command

    settings.MULTI_NODE, settings.DATA_DIR = True, tmp_path
    monkeypatch.delenv("TESTIGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("TESTIGO_TIPLINE_PEPPER", raising=False)
    with pytest.raises(CommandError, match="TESTIGO_SECRET_KEY, TESTIGO_TIPLINE_PEPPER"):
        call_command("smpp")
