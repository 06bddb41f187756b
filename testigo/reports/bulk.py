"""Fast insertion of many reports at once through Django's connection: multi-row INSERTs on
SQLite, COPY on PostgreSQL. The one bulk writer of reports (imports use it); it keeps the map's
counts itself (`insert_reports` calls counts.added), so no bulk path can forget them.

Building 100,000 model instances and letting the ORM compile each INSERT costs far more than the
database work (about 80% of an import's time in profiles). Here each row is a dict of column
values; the column list comes from the Report model itself, so a field added to Report later is
filled with its default, and every value is prepared by its own model field (dates and JSON
come out right on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from types import SimpleNamespace

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from testigo.geo import admin_polygons, areas, gazetteer
from testigo.reports import counts, duplicate_checks, sensitive
from testigo.reports.models import Report
from testigo.reports.references import new_reference, new_references
from testigo.reports.services import refresh_projection

# Page cache for the import's SQLite connection, in KiB (SQLite's default is 2,000 KiB). With the
# default, the random-order indexes (reference, fingerprint, the map's tile keys) no longer fit
# after some ten thousand rows and every batch re-reads their pages from the file.
IMPORT_CACHE_KIB = 32 * 1024


@contextmanager
def import_connection() -> Iterator[None]:
    """Tune the connection for a long run of inserts, and put it back afterwards (it is
    persistent, and the next job on this thread should get the usual settings)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


PROJECTED = ("reference", "tile_key", "public_lat", "public_lon", "public_tile_key", "public_title",
             "public_description", "admin1", "admin2", "public_admin1", "public_admin2")  # what report_row adds


def report_row(values: dict, reference: str | None = None, projection: dict | None = None) -> dict:
    """Column values for one report (`values` is completed in place and returned): projection
    computed, reference drawn (unless given), defaults left to insert_reports. `projection`:
    projection_settings(), read once for many rows."""
    shadow = SimpleNamespace(reference=reference or new_reference(), lat=values.get("lat"), lon=values.get("lon"),
                             title=values["title"], description=values["description"], redactions=[],
                             admin1=values.get("admin1") or "", admin2=values.get("admin2") or "")
    if shadow.lat is not None and not shadow.admin1 and not shadow.admin2:  # as create_report does
        shadow.admin1, shadow.admin2 = areas.area_at(shadow.lat, shadow.lon, gaz=(projection or {}).get("gaz"),
                                                    polygons=(projection or {}).get("polygons", True))
    refresh_projection(shadow, **(projection or {}))  # the same public projection create_report computes
    values.update({key: getattr(shadow, key) for key in PROJECTED})
    return values


def projection_settings() -> dict:
    return {"radius_m": settings.FUZZ_RADIUS_M, "secret": settings.SECRET_KEY, "gaz": gazetteer.current(),
            "polygons": admin_polygons.current()}


def _sqlite_utc_text(value):
    """What the SQLite backend's adapt_datetimefield_value returns when the connection's zone is UTC."""
    if value is None:
        return None
    offset = value.utcoffset()
    return str(value if offset is None else value.replace(tzinfo=None) - offset)


class _JsonText:
    """JSON as text: BaseDatabaseOperations.adapt_json_value (json.dumps(value, cls=encoder)), with
    one encoder for every row instead of a new one each."""

    def __init__(self, encoder) -> None:
        self.encode = (encoder or json.JSONEncoder)().encode

    def __call__(self, value) -> str:
        return self.encode(value)


DATETIMES = ("occurred_at", "published_at", "public_updated_at")  # per-row datetimes a row may carry


class ReportColumns:
    """The reports table's columns and how each value is prepared for the database, worked out
    once per import in the process that owns the connection; `params` may then run in a forked
    child (it only calls the backend's stateless adapters, never the connection)."""

    def __init__(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]  # the real object: the proxy costs a lookup per use
        fields = list(Report._meta.concrete_fields)  # the key first: insert_reports sets it
        self.position = {f.attname: i for i, f in enumerate(fields)}
        # Values shared by every row are prepared once, by their own model field; JSON as its text
        # (what SQLite stores, and what PostgreSQL's COPY reads: no per-row wrapper to dump later).
        self.template = [_JsonText(f.encoder)(f.get_default()) if isinstance(f, models.JSONField)
                         else f.get_db_prep_save(f.get_default(), connection) for f in fields]
        self._received = Report._meta.get_field("received_at")
        self._connection = connection
        # Per-row values that need the backend's adaptation: what DateTimeField / JSONField
        # .get_db_prep_save end with, called directly (their other steps are no-ops for the aware
        # datetimes and plain dicts the mapping produces).
        self._adapt_datetime = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone == UTC:
            self._adapt_datetime = _sqlite_utc_text  # the same text, without its per-call settings lookups
        self._adapt_json = _JsonText(Report._meta.get_field("custom_values").encoder)
        self.names = [f.column for f in fields]

    def stamp(self) -> list:
        """The template with received_at / updated_at set to now (one per batch)."""
        template = self.template.copy()
        now = self._received.get_db_prep_save(timezone.now(), self._connection)
        template[self.position["received_at"]] = template[self.position["updated_at"]] = now
        return template

    def reference(self, params: list) -> str:
        return params[self.position["reference"]]

    def redraw(self, rows: list[list], projection: dict) -> None:
        """New references for these rows (from params) after a reference collided, with their
        public projection recomputed by the same report_row as the first time (the public point
        depends only on the true point's cell, so it comes out the same)."""
        at = self.position
        for params, reference in zip(rows, new_references(len(rows)), strict=True):
            values = report_row({key: params[at[key]] for key in ("title", "description", "lat", "lon", "admin1", "admin2")},
                                reference, projection)
            for key in PROJECTED:
                params[at[key]] = values[key]

    def params(self, row: dict, template: list) -> list:
        values = template.copy()
        position = self.position
        for key, value in row.items():
            values[position[key]] = value
        # The row's own values still need the backend's adaptation (the template's are prepared).
        for key in DATETIMES:
            if key in row:
                values[position[key]] = self._adapt_datetime(row[key])
        if "custom_values" in row:
            values[position["custom_values"]] = self._adapt_json(row["custom_values"])
        return values


