"""Issue #19: the public list (`/reports/?q=`) of a common word, newest publication first, tested
each report it walked against the set of every match of the word, built first: a third of the
published reports for a common word, at every page view. Now the page walks the public order's
index and asks the search index about each report by key (SQLite: the FTS5 table sought to the
report's rowid; PostgreSQL: the report's own text matched, the GIN index left to counts), and stops
after the page. A rare word is still looked up by key, the other way round. The pages list the same
reports, in the same order, and never one the public may not see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from testigo.reports import search, selectors, services
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters

pytestmark = pytest.mark.django_db

COMMON = 9


@pytest.fixture
def common_word(report_factory, admin_user, monkeypatch):
    """COMMON published reports say "extorsión" (published in turn); three more do but are not
    public; RARE_MATCHES below that makes the word common."""
    monkeypatch.setattr(search, "RARE_MATCHES", 4)
    published = []
    for i in range(COMMON):
        report = report_factory(title=f"Extorsión número {i}", description="Cobran la renta.")
        services.verify(report=report, actor=admin_user)
        published.append(services.publish(report=report, actor=admin_user))
    for i in range(3):
        report_factory(title=f"Extorsión sin publicar {i}")
    report_factory(title="Robo")
    return published


def _page_plan(text: str) -> str:
    keys = selectors.public_reports(ReportFilters(text=text), paged=True).values("id")[:20]
    sql, params = keys.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_pages_list_the_matches_newest_publication_first(common_word, client):
    newest_first = sorted(common_word, key=lambda r: (r.published_at, r.reference), reverse=True)
    response = client.get("/reports/?q=extorsiones")
    assert response.status_code == 200
    assert [row["reference"] for row in response.context["reports"]] == [r.reference for r in newest_first]
    assert response.context["page"].paginator.count == COMMON
    rows = selectors.public_rows(selectors.public_reports(ReportFilters(text="renta extorsion"), paged=True), 3, 6)
    assert [row["reference"] for row in rows] == [r.reference for r in newest_first[3:6]]
    assert selectors.public_rows(selectors.public_reports(ReportFilters(text="robo"), paged=True), 0, 20) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 plan")
def test_a_common_words_page_walks_the_public_order_without_the_set_of_every_match(common_word):
    plan = _page_plan("extorsion")
    assert "LIST SUBQUERY" not in plan and "TEMP B-TREE" not in plan, plan  # no set of matches, no sort
    assert "report_public_order" in plan, plan
    assert plan.index("reports_report") < plan.index(search.TABLES["public"]), plan  # the order drives


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_common_words_page_walks_the_public_order_on_postgresql(monkeypatch):
    """6,000 published reports in bulk, a third saying the word; statistics as autovacuum leaves them."""
    monkeypatch.setattr(search, "RARE_MATCHES", 50)
    now = timezone.now()
    Report.objects.bulk_create([
        Report(reference=f"P-{i:07d}", title="Extorsión en el mercado" if i % 3 == 0 else "Robo en la parada",
               public_title="Extorsión en el mercado" if i % 3 == 0 else "Robo en la parada",
               description="", public_description="", status="published", visibility="public", received_at=now,
               published_at=now - timedelta(minutes=i), lat=14.07, lon=-87.19)
        for i in range(6_000)], batch_size=2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_report")
    plan = _page_plan("extorsiones")
    assert "report_public_order" in plan and "Sort" not in plan, plan
    rows = selectors.public_rows(selectors.public_reports(ReportFilters(text="extorsiones"), paged=True), 0, 20)
    assert [row["reference"] for row in rows] == [f"P-{i:07d}" for i in range(0, 60, 3)]
