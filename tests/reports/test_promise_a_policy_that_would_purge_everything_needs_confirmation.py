"""Promise: a retention policy that would delete data of every report the deployment has (its
scope names no status, visibility or category, or it reaches every report there is) is refused
with a clear, translated error unless an admin ticks the confirmation; nothing is saved. A policy
that comes to reach everything later is skipped by the job until confirmed. Archiving is undone
in a click and needs no confirmation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from testigo.core.models import AuditEvent
from testigo.reports import retention, services
from testigo.reports.models import Report, RetentionPolicy
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def test_an_unrestricted_purge_is_refused_without_confirmation(report_factory):
    age(report_factory(), days=10)
    with pytest.raises(ValidationError) as refused:
        make_policy(name="todo", days=365)
    assert refused.value.error_list[0].code == "everything"
    assert not RetentionPolicy.objects.exists()
    policy = make_policy(name="todo", days=365, confirm=True)
    assert policy.confirmed_everything


def test_a_scope_that_holds_every_report_is_refused_too(report_factory, admin_user):
    for _ in range(2):
        age(services.reject(report=report_factory(), actor=admin_user), days=40)
    with pytest.raises(ValidationError):
        make_policy(action=RetentionPolicy.Action.CONTACTS, statuses=["rejected"])
    report_factory()  # one report out of its reach: now the same policy is fine
    assert not make_policy(action=RetentionPolicy.Action.CONTACTS, statuses=["rejected"]).confirmed_everything


def test_archiving_everything_needs_no_confirmation(report_factory):
    age(report_factory(), days=40)
    assert make_policy(action=RetentionPolicy.Action.ARCHIVE).pk


def test_the_job_skips_a_policy_that_came_to_reach_everything(report_factory, admin_user):
    doomed = age(services.reject(report=report_factory(), actor=admin_user), days=40)
    other = report_factory()
    policy = make_policy(statuses=["rejected"], is_enabled=True)
    Report.objects.filter(pk=other.pk).delete()  # now every report is rejected and old

    outcomes = retention.apply_enabled()

    assert [o.skipped for o in outcomes] == ["everything"]
    assert Report.objects.filter(pk=doomed.pk).exists()
    assert not AuditEvent.objects.filter(action="retention.purged").exists()
    policy.refresh_from_db()
    assert policy.last_run_at is None


def test_the_console_asks_for_the_confirmation_in_spanish(client, admin_user, report_factory):
    age(report_factory(), days=40)
    client.login(username=admin_user.username, password=PASSWORD)
    form = {"name": "Borrar todo", "action": "purge", "age_basis": "received", "days": "30", "is_enabled": "on"}

    response = client.post("/console/retention/new/", form)

    assert response.status_code == 200
    assert "Marque la casilla de confirmación" in response.content.decode()
    assert not RetentionPolicy.objects.exists()
    response = client.post("/console/retention/new/", {**form, "confirm_everything": "on"})
    policy = RetentionPolicy.objects.get()
    assert response.status_code == 302 and policy.confirmed_everything and policy.is_enabled


def test_an_unknown_status_is_refused_clearly(report_factory):
    report_factory()
    with pytest.raises(ValidationError) as refused:
        make_policy(statuses=["borrado"], confirm=True)
    assert refused.value.error_list[0].code == "invalid" and not RetentionPolicy.objects.exists()
