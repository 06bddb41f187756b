"""Fast insertion of imported reports: plain parameterised INSERTs through Django's connection.

Building 100,000 model instances and letting the ORM compile each INSERT costs far more than the
database work (about 80% of an import's time in profiles). Here each row is a dict of column
values; the column list comes from the Report model itself, so a field added to Report later is
filled with its default, and every value is prepared by its own model field (dates and JSON
come out right on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from testigo.reports.models import Report
from testigo.reports.services import REFERENCE_ALPHABET, refresh_projection
from testigo.surveys.models import ImportRow

# Fields whose values differ per row and need the field's own preparation (datetimes, JSON).
_PER_ROW = {"occurred_at", "custom_values"}


def fast_reference() -> str:
    """Same format and strength as reports.services.new_reference (40 random bits), without
    eight separate secrets.choice calls: 32 symbols divide 256, so `byte & 31` stays uniform."""
    assert len(REFERENCE_ALPHABET) == 32
    body = "".join(REFERENCE_ALPHABET[b & 31] for b in secrets.token_bytes(8))
    return f"T-{body[:4]}-{body[4:]}"


def _columns() -> list:
    return [f for f in Report._meta.concrete_fields if not f.primary_key]


def report_row(values: dict) -> dict:
    """Column values for one report: projection computed, reference drawn, defaults filled."""
    shadow = SimpleNamespace(reference=fast_reference(), lat=values.get("lat"), lon=values.get("lon"),
                             title=values["title"], description=values["description"], redactions=[])
    refresh_projection(shadow)  # the same public projection create_report computes
    row = dict(values)
    row.update(reference=shadow.reference, tile_key=shadow.tile_key, public_lat=shadow.public_lat,
               public_lon=shadow.public_lon, public_tile_key=shadow.public_tile_key,
               public_title=shadow.public_title, public_description=shadow.public_description)
    return row


def insert_reports(rows: list[dict]) -> dict[str, int]:
    """INSERT the rows; returns {reference: id}."""
    if not rows:
        return {}
    connection = connections[DEFAULT_DB_ALIAS]  # the real object: the proxy costs a lookup per use
    fields = _columns()
    now = timezone.now()
    # Values shared by the whole batch are prepared once.
    shared = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    shared["received_at"] = shared["updated_at"] = Report._meta.get_field("received_at").get_db_prep_save(
        now, connection)
    per_row = [(i, f) for i, f in enumerate(fields) if f.attname in _PER_ROW]
    plain = [(i, f.attname) for i, f in enumerate(fields) if f.attname not in _PER_ROW and f.attname not in
             ("received_at", "updated_at")]
    template = [shared[f.attname] for f in fields]
    params = []
    for row in rows:
        values = list(template)
        for i, attname in plain:
            if attname in row:
                values[i] = row[attname]
        for i, field in per_row:
            values[i] = field.get_db_prep_save(row.get(field.attname), connection)
        params.append(values)
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Report._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return dict(_select_in(cursor, Report._meta.db_table, "reference", Report._meta.pk.column,
                               [row["reference"] for row in rows]))


def _select_in(cursor, table: str, key: str, value: str, keys: list[str]) -> list[tuple]:
    # Plain SQL: the ORM resolves every element of a 1,000-item IN list one by one.
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    cursor.execute(f"SELECT {quote(key)}, {quote(value)} FROM {quote(table)} WHERE {quote(key)} IN "
                   f"({', '.join(['%s'] * len(keys))})", keys)
    return cursor.fetchall()


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
        cursor.executemany(f"INSERT INTO {quote(through._meta.db_table)} ({quote(columns[0])}, {quote(columns[1])}) "
                           "VALUES (%s, %s)", pairs)


def insert_fingerprints(rows: list[tuple[str, int, int]]) -> None:
    """(fingerprint, import id, report id) for each imported row."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(ImportRow._meta.db_table)} (fingerprint, source_import_id, "
                           "report_id) VALUES (%s, %s, %s)", rows)
