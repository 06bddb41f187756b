"""The SQLite backend's write lock (testigo/core/db/sqlite): held exactly while a write
transaction is open, taken by autocommit writes too, released when its process dies, and bounded
by the connection's timeout between threads."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction

from testigo.channels.models import Contact

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lock_file(transactional_db):
    if connection.vendor != "sqlite":
        pytest.skip("the write lock belongs to the SQLite backend")
    connection.ensure_connection()
    return connection.settings_dict["NAME"] + "-writelock"


def held_by_someone(path: str) -> bool:
    """Whether another open file description holds the lock (a fresh descriptor cannot take it)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_lock_is_held_from_begin_to_commit_and_nested_blocks_take_nothing_more(lock_file):
    assert not held_by_someone(lock_file)
    with transaction.atomic():
        Contact.objects.create(scheme="tel", address="+50499990001")
        assert held_by_someone(lock_file)
        with transaction.atomic():  # a savepoint: must not wait for the lock this thread holds
            Contact.objects.create(scheme="tel", address="+50499990002")
        assert held_by_someone(lock_file)
    assert not held_by_someone(lock_file)
    with pytest.raises(RuntimeError), transaction.atomic():
        Contact.objects.create(scheme="tel", address="+50499990003")
        raise RuntimeError("rolled back")
    assert not held_by_someone(lock_file)
    assert Contact.objects.count() == 2


def test_an_autocommit_write_waits_for_the_lock(lock_file):
    fd = os.open(lock_file, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another process in the middle of a write would

    def release_later():
        time.sleep(0.3)
        fcntl.flock(fd, fcntl.LOCK_UN)

    releaser = threading.Thread(target=release_later)
    start = time.monotonic()
    releaser.start()
    Contact.objects.filter(pk=0).update(name="x")  # a write outside any transaction
    waited = time.monotonic() - start
    releaser.join()
    os.close(fd)
    assert waited >= 0.29
    Contact.objects.count()  # reads never wait
    assert not held_by_someone(lock_file)


def test_threads_queue_and_a_waiter_gives_up_with_database_is_locked(lock_file):
    outcome = {}
    holding, done = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            Contact.objects.create(scheme="tel", address="+50499990009")
            holding.set()
            done.wait(10)
        connection.close()

    def waiter():
        connection.ensure_connection()
        connection._lock_timeout = 0.3
        start = time.monotonic()
        try:
            with transaction.atomic():
                Contact.objects.create(scheme="tel", address="+50499990010")
        except OperationalError as exc:
            outcome["error"], outcome["waited"] = str(exc), time.monotonic() - start
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=waiter)
    second.start()
    second.join(10)
    done.set()
    first.join(10)
    assert outcome["error"] == "database is locked" and outcome["waited"] >= 0.29
    assert not held_by_someone(lock_file)
    with transaction.atomic():  # the lock is free again
        Contact.objects.create(scheme="tel", address="+50499990011")


@pytest.mark.slow
def test_the_lock_of_a_killed_process_is_released(lock_file):
    env = dict(os.environ, TESTIGO_DATABASE_URL="sqlite:///" + connection.settings_dict["NAME"],
               DJANGO_SETTINGS_MODULE="testigo.settings")
    script = ("import django, sys, time; django.setup()\n"
              "from django.db import transaction\n"
              "from testigo.channels.models import Contact\n"
              "with transaction.atomic():\n"
              "    Contact.objects.create(scheme='tel', address='+50499990020')\n"
              "    print('holding', flush=True); time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        assert held_by_someone(lock_file)
        child.kill()  # SIGKILL: no commit, no rollback, no cleanup
        child.wait(10)
        start = time.monotonic()
        with transaction.atomic():
            Contact.objects.create(scheme="tel", address="+50499990021")
        assert time.monotonic() - start < 5
    finally:
        if child.poll() is None:
            child.kill()
    assert list(Contact.objects.values_list("address", flat=True)) == ["+50499990021"]


def test_a_long_reader_does_not_stall_the_checkpointing_commit(lock_file):
    """Every CHECKPOINT_EVERY commits a process restarts the log under the lock. A reader still
    on the log (a long export) must not make that commit wait for the whole busy timeout (20 s)
    or fail after the data was committed: the restart gives up quickly and is retried later."""
    import sqlite3

    from testigo.core.db.sqlite import base

    reader = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM channels_contact").fetchone()  # holds a snapshot
        Contact.objects.create(scheme="tel", address="+50499990010")  # the log has new frames
        lock = connection.write_lock
        lock.commits = base.CHECKPOINT_EVERY - 1  # the next commit checkpoints
        started = time.monotonic()
        with transaction.atomic():
            Contact.objects.create(scheme="tel", address="+50499990011")
        assert time.monotonic() - started < 5  # 20 s if the restart waited out the busy timeout
        assert lock.commits == base.CHECKPOINT_EVERY
        assert Contact.objects.filter(address="+50499990011").exists()
    finally:
        reader.close()
