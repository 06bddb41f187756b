"""A report with no recorded event (demo data, bulk-created reports) says so in its History box
instead of showing an empty one."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports import seed, services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def test_a_report_without_events_says_its_history_is_empty(client_as):
    client = client_as(roles.ADMIN)  # reads English
    seed.seed_reports(n=1)  # bulk-created: one audit event for the batch, none for the report
    report = Report.objects.get()
    html = client.get(f"/console/r/{report.reference}/").content.decode()
    history = html[html.index(">History</h2>"):]
    history = history[:history.index("</section>")]
    assert "Nothing has been done to this report yet." in history
    assert '<ol class="events"></ol>' not in html


def test_a_report_with_events_lists_them_and_not_the_empty_sentence(client_as, report_factory):
    client = client_as(roles.ADMIN)
    report = report_factory()
    services.add_note(report=report, actor=client.user, text="Llamamos a la vecina.")
    services.verify(report=report, actor=client.user)
    html = client.get(f"/console/r/{report.reference}/").content.decode()
    assert '<ol class="events"><li>' in html and "Nothing has been done to this report yet." not in html
