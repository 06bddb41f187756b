"""Fast insertion of imported reports: plain parameterised INSERTs through Django's connection.

Building 100,000 model instances and letting the ORM compile each INSERT costs far more than the
database work (about 80% of an import's time in profiles). Here each row is a dict of column
values; the column list comes from the Report model itself, so a field added to Report later is
filled with its default, and every value is prepared by its own model field (dates and JSON
come out right on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from types import SimpleNamespace

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from testigo.reports.models import Report
from testigo.reports.services import REFERENCE_ALPHABET, refresh_projection
from testigo.surveys.models import ImportRow


def fast_references(n: int) -> list[str]:
    """n references of the same format and strength as reports.services.new_reference (40 random
    bits each), from one read of the system's random source instead of eight secrets.choice
    calls each: 32 symbols divide 256, so `byte & 31` stays uniform."""
    assert len(REFERENCE_ALPHABET) == 32
    symbols = [REFERENCE_ALPHABET[b & 31] for b in secrets.token_bytes(8 * n)]
    return [f"T-{''.join(symbols[i:i + 4])}-{''.join(symbols[i + 4:i + 8])}" for i in range(0, 8 * n, 8)]


def fast_reference() -> str:
    return fast_references(1)[0]


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


def _columns() -> list:
    return [f for f in Report._meta.concrete_fields if not f.primary_key]


def report_row(values: dict, reference: str | None = None, projection: dict | None = None) -> dict:
    """Column values for one report (`values` is completed in place and returned): projection
    computed, reference drawn (unless given), defaults left to insert_reports. `projection`:
    projection_settings(), read once for many rows."""
    shadow = SimpleNamespace(reference=reference or fast_reference(), lat=values.get("lat"), lon=values.get("lon"),
                             title=values["title"], description=values["description"], redactions=[])
    refresh_projection(shadow, **(projection or {}))  # the same public projection create_report computes
    values.update(reference=shadow.reference, tile_key=shadow.tile_key, public_lat=shadow.public_lat,
                  public_lon=shadow.public_lon, public_tile_key=shadow.public_tile_key,
                  public_title=shadow.public_title, public_description=shadow.public_description)
    return values


def projection_settings() -> dict:
    return {"radius_m": settings.FUZZ_RADIUS_M, "secret": settings.SECRET_KEY}


def _sqlite_utc_text(value):
    """What the SQLite backend's adapt_datetimefield_value returns when the connection's zone is UTC."""
    if value is None:
        return None
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


class ReportColumns:
    """The reports table's columns and how each value is prepared for the database, worked out
    once per import in the thread that owns the connection; `params` may then run in another
    thread (it only calls the backend's stateless adapters)."""

    def __init__(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]  # the real object: the proxy costs a lookup per use
        fields = _columns()
        self.position = {f.attname: i for i, f in enumerate(fields)}
        # Values shared by every row are prepared once, by their own model field.
        self.template = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
        self._received = Report._meta.get_field("received_at")
        self._connection = connection
        # Per-row values that need the backend's adaptation: what DateTimeField / JSONField
        # .get_db_prep_save end with, called directly (their other steps are no-ops for the aware
        # datetimes and plain dicts the mapping produces).
        self._adapt_datetime = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone == UTC:
            self._adapt_datetime = _sqlite_utc_text  # the same text, without its per-call settings lookups
        self._adapt_json = connection.ops.adapt_json_value
        self._encoder = Report._meta.get_field("custom_values").encoder
        quote = connection.ops.quote_name
        self.sql = f"INSERT INTO {quote(Report._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "

    def stamp(self) -> list:
        """The template with received_at / updated_at set to now (one per batch)."""
        template = self.template.copy()
        now = self._received.get_db_prep_save(timezone.now(), self._connection)
        template[self.position["received_at"]] = template[self.position["updated_at"]] = now
        return template

    def params(self, row: dict, template: list) -> list:
        values = template.copy()
        position = self.position
        for key, value in row.items():
            values[position[key]] = value
        # The row's own values still need the backend's adaptation (the template's are prepared).
        if "occurred_at" in row:
            values[position["occurred_at"]] = self._adapt_datetime(row["occurred_at"])
        if "custom_values" in row:
            values[position["custom_values"]] = self._adapt_json(row["custom_values"], self._encoder)
        return values


def insert_reports(rows: list[dict], columns: ReportColumns | None = None,
                   params: list[list] | None = None) -> dict[str, int]:
    """INSERT the rows (from report_row; `params` from columns.params when the caller prepared
    them already); returns {reference: id}."""
    if not rows:
        return {}
    if columns is None or params is None:
        columns = columns or ReportColumns()
        template = columns.stamp()
        params = [columns.params(row, template) for row in rows]
    references = [row["reference"] for row in rows]
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        last_ids = insert_rows(cursor, columns.sql, params)
        if connection.vendor == "sqlite":
            ids = _sqlite_ids(cursor, references, last_ids[-1])
            if ids is not None:
                return ids
        return dict(_select_in(cursor, Report._meta.db_table, "reference", Report._meta.pk.column, references))


def _sqlite_ids(cursor, references: list[str], last_id: int) -> dict[str, int] | None:
    """The new rows' ids without reading 5,000 rows back: SQLite numbers the rows of an INSERT
    consecutively (an AUTOINCREMENT key is the largest so far plus one, and this transaction
    holds the write lock), so the batch's rows end at the last statement's lastrowid. Checked,
    not assumed: the count and both ends of the range must match, else None (the caller then
    reads them back)."""
    ids = range(last_id - len(references) + 1, last_id + 1)
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table, key = quote(Report._meta.db_table), quote(Report._meta.pk.column)
    cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} BETWEEN %s AND %s", [ids[0], ids[-1]])
    if cursor.fetchone()[0] != len(references):
        return None
    cursor.execute(f"SELECT {key}, reference FROM {table} WHERE {key} IN (%s, %s)", [ids[0], ids[-1]])
    if dict(cursor.fetchall()) != {ids[0]: references[0], ids[-1]: references[-1]}:
        return None
    return dict(zip(references, ids, strict=True))


