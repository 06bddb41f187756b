"""Issue #19: with a million audit events the audit page counted the whole trail, listed the
actions with a DISTINCT over every event, and filtered by action or actor by reading every
matching event and sorting; the staff report page found a report's duplicates by scanning
every report. Indexes now serve each of these, checked on the plan and the SQL, on both back
ends."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testigo.console import selectors as console_selectors
from testigo.core import audit, roles
from testigo.core.models import AuditEvent
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_like_a_big_table():
    """Tiny tables make PostgreSQL prefer a sequential scan and a sort whatever the indexes;
    price both out so the plan shows whether an index CAN serve the query."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")


def _assert_index_in_order(plan: str, index: str) -> None:
    assert index in plan, plan
    if connection.vendor == "postgresql":
        assert "Sort" not in plan, plan
    else:
        assert "USE TEMP B-TREE" not in plan, plan


def test_the_audit_page_by_action_walks_its_index_newest_first(plan_like_a_big_table, admin_user):
    qs = console_selectors.audit_events(admin_user, console_selectors.AuditFilters(action="report.edited"))
    _assert_index_in_order(qs[:51].explain(), "audit_action_seq")


def test_the_audit_page_by_actor_walks_its_index_newest_first(plan_like_a_big_table, admin_user):
    qs = console_selectors.audit_events(admin_user, console_selectors.AuditFilters(actor="Ana"))
    _assert_index_in_order(qs[:51].explain(), "audit_actor_seq")


def test_the_actor_filter_ignores_case(admin_user, make_user):
    ana = make_user(roles.MODERATOR, username="Ana")
    audit.record(action="report.edited", actor=ana, object_type="reports.report", object_id="1")
    for typed in ("ana", "ANA", " Ana "):
        events = console_selectors.audit_events(admin_user, console_selectors.AuditFilters(actor=typed))
        assert [e.actor_name for e in events] == ["Ana"], typed


def test_the_action_list_is_read_by_index_seeks_and_is_complete(admin_user):
    for action in ("report.edited", "user.created", "report.edited", "category.created"):
        audit.record(action=action, actor=admin_user)
    codes = [code for code, _label in console_selectors.audit_actions()]
    assert sorted(codes) == sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    with CaptureQueriesContext(connection) as queries:
        console_selectors.audit_actions()
    assert "DISTINCT" not in queries.captured_queries[0]["sql"].upper()


def test_the_audit_page_counts_nothing_without_a_limit(admin_user, client_as):
    audit.record(action="report.edited", actor=admin_user)
    client = client_as(roles.ADMIN)
    for url in ("/console/audit/", "/console/audit/?action=report.edited", "/console/audit/?actor=x&page=3"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        for sql in (q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()):
            assert re.search(r"LIMIT \d+", sql), sql


# SQLite's statistics for the plain index on merged_into when nearly every value is NULL (as
# ANALYZE left them at 100,000 reports with no merges): every value looks like it matches every
# row, and the planner scanned the table instead (1 s at 100k reports).
MERGED_STATS = "1000000 1000000"


@pytest.fixture
def merged_into_mostly_null():
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:  # inside the test's transaction: rolled back after it
        cursor.execute("ANALYZE")
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports_report'")
        names = [name for (name,) in cursor.fetchall()]
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'reports_report'")
        for name in names:
            stat = MERGED_STATS if "merged_into_id" in name else "1000000 10"
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('reports_report', %s, %s)", [name, stat])
        cursor.execute("ANALYZE sqlite_schema")


def test_the_report_page_finds_duplicates_through_the_merged_index(merged_into_mostly_null, plan_like_a_big_table,
                                                                   published_report, client_as):
    client = client_as(roles.MODERATOR)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/console/r/{published_report.reference}/").status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if 'WHERE "reports_report"."merged_into_id" =' in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "report_merged_into" in plan and "SCAN reports_report\n" not in plan + "\n", plan
    assert Report.objects.filter(merged_into=published_report).count() == 0


def test_the_source_filter_lists_visible_sources_without_reading_every_report(report_factory, client_as):
    report_factory(source="sms")
    report_factory(source="web")
    secret = report_factory(source="whatsapp")
    Report.objects.filter(pk=secret.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    volunteer, admin = client_as(roles.VOLUNTEER).user, client_as(roles.ADMIN).user
    assert console_selectors.sources(admin) == ["sms", "web", "whatsapp"]
    assert console_selectors.sources(volunteer) == ["sms", "web"]  # only a confidential report came by WhatsApp
    with CaptureQueriesContext(connection) as queries:
        console_selectors.sources(admin)
    assert "DISTINCT" not in queries.captured_queries[0]["sql"].upper()
