"""Issue #19: at a million reports the home page took 1.5 s (SQLite) / 250 ms (PostgreSQL), all of
it one query sorting every published report to show the newest 20. The index report_public_order
serves the public order (selectors.PUBLIC_ORDER) under its filter, so the database walks the index
and stops after a page. Checked deterministically on the query plan, on both back ends."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from testigo.api import queries
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters, public_reports

INDEX = "report_public_order"


@pytest.fixture
def plan_like_a_big_table():
    """A tiny test table makes PostgreSQL prefer a sequential scan and a sort whatever the indexes;
    at a million rows it picks the index. Price the scan and the sort out so the plan shows whether
    an index CAN give the order (without one, PostgreSQL still has to sort)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # SET LOCAL: ends with the test's transaction
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")


# sqlite_stat1 as ANALYZE left it after bench/bench_million.py seeded 1,000,000 reports. With these
# statistics SQLite's planner prefers, for a category filter written as an IN list, reading every
# link of the category and sorting (550 ms); the tests must see the plan a big database gets.
MILLION_STATS = {
    "reports_report_categories": {"category_id": "1333636 148182", "report_id_category_id": "1333636 2 1",
                                  "report_id": "1333636 2"},
    "reports_report": {"report_public_order": "1000000 200000 100000 3 1", "report_status_received": "1000000 200000 2",
                       "report_status_source_received": "1000000 200000 50000 1",
                       "report_public_occurred": "1000000 200000 100000 1 1 1 1", "report_merged_into": "1 1",
                       "source": "1000000 250000", "autoindex": "1000000 1",
                       # the map's covering indexes (geo 0002, restored on SQLite by geo 0004)
                       "geo_report_public_cover": "1000000 200000 100000 30 2 1 1",
                       "geo_report_staff_cover": "1000000 200000 30 2 1 1 1",
                       # the dashboard's covering index: received_at is nearly unique
                       "report_dashboard": "1000000 2 1 1 1 1 1"},
}


@pytest.fixture
def million_report_statistics(plan_like_a_big_table):
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:  # inside the test's transaction: rolled back after it
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1")
        for table, stats in MILLION_STATS.items():
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
            for (index,) in cursor.fetchall():
                stat = next((v for k, v in stats.items() if k in index.replace(f"{table}_", "")), None)
                stat = stat or "1000000 1000000" if table == "reports_report" else stat or "1333636 2"
                cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", [table, index, stat])
        cursor.execute("ANALYZE sqlite_schema")  # makes the planner load the statistics just written


def _plan(qs) -> str:
    return qs.explain()


def _assert_walks_the_index(plan: str) -> None:
    assert INDEX in plan, plan
    if connection.vendor == "postgresql":
        assert "Sort" not in plan, plan
    else:
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.django_db
def test_the_home_page_query_walks_the_public_order_index_without_sorting(plan_like_a_big_table):
    _assert_walks_the_index(_plan(public_reports()[:20]))


@pytest.mark.django_db
def test_the_public_list_with_a_category_and_dates_reads_an_index(plan_like_a_big_table):
    """Either the order's index, or (a period) the date index report_public_occurred: a range of
    that period's reports, where walking the order from the newest would read every later one."""
    category = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    filters = ReportFilters(categories=[category.id], date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    plan = _plan(public_reports(filters)[:20])
    if "report_public_occurred" in plan:
        assert "occurred_at>" in plan.replace(" ", "") or "occurred_at >=" in plan, plan
    else:
        _assert_walks_the_index(plan)


@pytest.mark.django_db
def test_a_page_by_category_walks_the_index_in_a_big_database(million_report_statistics):
    category = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    _assert_walks_the_index(_plan(public_reports(ReportFilters(categories=[category.id]), paged=True)[:20]))


@pytest.mark.django_db
def test_a_big_database_walks_the_index_for_the_home_page(million_report_statistics):
    _assert_walks_the_index(_plan(public_reports()[:20]))


@pytest.mark.django_db
def test_the_api_public_list_after_a_cursor_walks_the_index(plan_like_a_big_table):
    from django.utils import timezone

    qs = public_reports(ReportFilters())
    qs = queries._after(qs, "published_at", "reference", timezone.now(), "ABC-123")
    _assert_walks_the_index(_plan(qs[:26]))


@pytest.mark.django_db
def test_the_index_is_the_public_order_with_nulls_last_on_postgresql():
    """PostgreSQL's DESC index puts NULLs first; the public order puts them last, and an index
    that disagrees cannot serve it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only index definition (runs in the PostgreSQL pass)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        (definition,) = cursor.fetchone()
    assert "published_at DESC NULLS LAST" in definition
    assert Report.objects.count() == 0  # the check reads the catalogue, not rows
