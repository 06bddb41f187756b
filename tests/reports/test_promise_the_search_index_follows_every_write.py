"""Issue #19: the text search indexes follow every write of a report, whatever makes it: the
ORM's save, bulk_update, the bulk importer's raw INSERT (COPY on PostgreSQL), plain SQL, a
redaction (public text edited), a deletion, a merge. On SQLite triggers keep the FTS5 tables in
step; on PostgreSQL the GIN indexes are expression indexes. And the searches read those indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from testigo.reports import bulk, search, services
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters, public_reports, staff_reports

pytestmark = pytest.mark.django_db


def _staff(user, text: str) -> list[str]:
    return [r.reference for r in staff_reports(user, ReportFilters(text=text))]


def _public(text: str) -> list[str]:
    return [r["reference"] for r in public_reports(ReportFilters(text=text))]


@pytest.fixture
def public_report(report_factory, admin_user):
    report = report_factory(title="Balacera en la colonia", description="Disparos durante la noche.")
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


def test_a_new_report_is_found_at_once(report_factory, admin_user):
    report = report_factory(title="Extorsión al transporte")
    assert _staff(admin_user, "extorsion") == [report.reference]


def test_an_edit_replaces_the_old_words(public_report, admin_user):
    services.update_report(report=public_report, actor=admin_user, title="Incendio en el mercado")
    assert _staff(admin_user, "balacera") == []
    assert _staff(admin_user, "incendio") == [public_report.reference]
    assert _public("incendios") == [public_report.reference]


def test_a_redaction_removes_the_word_from_the_public_index_only(public_report, admin_user):
    services.redact(report=public_report, actor=admin_user, phrases=["Disparos"])
    assert _public("disparos") == []
    assert _staff(admin_user, "disparos") == [public_report.reference]


def test_bulk_update_and_plain_sql_updates_are_followed(public_report, admin_user):
    public_report.public_title = "Secuestro exprés"
    Report.objects.bulk_update([public_report], ["public_title"])
    assert _public("secuestro") == [public_report.reference]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_report SET description = %s WHERE id = %s",
                       ["Desaparición forzada", public_report.pk])
    assert _staff(admin_user, "desaparicion") == [public_report.reference]
    assert _staff(admin_user, "disparos") == []


def test_a_deleted_report_is_no_longer_found(public_report, admin_user):
    reference = public_report.reference
    Report.objects.filter(pk=public_report.pk).delete()
    assert _staff(admin_user, "balacera") == []
    assert _public("balacera") == []
    with connection.cursor() as cursor:  # and a raw DELETE too
        other = services.create_report(title="Robo de ganado", description="x", lat=None, lon=None)
        cursor.execute("DELETE FROM reports_report WHERE id = %s", [other.pk])
    assert _staff(admin_user, "ganado") == [] and reference


def test_a_merged_duplicate_keeps_its_text_searchable(report_factory, admin_user):
    duplicate, target = report_factory(title="Amenazas en la escuela"), report_factory(title="Amenaza a maestros")
    services.merge(duplicate=duplicate, into=target, actor=admin_user)
    assert set(_staff(admin_user, "amenazas")) == {duplicate.reference, target.reference}
    assert _staff(admin_user, "escuela") == [duplicate.reference]


def test_the_bulk_importers_raw_insert_is_indexed(admin_user):
    columns = bulk.ReportColumns()
    row = bulk.report_row({"title": "Homicidio en Choloma", "description": "Un comerciante murió.",
                           "lat": 15.6, "lon": -87.9})
    (pk,) = bulk.insert_reports([columns.params(row, columns.stamp())], columns)
    assert _staff(admin_user, "homicidios choloma") == [Report.objects.get(pk=pk).reference]


def test_triggers_a_table_rebuild_dropped_are_put_back_and_the_gap_indexed(report_factory, admin_user):
    """Django alters a SQLite table by copying it, which drops its triggers; after every migrate
    ensure_triggers puts them back and reindexes what was written meanwhile."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite triggers (PostgreSQL's expression indexes need none)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_search_%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {name}")
    written_meanwhile = report_factory(title="Desalojo de familias")
    assert search.ensure_triggers() is True
    assert _staff(admin_user, "desalojo") == [written_meanwhile.reference]
    later = report_factory(title="Desalojo violento")
    assert set(_staff(admin_user, "desalojo")) == {written_meanwhile.reference, later.reference}
    assert search.ensure_triggers() is False


@pytest.fixture
def plan_like_a_big_table():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a tiny table: price the scans out as a big one would
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")


def _many_other_published_reports(template: Report, n: int = 300) -> None:
    """Copies of a published report that match no search here, so that on PostgreSQL the status
    index is no longer as cheap as the search index (on a table of one row, every index is)."""
    columns = [f.column for f in Report._meta.concrete_fields if f.column != "id"]
    values = {"reference": "'X-' || g::text", "title": "'Otro'", "description": "'nada'",
              "public_title": "'Otro'", "public_description": "'nada'", "place_name": "''"}
    names = ", ".join(f'"{c}"' for c in columns)
    select = ", ".join(values.get(c, f'"{c}"') for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO reports_report ({names}) "
                       f"SELECT {select} FROM reports_report, generate_series(1, {n}) g WHERE id = %s", [template.pk])
        cursor.execute("ANALYZE reports_report")


def test_a_common_word_is_read_from_the_full_text_index(report_factory, admin_user, published_report,
                                                         plan_like_a_big_table, monkeypatch):
    """A word matching many reports (here: any) is filtered by the index inside the list's query."""
    monkeypatch.setattr(search, "RARE_MATCHES", 1)
    if connection.vendor == "postgresql":
        _many_other_published_reports(published_report)
    staff, public = staff_reports(admin_user, ReportFilters(text="asalto")), public_reports(ReportFilters(text="asalto"))
    if connection.vendor == "sqlite":
        staff, public = staff[:50], public[:20]
    # (On PostgreSQL a page of a common word walks the list's order and matches each report's own
    # text (test_promise_the_public_list_pages_a_common_word_by_walking_the_publication_order): the
    # whole list, as counts and exports read it, is what the GIN index serves.)
    staff_plan, public_plan = staff.explain(), public.explain()
    assert "reports_search_staff" in staff_plan and "reports_search_public" not in staff_plan, staff_plan
    assert "reports_search_public" in public_plan and "reports_search_staff" not in public_plan, public_plan
    if connection.vendor == "sqlite":
        assert "VIRTUAL TABLE INDEX" in staff_plan and "VIRTUAL TABLE INDEX" in public_plan


def test_a_rare_word_reads_the_index_once_then_looks_the_reports_up(report_factory, admin_user,
                                                                     plan_like_a_big_table):
    report = report_factory(title="Desalojo de familias")
    assert search._rare_ids("staff", ["desalojo"], connection.vendor) == [report.pk]
    sql = str(staff_reports(admin_user, ReportFilters(text="desalojo")).query)
    assert "reports_search" not in sql and "to_tsvector" not in sql  # just the ids found
    probe = ("SELECT id FROM reports_report WHERE to_tsvector('testigo_es'::regconfig, title || ' ' || "
             "description || ' ' || place_name) @@ to_tsquery('testigo_es'::regconfig, 'desalojo:*')"
             if connection.vendor == "postgresql" else
             "SELECT rowid FROM reports_search_staff WHERE reports_search_staff MATCH 'desaloj*'")
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + probe)
        plan = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    assert "reports_search_staff" in plan, plan