ROWS_PER_INSERT = 500


def insert_rows(cursor, head: str, rows: list) -> list[int]:
    """`head` ("INSERT INTO t (a, b) VALUES ") for every row, several hundred rows a statement
    (one statement to prepare and run instead of one per row); returns each statement's
    cursor.lastrowid (SQLite; PostgreSQL's cursor has none)."""
    if not rows:
        return []
    width = len(rows[0])
    connection = connections[DEFAULT_DB_ALIAS]
    sqlite = connection.vendor == "sqlite"
    limit = connection.features.max_query_params or 65535
    per = max(1, min(ROWS_PER_INSERT, limit // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    full = head + ", ".join([one] * per)
    last_ids = []
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        cursor.execute(sql, [value for row in chunk for value in row])
        if sqlite:
            last_ids.append(cursor.lastrowid)
    return last_ids


def _select_in(cursor, table: str, key: str, value: str, keys: list[str], chunk: int = 2000) -> list[tuple]:
    # Plain SQL: the ORM resolves every element of a 1,000-item IN list one by one. Chunks keep
    # each statement well under SQLite's limit on parameters.
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    found = []
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        cursor.execute(f"SELECT {quote(key)}, {quote(value)} FROM {quote(table)} WHERE {quote(key)} IN "
                       f"({', '.join(['%s'] * len(part))})", part)
        found.extend(cursor.fetchall())
    return found


def known_fingerprints(fingerprints: list[str]) -> set[str]:
    """The fingerprints among these that an earlier import already stored."""
    if not fingerprints:
        return set()
    with connection.cursor() as cursor:
        return {key for key, _pk in _select_in(cursor, ImportRow._meta.db_table, "fingerprint", "id", fingerprints)}


def insert_links(pairs: list[tuple[int, int]]) -> None:
    """Report ↔ category links as (report id, category id)."""
    if not pairs:
        return
    through = Report.categories.through
    quote = connection.ops.quote_name
    columns = [through._meta.get_field("report").column, through._meta.get_field("category").column]
    with connection.cursor() as cursor:
        insert_rows(cursor, f"INSERT INTO {quote(through._meta.db_table)} ({quote(columns[0])}, {quote(columns[1])}) "
                    "VALUES ", pairs)


def insert_fingerprints(rows: list[tuple[str, int, int]]) -> None:
    """(fingerprint, import id, report id) for each imported row."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        insert_rows(cursor, f"INSERT INTO {quote(ImportRow._meta.db_table)} (fingerprint, source_import_id, "
                    "report_id) VALUES ", rows)
