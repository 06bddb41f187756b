"""Issue #19: the inbox filtered by a category or by a month must read a page in the staff order from
an index and stop after it, never sort every matching report; and each status tab of a category
counts from the (status, received_at) index. Checked on the plans the database gives, on both
back ends (PostgreSQL with the scans and sorts an index replaces priced out, as tiny test tables
would otherwise make it prefer them)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from testigo.console import inbox as inbox_rows
from testigo.reports.models import Category
from testigo.reports.selectors import ReportFilters, staff_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_like_a_big_table():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # SET LOCAL: ends with the test's transaction
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")


@pytest.fixture
def water(db):
    parent = Category.objects.create(slug="servicios", name_es="Servicios", name_en="Services")
    return Category.objects.create(slug="agua", name_es="Agua", name_en="Water", parent=parent)


def _assert_walks_an_index_in_order(plan: str) -> None:
    if connection.vendor == "postgresql":
        # Only ties on received_at are sorted (by id): an Incremental Sort on the presorted time,
        # as SQLite's "TEMP B-TREE FOR RIGHT PART OF ORDER BY"; never a sort of every match.
        full_sorts = [line for line in plan.splitlines() if "Sort" in line and "Sort Key" not in line
                      and "Incremental Sort" not in line and "Presorted Key" not in line]
        assert "Index" in plan and not full_sorts, plan
        assert "Sort" not in plan or "Presorted Key: reports_report.received_at" in plan, plan
    else:
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.parametrize("filters", [
    lambda c: ReportFilters(categories=[c.id]),
    lambda c: ReportFilters(categories=[c.parent_id]),  # the parent takes its children along
    lambda c: ReportFilters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 28)),
    lambda c: ReportFilters(categories=[c.id], date_from=date(2026, 3, 1), date_to=date(2026, 3, 28)),
], ids=["category", "parent_category", "month", "category_and_month"])
def test_a_page_of_the_inbox_walks_an_index_in_the_staff_order(plan_like_a_big_table, admin_user, water, filters):
    qs = inbox_rows.page_queryset(staff_reports(admin_user, filters(water), paged=True), with_answers=False)
    _assert_walks_an_index_in_order(qs[:51].explain())


def test_a_status_tab_of_a_category_counts_from_the_status_index(plan_like_a_big_table, admin_user, water):
    qs = staff_reports(admin_user, ReportFilters(categories=[water.id]), paged=True)
    plan = qs.filter(status="new").order_by().values("pk")[:1001].explain()
    if connection.vendor == "postgresql":
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        assert "INDEX report_status" in plan, plan
