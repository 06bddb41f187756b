"""Copying the database out of and into the running deployment, on either back end.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot while
the site keeps writing, and copies it back in one step. PostgreSQL: `pg_dump --format=custom`
(one consistent snapshot, compressed) and `pg_restore --single-transaction` (all or nothing).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _

from testigo.core.backups.crypto import BackupError

SQLITE, POSTGRESQL = "sqlite", "postgresql"
FILE_NAMES = {SQLITE: "database/testigo.sqlite3", POSTGRESQL: "database/testigo.pgdump"}
# A database with a row in any of these holds a deployment's data; without, it is a fresh one
# (`testigo migrate` only fills content types, permissions and the role groups).
DATA_TABLES = ["auth_user", "core_auditevent", "reports_report"]
# PostgreSQL objects outside tables (text search configurations, dictionaries) that a dump
# recreates: apps register the statements that drop them, in their AppConfig.ready().
_PG_DROP_BEFORE_RESTORE: list[str] = []


def register_pg_drop_before_restore(*statements: str) -> None:
    """Let an app name the non-table objects `restore` must drop first (the dump recreates them)."""
    for statement in statements:
        if statement not in _PG_DROP_BEFORE_RESTORE:
            _PG_DROP_BEFORE_RESTORE.append(statement)


def kind(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in (SQLITE, POSTGRESQL):
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    return vendor


def dump(into: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the database to a file inside `into`; return its path."""
    target = into / Path(FILE_NAMES[kind(alias)]).name
    settings = connections[alias].settings_dict
    if kind(alias) == SQLITE:
        _sqlite_copy(settings["NAME"], target)
    else:
        _check_client_version("pg_dump", alias)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)], alias)
    return target


def load(path: Path, *, alias: str = "default") -> None:
    """Replace the database's whole content with the copy at `path` (made by dump())."""
    connections[alias].close()
    settings = connections[alias].settings_dict
    if kind(alias) == SQLITE:
        _sqlite_copy(path, settings["NAME"])
    else:
        _check_client_version("pg_restore", alias)
        _drop_tables(alias)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              str(path)], alias, database_flag=True)
    connections[alias].close()


def is_empty(alias: str = "default") -> bool:
    """True for a database that holds no deployment: no tables yet, or only what migrate writes."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in DATA_TABLES:
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone():
                    return False
    return True


def _sqlite_copy(source_path, target_path) -> None:
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _drop_tables(alias: str) -> None:
    """PostgreSQL: remove the current tables (and their sequences) so the dump loads into a clean schema."""
    connection = connections[alias]
    tables = connection.introspection.table_names()
    if tables:
        with connection.cursor() as cursor:
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
    with connection.cursor() as cursor:  # e.g. the text search configuration of reports 0008
        for sql in _PG_DROP_BEFORE_RESTORE:
            cursor.execute(sql)
    connection.close()


def _pg_env(alias: str) -> dict[str, str]:
    settings = connections[alias].settings_dict
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _run(command: list[str], alias: str, *, database_flag: bool = False) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(_("%(tool)s is missing: install Debian's postgresql-client.") % {"tool": command[0]})
    env = _pg_env(alias)
    if database_flag:
        command = [*command[:-1], "--dbname", env["PGDATABASE"], command[-1]]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": command[0], "error": result.stderr.strip()[-2000:]})


def _check_client_version(tool: str, alias: str) -> None:
    """pg_dump refuses a newer server; say so before starting, naming both versions."""
    if shutil.which(tool) is None:
        raise BackupError(_("%(tool)s is missing: install Debian's postgresql-client.") % {"tool": tool})
    output = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout  # "pg_dump (PostgreSQL) 15.2"
    match = re.search(r"\)\s+(\d+)", output)
    connection = connections[alias]
    connection.ensure_connection()
    server = connection.pg_version // 10000
    if match and int(match.group(1)) < server:
        raise BackupError(_("%(tool)s %(client)s is older than the PostgreSQL %(server)s server: install the "
                            "client of the server's version.") % {"tool": tool, "client": match.group(1),
                                                                  "server": server})


# --- Moving a single machine's SQLite database onto PostgreSQL ------------------------------------

_MOVE_SOURCE = "_testigo_move_source"
MOVE_BATCH = 2000  # rows per INSERT


def move_sqlite_into(path: Path, *, alias: str = "default", progress=None) -> dict[str, int]:
    """Fill this deployment's PostgreSQL database with every row of the SQLite database at `path`
    (a backup's copy, of the same schema as this code: the caller checks). Returns rows per table.

    The target is migrated first, emptied of what `migrate` wrote (content types, permissions,
    role groups), then every table of every installed model is copied through the ORM in primary
    key order, unchanged: raw inserts, so no `auto_now` field is touched and no signal fires. All
    in one transaction (foreign keys are checked at its end), then every sequence is set past the
    largest id. SQLite's full-text tables are not copied: PostgreSQL's search indexes are
    expressions over the report rows (reports/search.py), always in step."""
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import transaction

    if kind(alias) != POSTGRESQL:
        raise BackupError(_("Only a PostgreSQL database can receive a SQLite deployment."))
    call_command("migrate", database=alias, interactive=False, verbosity=0)
    target = connections[alias]
    models = [m for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and not m._meta.proxy and not m._meta.swapped]
    copied: dict[str, int] = {}
    with sqlite_source(path) as source_alias, transaction.atomic(using=alias):
        source_tables = set(connections[source_alias].introspection.table_names())
        with target.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(target.ops.quote_name(m._meta.db_table) for m in models)
                           + " RESTART IDENTITY CASCADE")
        for model in models:
            if model._meta.db_table in source_tables:
                copied[model._meta.db_table] = _copy_table(model, source_alias, alias)
                if progress is not None:
                    progress(model._meta.db_table, copied[model._meta.db_table])
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    return copied


def _copy_table(model, source_alias: str, alias: str) -> int:
    """Every row of one model's table, in primary key order, MOVE_BATCH rows per INSERT."""
    fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
    count, batch = 0, []
    for row in model._base_manager.using(source_alias).order_by("pk").iterator(chunk_size=MOVE_BATCH):
        batch.append(row)
        if len(batch) >= MOVE_BATCH:
            insert_raw(model, batch, fields, alias)
            count, batch = count + len(batch), []
    if batch:
        insert_raw(model, batch, fields, alias)
        count += len(batch)
    return count


def insert_raw(model, rows: list, fields: list, alias: str) -> None:
    """One INSERT of many rows, values as they are: what `loaddata` does row by row with
    `save_base(raw=True)`, in batches. Not `bulk_create`: it calls every field's `pre_save`, so
    `auto_now`/`auto_now_add` fields (43 of them) would be stamped with the moving day.
    bench/bench_move.py measures the difference (docs/decisions.md)."""
    model._base_manager.using(alias)._insert(rows, fields=fields, raw=True, using=alias)


@contextmanager
def sqlite_source(path: Path):
    """A read-only Django connection to a SQLite file, as a temporary database alias."""
    connections.settings[_MOVE_SOURCE] = connections.configure_settings(
        {"default": {}, _MOVE_SOURCE: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}})[_MOVE_SOURCE]
    try:
        yield _MOVE_SOURCE
    finally:
        connections[_MOVE_SOURCE].close()
        del connections[_MOVE_SOURCE]
        connections.settings.pop(_MOVE_SOURCE, None)
