"""Issue #19, PostgreSQL: the inbox's text search with a status tab lists the matches newest
arrival first (search.staff_order, `-id`). For a common word in a common status (more matches than
search.RARE_MATCHES, so not looked up by key) PostgreSQL combined the word's GIN index with the
status index and then sorted every match of both to show 50. The (status, id) index
`report_status_id` (reports migration 0018) gives it the page's order under the status: it walks
the index newest first, tests each report against the word, and stops after the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from testigo.reports import search, selectors
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters

pytestmark = pytest.mark.django_db

N = 6_000


@pytest.fixture
def inbox(monkeypatch):
    """N reports in bulk, a third saying "extorsión", a quarter in review (walking the newest
    reports of every status would read four times as many); statistics as autovacuum would leave them."""
    monkeypatch.setattr(search, "RARE_MATCHES", 50)
    now = timezone.now()
    statuses = ["in_review", "new", "verified", "published"]
    Report.objects.bulk_create([
        Report(reference=f"T-{i:07d}", title="Extorsión en el mercado" if i % 3 == 0 else "Robo en la parada",
               description="Cobran la renta a los comerciantes." if i % 3 == 0 else "Dos hombres en moto.",
               status=statuses[i % 4], received_at=now, lat=14.07, lon=-87.19)
        for i in range(N)], batch_size=2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_report")


def _plan(admin_user, status: str) -> str:
    page = selectors.staff_reports(admin_user, ReportFilters(text="extorsiones", statuses=[status]), paged=True)[:50]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan (SQLite's index holds the status)")
def test_a_page_of_a_common_word_in_a_common_status_walks_the_status_index_without_sorting(inbox, admin_user):
    plan = _plan(admin_user, "in_review")
    assert "report_status_id" in plan, plan
    assert "Sort" not in plan, plan


def test_the_page_is_the_newest_matches_of_the_status(inbox, admin_user, monkeypatch):
    page = list(selectors.staff_reports(admin_user, ReportFilters(text="extorsiones", statuses=["in_review"]),
                                        paged=True)[:50])
    expected = list(Report.objects.filter(status="in_review", title__startswith="Extorsión").order_by("-id")[:50])
    assert page == expected
