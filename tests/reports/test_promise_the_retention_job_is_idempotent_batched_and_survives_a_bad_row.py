"""Promise: the nightly retention job applies every enabled policy in batches of bounded size
(each batch one transaction and one audit event), a second run touches nothing, and one report
that cannot be handled is logged and skipped: the others are handled and the worker goes on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testigo.core import audit
from testigo.core.models import AuditEvent
from testigo.reports import retention, tasks
from testigo.reports.models import Report
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_reports(report_factory):
    report_factory()  # young: out of reach, so the policies below need no confirmation
    return [age(report_factory(), days=40) for _ in range(7)]


def test_the_daily_job_works_in_batches_and_a_second_run_touches_nothing(old_reports, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    make_policy(name="archivar", action="archive", is_enabled=True, visibilities=["public"])
    make_policy(name="apagada", days=1, is_enabled=False, visibilities=["public"])  # disabled: never applied

    with CaptureQueriesContext(connection) as queries:
        assert tasks.apply_retention_policies_daily.call_local() == 7
    # Bounded memory: every read of report ids asks for one batch, never for all of them.
    id_reads = [q["sql"] for q in queries.captured_queries
                if q["sql"].startswith('SELECT "reports_report"."id" AS "pk" FROM "reports_report" WHERE')
                and '"reports_report"."id" >' in q["sql"]]
    assert len(id_reads) == 4 and all("LIMIT 3" in sql for sql in id_reads), id_reads
    events = list(AuditEvent.objects.filter(action="retention.archived"))
    assert sorted(len(e.data["references"]) for e in events) == [1, 3, 3]
    assert Report.objects.filter(status="archived").count() == 7 and Report.objects.count() == 8

    assert tasks.apply_retention_policies_daily.call_local() == 0
    assert AuditEvent.objects.filter(action="retention.archived").count() == 3
    assert audit.verify().ok


def test_one_bad_report_is_skipped_and_the_rest_are_purged(old_reports, monkeypatch, caplog):
    bad = old_reports[3]

    def purge(report_ids):
        if bad.pk in report_ids:
            raise RuntimeError("a row that cannot be deleted")
        return 0

    monkeypatch.setitem(retention.PARTICIPANTS, "broken", retention.Participant(name="broken", purge=purge))
    policy = make_policy(name="purgar", is_enabled=True, visibilities=["public"])

    outcome = retention.apply_policy(policy=policy, actor=retention.roles.SYSTEM, batch_size=3)

    assert outcome.failed == [bad.pk] and outcome.done == 6
    assert list(Report.objects.filter(pk__in=[r.pk for r in old_reports])) == [bad]
    assert "could not be handled" in caplog.text
    assert audit.verify().ok


def test_the_command_lists_and_applies_the_enabled_policies(old_reports, capsys, english):
    from django.core.management import call_command

    policy = make_policy(name="archivar", action="archive", is_enabled=True, visibilities=["public"])
    call_command("retention", "list")
    assert f"{policy.pk} archivar" in capsys.readouterr().out and Report.objects.filter(status="archived").count() == 0
    call_command("retention", "apply")
    assert "7 reports, 0 contacts removed, 0 failed" in capsys.readouterr().out
    assert Report.objects.filter(status="archived").count() == 7
