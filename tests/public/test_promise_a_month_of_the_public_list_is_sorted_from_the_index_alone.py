"""Issue #19: the public list filtered by a month took 314/461 ms (p50/p95) at a million reports on
SQLite: to show 20 reports in the public order it fetched every report of the month (~22,000) and
sorted them. Now the date index report_public_occurred also holds the order's columns, so the page's
keys are sorted from index entries alone, and only the page's reports are then read, by key
(selectors.public_rows). Checked on the plans, on both back ends, and on the rows shown."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from testigo.reports import services
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters, public_reports, public_rows

pytestmark = pytest.mark.django_db

MARCH = ReportFilters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 28))


def test_a_page_of_a_month_takes_its_keys_from_the_date_index_alone():
    keys = public_reports(MARCH, paged=True).values("id")[:21]
    if connection.vendor == "postgresql":
        # On empty tables PostgreSQL walks the order's index whatever the others (and turning
        # index scans off turns index-only scans off too): check that the index it gets at
        # scale holds every column the keys' query reads, so it can be an index-only scan.
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'report_public_occurred'")
            definition = cursor.fetchone()[0]
        assert "(status, visibility, occurred_at, published_at, reference, id)" in definition, definition
        sql = str(keys.query)
        assert sql.startswith('SELECT "reports_report"."id" AS "id" FROM "reports_report" WHERE'), sql
    else:
        plan = keys.explain()
        assert "COVERING INDEX report_public_occurred" in plan, plan


def test_the_page_reads_its_reports_by_key():
    keys = public_reports(MARCH, paged=True).values("id")[:21]
    plan = Report.objects.filter(id__in=keys).explain()
    if connection.vendor == "postgresql":
        assert "reports_report_pkey" in plan, plan
    else:
        assert "SEARCH reports_report USING INTEGER PRIMARY KEY" in plan, plan


@pytest.fixture
def published_over_months(report_factory, admin_user):
    """30 public reports, happening over three months, published in an order of their own (some
    on the same instant, so the reference decides), one of them restricted."""
    water = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    made = []
    for i in range(30):
        happened = timezone.make_aware(datetime(2026, 2, 1, 12)) + timedelta(days=3 * i)
        report = report_factory(title=f"Informe {i}", occurred_at=happened,
                                categories=[water] if i % 2 else None)
        services.verify(report=report, actor=admin_user)
        made.append(services.publish(report=report, actor=admin_user))
    base = timezone.now() - timedelta(days=10)
    for i, report in enumerate(made):
        Report.objects.filter(pk=report.pk).update(published_at=base + timedelta(hours=(i * 7) % 11))
    Report.objects.filter(pk=made[5].pk).update(visibility=Report.Visibility.RESTRICTED)
    return water


@pytest.mark.parametrize("page", [(0, 5), (5, 10), (0, 21), (20, 41)])
def test_the_rows_are_the_ones_the_plain_slice_gave(published_over_months, page):
    start, stop = page
    for filters in (MARCH, ReportFilters(), ReportFilters(categories=[published_over_months.id]),
                    ReportFilters(categories=[published_over_months.id], date_from=date(2026, 3, 1))):
        qs = public_reports(filters, paged=True)
        expected = list(qs[start:stop])
        assert public_rows(qs, start, stop) == expected
        assert all(row.keys() == expected[0].keys() for row in expected)


def test_the_list_by_month_shows_that_months_reports_newest_publication_first(published_over_months, client):
    client.cookies["django_language"] = "en"
    response = client.get("/reports/", {"date_from": "2026-03-01", "date_to": "2026-03-28"})
    shown = [row["reference"] for row in response.context["reports"]]
    march = Report.objects.filter(status=Report.Status.PUBLISHED, visibility=Report.Visibility.PUBLIC,
                                  occurred_at__gte=timezone.make_aware(datetime(2026, 3, 1)),
                                  occurred_at__lt=timezone.make_aware(datetime(2026, 3, 29)))
    assert shown == list(march.order_by("-published_at", "-reference").values_list("reference", flat=True))
    assert 9 <= len(shown) <= 10
