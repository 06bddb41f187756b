"""Issue #19: at a million reports the inbox spent its time counting: a GROUP BY status over every
visible report for the tabs and an exact COUNT(*) for the pager. Now each status count stops after
paging.COUNT_CAP reports (shown "N+" / "más de N"), the pager reads a page plus one row, and the
filters the inbox offers are served by indexes in the staff order. Checked on results, on the SQL
sent (LIMIT, no GROUP BY) and on query plans, on both back ends."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from testigo.console import selectors as console_selectors
from testigo.core import paging
from testigo.reports import services
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_like_a_big_table():
    """Tiny test tables make PostgreSQL prefer a sequential scan or a sort whatever the indexes
    (and statistics other tests left decide which); price them out so the plan shows which index
    CAN serve the query and its order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # SET LOCAL: ends with the test's transaction
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)


@pytest.fixture
def mixed(report_factory, admin_user):
    fire = Category.objects.create(slug="incendio", name_es="Incendio", name_en="Fire")
    made = [report_factory(source="sms"), report_factory(source="sms", categories=[fire]), report_factory(),
            report_factory(categories=[fire])]
    services.verify(report=made[0], actor=admin_user)
    services.verify(report=made[3], actor=admin_user)
    return {"fire": fire, "reports": made}


def _exact(user, filters: ReportFilters) -> dict[str, int]:
    """The old way: every matching report counted."""
    matching = console_selectors.selectors.staff_reports(user, filters).values("pk")
    return {status: Report.objects.filter(status=status, pk__in=matching).count() for status in Report.Status.values}


@pytest.mark.parametrize("filters", [
    ReportFilters(), ReportFilters(sources=["sms"]), ReportFilters(sources=["web"]),
    ReportFilters(statuses=["verified"]),  # the tabs ignore the chosen status
])
def test_status_counts_match_exact_counts_below_the_cap(mixed, admin_user, filters):
    counts = console_selectors.status_counts(admin_user, filters)
    assert counts == _exact(admin_user, replace(filters, statuses=[]))
    assert all(count.exact for count in counts.values())


def test_status_counts_with_a_category_match_exact_counts(mixed, admin_user):
    counts = console_selectors.status_counts(admin_user, ReportFilters(categories=[mixed["fire"].id]))
    assert counts == {**{s: 0 for s in Report.Status.values}, "new": 1, "verified": 1}


def test_the_inbox_never_groups_or_counts_without_a_limit(mixed, mod_client):
    with CaptureQueriesContext(connection) as queries:
        response = mod_client.get("/console/?source=sms")
    assert response.status_code == 200
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counting, "the tabs are counted"
    for sql in counting:
        assert "GROUP BY" not in sql.upper(), sql
        assert re.search(r"LIMIT 1001\b", sql), sql


def test_above_the_cap_the_tabs_say_more_than(cap_of_three, report_factory, mod_client):
    for _ in range(5):
        report_factory()
    page = mod_client.get("/console/").content.decode()
    assert '<span class="count">3+</span>' in page  # "New" and "All"
    mod_client.cookies["django_language"] = "es"
    page = mod_client.get("/console/").content.decode()
    with translation.override("es"):  # "más de 3" once the lead merges /work/i18n/console.json
        assert f'<span class="count">{paging.CappedCount(3, exact=False)}</span>' in page


def test_below_the_cap_the_tabs_show_the_exact_number(cap_of_three, report_factory, mod_client):
    for _ in range(3):
        report_factory()
    page = mod_client.get("/console/").content.decode()
    assert '<span class="count">3</span>' in page and "3+" not in page


@pytest.fixture
def seventy(report_factory):
    """Seventy reports received a minute apart, newest last made."""
    now = timezone.now()
    return [report_factory(received_at=now - timedelta(minutes=70 - i)) for i in range(70)]


def test_pages_go_next_and_back_without_an_exact_count(cap_of_three, seventy, mod_client):
    first = mod_client.get("/console/")
    assert first.context["page"].has_next() and not first.context["page"].has_previous()
    assert [r.reference for r in first.context["page"]] == [r.reference for r in reversed(seventy)][:50]
    assert "Page 1</span>" in first.content.decode()  # no "of N": the count is capped
    second = mod_client.get("/console/?page=2")
    assert [r.reference for r in second.context["page"]] == [r.reference for r in reversed(seventy)][50:]
    assert not second.context["page"].has_next() and second.context["page"].has_previous()


def test_a_page_beyond_the_end_shows_the_last_page(seventy, mod_client):
    response = mod_client.get("/console/?page=9")
    assert response.context["page"].number == 2 and len(response.context["page"]) == 20
    assert "Page 2 of 2" in response.content.decode()  # exact below the cap: the last page is known
    assert mod_client.get("/console/?page=abc").context["page"].number == 1


def _plan(qs) -> str:
    return qs.explain()


def test_a_status_count_by_source_reads_only_the_status_and_source_index(plan_like_a_big_table, admin_user):
    qs = console_selectors.selectors.staff_reports(admin_user, ReportFilters(sources=["sms"]), paged=True)
    plan = _plan(qs.filter(status="new").order_by().values("pk")[:1001])
    if connection.vendor == "postgresql":
        # On empty tables every index costs the same to PostgreSQL: check the one it gets at
        # scale is there, in the staff order.
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'report_status_source_received'")
            assert "(status, source, received_at DESC)" in cursor.fetchone()[0]
        return
    assert "COVERING INDEX report_status_source_received" in plan, plan


def test_a_page_of_one_status_and_source_walks_the_index_in_the_staff_order(plan_like_a_big_table, admin_user):
    filters = ReportFilters(statuses=["new"], sources=["sms"])
    plan = _plan(console_selectors.selectors.staff_reports(admin_user, filters, paged=True)[:51])
    if connection.vendor == "sqlite":
        assert "report_status_source_received" in plan, plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
        return
    # PostgreSQL on tiny test tables picks among the indexes that give the staff order by costs
    # that other tests' statistics move; what the promise needs is that the page is read from an
    # index in that order and stops at the limit, never sorting every matching report (an
    # Incremental Sort that only orders ties of the index's presorted received_at is bounded).
    assert plan.lstrip().startswith("Limit") and "Index Scan" in plan, plan
    full_sorts = [line for line in plan.splitlines() if re.search(r"(^|-> +)Sort +\(cost", line.strip())]
    assert not full_sorts, plan
    if "Incremental Sort" in plan:
        assert "Presorted Key: reports_report.received_at" in plan, plan
