"""Issue #19: the public list's search for a common word counted its matches by building the set
of every match of the word (a third of the published reports for a common one) and testing the
public order's index against it. The count needs no order: it now reads the search index's
matches joined to the public reports in the index's own order and stops after the cap. The list
shows the same count, and never a report the public may not see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testigo.core import paging
from testigo.reports import search, selectors, services
from testigo.reports.selectors import ReportFilters

pytestmark = pytest.mark.django_db

COMMON = 9


@pytest.fixture
def common_word(report_factory, admin_user, monkeypatch):
    """COMMON published reports say "extorsión"; three more do but are not public; RARE_MATCHES
    below that makes the word common."""
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


def test_the_count_is_exact_and_capped(common_word, monkeypatch):
    assert selectors.public_count(ReportFilters(text="extorsiones")) == COMMON
    assert selectors.public_count(ReportFilters(text="robo")) == 0
    assert selectors.public_count(ReportFilters(text="renta extorsion")) == COMMON
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    capped = selectors.public_count(ReportFilters(text="extorsion"))
    assert capped.value == 5 and not capped.exact


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 plan")
def test_a_common_words_count_reads_the_index_in_its_order_without_the_set_of_every_match(common_word):
    with CaptureQueriesContext(connection) as queries:
        selectors.public_count(ReportFilters(text="extorsion"))
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counting) == 1, counting
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {counting[0]}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "LIST SUBQUERY" not in plan and "TEMP B-TREE" not in plan, plan
    assert plan.index(search.TABLES["public"]) < plan.index("reports_report"), plan  # the index drives


def test_the_public_list_shows_the_count(common_word, client):
    response = client.get("/reports/?q=extorsion")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == COMMON
    assert sorted(row["reference"] for row in response.context["reports"]) == sorted(r.reference for r in common_word)
