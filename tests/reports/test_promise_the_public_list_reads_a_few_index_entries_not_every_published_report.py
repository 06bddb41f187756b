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
def test_the_public_list_with_a_category_and_dates_still_walks_the_index(plan_like_a_big_table):
    category = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    filters = ReportFilters(categories=[category.id], date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    _assert_walks_the_index(_plan(public_reports(filters)[:20]))


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