def _keep_sensitive_private(params: list[list], columns: ReportColumns, categories: list[list[int]]) -> None:
    """Rows filed under a survivor-pathway category go in confidential, whatever the file said
    (reports/sensitive.py)."""
    flagged = sensitive.sensitive_ids({c for row in categories for c in row})
    if flagged:
        at = columns.position["visibility"]
        for row, ids in zip(params, categories, strict=True):
            if flagged.intersection(ids):
                row[at] = Report.Visibility.CONFIDENTIAL.value


def insert_reports(params: list[list], columns: ReportColumns, categories: list[list[int]] | None = None) -> list[int]:
    """INSERT the rows (each from columns.params) with their categories (category ids per row, in
    the same order) and count them on the map; returns their ids, in the same order.

    The rows go in sorted by map tile, and their ids are drawn first (new_ids) and given in that
    order: the map's two covering indexes, keyed by tile, then take their new entries in order
    instead of at random places, and the table still grows at its end. The whole INSERT is about
    a third faster than in the file's order. (Within a batch, ids follow the map, not the file.)"""
    if not params:
        return []
    if categories:
        _keep_sensitive_private(params, columns, categories)
    connection = connections[DEFAULT_DB_ALIAS]
    key, tile = columns.position[Report._meta.pk.attname], columns.position["tile_key"]
    ordered = sorted(params, key=lambda row: -1 if row[tile] is None else row[tile])
    with connection.cursor() as cursor:
        for row, pk in zip(ordered, new_ids(cursor, len(params)), strict=True):
            row[key] = pk
        insert_rows(cursor, Report._meta.db_table, columns.names, ordered)
    ids = [row[key] for row in params]
    if categories:
        insert_links([(pk, category) for pk, row in zip(ids, categories, strict=True) for category in row])
    counts.added(ids)  # after the links: a report counts under its categories too
    duplicate_checks.queue(ids)
    return ids


def new_ids(cursor, n: int) -> list[int]:
    """n ids for new reports, ascending, never used before (inside the caller's transaction).
    SQLite: after the largest ever given (AUTOINCREMENT's own rule; the transaction holds the
    write lock, so they are this batch's alone). PostgreSQL: from the key's sequence."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    table, column = Report._meta.db_table, Report._meta.pk.column
    if connection.vendor == "sqlite":
        cursor.execute(f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                       f"COALESCE((SELECT MAX({quote(column)}) FROM {quote(table)}), 0))", [table])
        last = cursor.fetchone()[0]
        return list(range(last + 1, last + 1 + n))
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, n])
    return sorted(row[0] for row in cursor.fetchall())


ROWS_PER_INSERT = 500


def insert_rows(cursor, table: str, names: list[str], rows: list) -> None:
    """Insert rows of values for these columns. SQLite: several hundred rows per INSERT (one
    statement to prepare and run instead of one per row). PostgreSQL: COPY, whose rows psycopg
    formats in C; psycopg would parse a multi-row INSERT's thousands of placeholders in Python on
    every execute, which took three quarters of an import's time."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    if connection.vendor == "postgresql":
        # psycopg's own cursor: its errors become Django's (an IntegrityError is retried by the caller)
        with connection.wrap_database_errors, cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    head = f"INSERT INTO {quote(table)} ({columns}) VALUES "
    width = len(names)
    limit = connection.features.max_query_params or 65535
    per = max(1, min(ROWS_PER_INSERT, limit // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    full = head + ", ".join([one] * per)
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        cursor.execute(sql, [value for row in chunk for value in row])


def select_in(cursor, table: str, key: str, value: str, keys: list[str], chunk: int = 2000) -> list[tuple]:
    # Plain SQL: the ORM resolves every element of a 1,000-item IN list one by one. Chunks keep
    # each statement well under SQLite's limit on parameters.
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # One text parameter, split by the server: psycopg would quote a list's items one by one in
        # Python. The keys are references or fingerprints, which never hold a comma.
        assert not any("," in k for k in keys)
        cursor.execute(f"SELECT {quote(key)}, {quote(value)} FROM {quote(table)} "
                       f"WHERE {quote(key)} = ANY(string_to_array(%s, ','))", [",".join(keys)])
        return cursor.fetchall()
    found = []
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        cursor.execute(f"SELECT {quote(key)}, {quote(value)} FROM {quote(table)} WHERE {quote(key)} IN "
                       f"({', '.join(['%s'] * len(part))})", part)
        found.extend(cursor.fetchall())
    return found


def insert_links(pairs: list[tuple[int, int]]) -> None:
    """Report ↔ category links as (report id, category id)."""
    if not pairs:
        return
    through = Report.categories.through
    columns = [through._meta.get_field("report").column, through._meta.get_field("category").column]
    with connection.cursor() as cursor:
        insert_rows(cursor, through._meta.db_table, columns, pairs)
