"""Bench-only settings: the project settings with persistent database connections on SQLite too.

Used by bench_inbound.py to show what CONN_MAX_AGE costs on SQLite (see its report line)."""

from testigo.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
