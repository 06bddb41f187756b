"""Django's SQLite backend with a write lock that wakes the next writer at once.

SQLite lets one writer at a time in; the others wait in its busy handler, which sleeps 1, 2, 5,
10 … up to 100 ms between retries whatever happens meanwhile. Under many small concurrent writes
(gateway webhooks: bench/bench_inbound.py) those sleeps, not the work, made the slowest requests:
p99 in the hundreds of milliseconds for writes that take a fraction of one.

This backend takes a lock of its own before `BEGIN IMMEDIATE` and gives it back at commit or
rollback, so writers queue on a lock that hands over as soon as it is released:
- between threads of one process, a `threading.Lock` (waits at most the connection's `timeout`,
  then fails like SQLite: "database is locked");
- between processes, `flock` on `<database>-writelock`, taken only by the thread holding the
  process's lock (so at most one thread per process waits in the kernel). The kernel drops the
  lock of a process that dies, even by kill -9.
Writes outside a transaction (autocommit) take the same lock around the statement. Nested atomic
blocks are savepoints inside the outer transaction and take nothing more.

Checkpoints: SQLite copies the write-ahead log back into the database (with fsyncs) inside the
COMMIT call of the transaction that fills it — after releasing its own write lock, but still
inside our lock, which would make every writer wait for it. So automatic checkpoints are off on
these connections; each process checkpoints after every CHECKPOINT_EVERY of its commits, once
the lock is given back: a PASSIVE checkpoint (which never blocks writers) copies the bulk, then a
RESTART checkpoint under the lock copies what was written meanwhile and starts the log over.

Deadlocks: a thread never waits for this lock while holding it (one transaction per connection),
and the lock is held only while SQLite's own write lock is, so any wait here is a wait SQLite
would impose anyway — minus the sleeps. SQLite's busy handler still covers other programs that
open the file directly.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import sqlite3
import threading

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

# Statements that never write (or that open and close transactions, handled separately).
_UNLOCKED = ("SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT",
             "RELEASE")


CHECKPOINT_EVERY = 100  # commits per process; SQLite's own default is ~1000 pages (100+ commits)
CHECKPOINT_WAIT_MS = 50  # how long a RESTART checkpoint may wait for readers while holding the lock
logger = logging.getLogger(__name__)


class WriteLock:
    """One per database file and process."""

    _registry: dict[tuple[int, str], WriteLock] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self.mutex = threading.Lock()
        self.fd: int | None = None
        self.commits = 0

    @classmethod
    def for_database(cls, database: str) -> WriteLock:
        key = (os.getpid(), os.path.abspath(database))  # a forked child gets its own descriptor
        lock = cls._registry.get(key)
        if lock is None:
            with cls._registry_lock:
                lock = cls._registry.setdefault(key, cls(key[1] + "-writelock"))
        return lock

    def acquire(self, timeout: float) -> None:
        if not self.mutex.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.mutex.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.mutex.release()


@functools.lru_cache(maxsize=512)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class LockingCursorWrapper(base.SQLiteCursorWrapper):
    """Takes the write lock around a write statement run in autocommit mode."""

    def convert_query(self, query, *, param_names=None):
        # The same few statements run over and over (an import's multi-row INSERT has 15,000
        # placeholders to rewrite each time): remember their "format" -> "qmark" conversion.
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)

    wrapper: DatabaseWrapper

    def execute(self, query, params=None):
        if self.wrapper.write_lock is None or self.connection.in_transaction or query.lstrip()[:9].upper().startswith(
                _UNLOCKED):
            return super().execute(query, params)
        with self.wrapper.holding_write_lock():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if self.wrapper.write_lock is None or self.connection.in_transaction:
            return super().executemany(query, param_list)
        with self.wrapper.holding_write_lock():
            return super().executemany(query, param_list)


class _Held:
    def __init__(self, wrapper: DatabaseWrapper):
        self.wrapper = wrapper

    def __enter__(self):
        self.wrapper._take_write_lock()

    def __exit__(self, *exc):
        self.wrapper._give_write_lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.write_lock: WriteLock | None = None
        self._holds_write_lock = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        self._lock_timeout = float(conn_params.get("timeout", 5))
        self.write_lock = None if self.is_in_memory_db() else WriteLock.for_database(conn_params["database"])
        if self.write_lock is not None:
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # see CHECKPOINT_EVERY
        return conn

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=LockingCursorWrapper)
        cursor.wrapper = self
        return cursor

    def holding_write_lock(self) -> _Held:
        return _Held(self)

    def _take_write_lock(self) -> None:
        if self.write_lock is not None and not self._holds_write_lock:
            self.write_lock.acquire(self._lock_timeout)
            self._holds_write_lock = True

    def _give_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self.write_lock.release()

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_write_lock()
            raise

    def _commit(self):
        result = super()._commit()
        if self._holds_write_lock:
            self._give_write_lock()
            self.write_lock.commits += 1
            if self.write_lock.commits % CHECKPOINT_EVERY == 0:
                self._checkpoint()
        return result

    def _checkpoint(self) -> None:
        # The bulk of the copying without blocking writers; then, briefly holding the lock, the
        # few frames written meanwhile, and the log starts over. (With only PASSIVE checkpoints,
        # writers that follow each other without a pause never let the log restart: it grew by
        # 100 MB in seconds under bench_inbound.)
        # A RESTART waits for readers still using the log (a long export, say) for as long as the
        # busy timeout allows, and it waits holding our lock: give it only CHECKPOINT_WAIT_MS, and
        # when readers are still there leave the log to a later checkpoint. The transaction is
        # already committed: a failure here is logged, never raised to the caller.
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with self.holding_write_lock():
                self.connection.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
                try:
                    self.connection.execute("PRAGMA wal_checkpoint(RESTART)")
                finally:
                    self.connection.execute(f"PRAGMA busy_timeout = {int(self._lock_timeout * 1000)}")
        except (sqlite3.Error, OperationalError):
            logger.warning("WAL checkpoint skipped", exc_info=True)

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_write_lock()
