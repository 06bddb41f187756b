"""Promise: a dashboard period is never longer than a year (the page reads one period's reports, not
every report), reversed dates are taken in order, days are counted in the deployment's time zone,
and a chart never lets a label (a category or area name someone typed) become markup (issue #24)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from testigo.core import charts, roles
from testigo.reports import dashboard


def test_a_period_is_bounded_ordered_and_grouped_by_week_when_long():
    period = dashboard.period_of(date(2020, 1, 1), date(2026, 6, 30))
    assert period.end == date(2026, 6, 30) and period.days == dashboard.MAX_DAYS and period.weekly
    period = dashboard.period_of(date(2026, 3, 10), date(2026, 3, 1))
    assert (period.start, period.end, period.weekly) == (date(2026, 3, 1), date(2026, 3, 10), False)
    assert dashboard.period_of(date(2026, 3, 1), date(2026, 3, 10), "week").weekly
    assert not dashboard.period_of(date(2026, 1, 1), date(2026, 6, 1), "day").weekly
    assert dashboard.period_of(None, None).days == dashboard.DEFAULT_DAYS


def test_chart_text_is_escaped_and_the_svg_is_well_formed():
    evil = '<script>alert(1)</script> & "quotes"'
    for svg in (charts.bars([(evil, 3), ("Robo", 1)], ident="x", title=evil, desc=evil),
                charts.columns(["2026-01-01", "2026-01-02"], [charts.Series(evil, [1, 2])], ident="y", title=evil,
                               desc=evil)):
        assert "<script>" not in svg
        root = ElementTree.fromstring(str(svg))  # raises if the escaping broke the XML
        assert root.find("{http://www.w3.org/2000/svg}title").text == evil


@pytest.mark.django_db
def test_a_report_counts_on_its_local_day_not_its_utc_day(client_as, report_factory, settings):
    # 23:30 in Tegucigalpa (UTC-6) is 05:30 the next day in UTC: it belongs to the local day.
    day = timezone.localdate() - timedelta(days=3)
    late = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=23, minutes=30))
    report_factory(received_at=late)
    html = client_as(roles.MODERATOR).get(f"/console/dashboard/?date_from={day.isoformat()}"
                                          f"&date_to={day.isoformat()}").content.decode()
    assert "1 report received" in html
    assert f'<tr><th scope="row">{day.isoformat()}</th><td class="n">1</td>' in html
