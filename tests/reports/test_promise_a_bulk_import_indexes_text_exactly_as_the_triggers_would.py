"""Issue #19 (import throughput): on SQLite the bulk importer indexes its reports' text with one
set-based statement per batch (search.bulk_indexing) instead of the per-row insert triggers. The
full-text index it leaves must be exactly the one the triggers would have written, the triggers
must be back for every other writer afterwards, and a batch that fails leaves them in place."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from testigo.reports import bulk, search
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters, staff_reports

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 tables (PostgreSQL's expression indexes follow every write by themselves)")


ROWS = [("Extorsión al transporte", "Cobran la renta a los buses", 14.07, -87.19, "Comayagüela"),
        ("Robo en el mercado", "Dos hombres en moto", 14.1, -87.2, "Tegucigalpa"),
        ("Homicidio", "Un comerciante murió de noche", None, None, "Choloma"),
        ("Amenazas por teléfono", "EXTORSIONES a una familia", 15.5, -88.02, "")]


def _insert(rows=ROWS) -> list[int]:
    columns = bulk.ReportColumns()
    template = columns.stamp()
    params = [columns.params(bulk.report_row({"title": t, "description": d, "lat": lat, "lon": lon,
                                              "place_name": place, "status": status}), template)
              for (t, d, lat, lon, place), status in zip(rows, ["new", "published", "in_review", "verified"],
                                                          strict=False)]
    with transaction.atomic():
        return bulk.insert_reports(params, columns)


def _instances() -> dict[str, list[tuple]]:
    """Every (term, report, column, offset) of both indexes, through fts5vocab 'instance'."""
    out = {}
    with connection.cursor() as cursor:
        for kind, table in search.TABLES.items():
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_inst USING fts5vocab(main, {table}, 'instance')")
            cursor.execute(f"SELECT term, doc, col, offset FROM temp.{table}_inst ORDER BY term, doc, col, offset")
            out[kind] = cursor.fetchall()
    return out


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_search_%'")
        return {row[0] for row in cursor.fetchall()}


def test_the_bulk_path_writes_what_the_triggers_would(report_factory):
    report_factory(title="Balacera en la colonia")  # a report written before, by the ORM (triggers)
    ids = _insert()
    assert len(ids) == len(ROWS)
    bulk_written = _instances()
    assert {doc for _t, doc, _c, _o in bulk_written["staff"]} >= set(ids)
    with connection.cursor() as cursor:  # FTS5's own check of every index against reports_report
        for table in search.TABLES.values():
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    # The same reports indexed row by row, by the triggers: delete them and insert them again.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE again AS SELECT * FROM reports_report WHERE id IN (%s, %s, %s, %s)", ids)
        cursor.execute("DELETE FROM reports_report WHERE id IN (%s, %s, %s, %s)", ids)
        cursor.execute("INSERT INTO reports_report SELECT * FROM temp.again ORDER BY id")
        cursor.execute("DROP TABLE temp.again")
    assert _instances() == bulk_written


def test_the_triggers_are_back_for_every_other_writer(report_factory, admin_user):
    before = _triggers()
    assert len(before) == 6
    with CaptureQueriesContext(connection) as queries:
        _insert()
    # One set-based statement per index for the batch, with the per-row triggers off meanwhile.
    statements = [q["sql"] for q in queries]
    for table in search.TABLES.values():
        assert sum(sql.startswith(f"INSERT INTO {table}(rowid") for sql in statements) == 1, statements
        assert f"DROP TRIGGER {table}_ai" in statements
    assert _triggers() == before
    later = report_factory(title="Desalojo de familias")  # an ORM write after the import: indexed
    assert [r.reference for r in staff_reports(admin_user, ReportFilters(text="desalojo"))] == [later.reference]
    found = {r.title for r in staff_reports(admin_user, ReportFilters(text="extorsion"))}
    assert found == {"Extorsión al transporte", "Amenazas por teléfono"}


def test_a_failed_batch_leaves_the_triggers_and_the_index_as_they_were(admin_user):
    before, index = _triggers(), _instances()
    columns = bulk.ReportColumns()
    template = columns.stamp()
    row = columns.params(bulk.report_row({"title": "Secuestro", "description": "x", "lat": 14.0, "lon": -87.0}),
                         template)
    twin = list(row)  # the same reference twice: the INSERT fails inside the batch
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_reports([row, twin], columns)
    assert _triggers() == before and _instances() == index
    assert not Report.objects.filter(title="Secuestro").exists()
