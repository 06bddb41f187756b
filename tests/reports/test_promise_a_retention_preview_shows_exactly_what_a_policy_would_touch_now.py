"""Promise: before enabling a retention policy an admin sees how many reports it would touch now
and which (a sample of references): scope by status, visibility and category (with its
subcategories), age by received, published or last change; reports already handled are not
counted again (contacts already blank, already archived)."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports import retention, services
from testigo.reports.models import Category, Report, RetentionPolicy
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db
Action = RetentionPolicy.Action


def test_the_preview_counts_the_reports_in_scope_and_old_enough(report_factory, admin_user, category):
    other = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    old_rejected = age(services.reject(report=report_factory(), actor=admin_user), days=40)
    age(services.reject(report=report_factory(categories=[other]), actor=admin_user), days=40)  # other category
    services.reject(report=report_factory(), actor=admin_user)  # too young
    age(report_factory(), days=40)  # not rejected
    policy = make_policy(name="rechazados", statuses=[Report.Status.REJECTED], categories=[category.parent])

    preview = retention.preview(policy)

    assert preview.count == 1 and preview.sample == [old_rejected.reference]
    assert preview.in_scope == 2 and preview.total == 4 and not preview.everything


def test_published_age_counts_from_publication_and_ignores_unpublished(published_report, report_factory):
    age(published_report, days=100, field="published_at")
    age(report_factory(), days=100)  # received long ago, never published
    policy = make_policy(action=Action.CONTACTS, age_basis=RetentionPolicy.AgeBasis.PUBLISHED, days=90,
                         statuses=[Report.Status.PUBLISHED])

    assert retention.preview(policy).sample == [published_report.reference]


def test_handled_reports_are_not_counted_again(report_factory, admin_user):
    blank = age(report_factory(reporter_name="", reporter_contact=""), days=10)
    named = age(report_factory(), days=10)
    archived = age(services.change_status(report=report_factory(), actor=admin_user, status="archived"), days=10)
    report_factory()  # young: out of reach, so the contacts policy needs no confirmation
    contacts = make_policy(action=Action.CONTACTS, days=5, visibilities=["public"])
    archive = make_policy(action=Action.ARCHIVE, days=5)

    assert set(retention.preview(contacts).sample) == {named.reference, archived.reference}
    assert blank.reference not in retention.preview(contacts).sample
    assert set(retention.preview(archive).sample) == {blank.reference, named.reference}


def test_the_sample_is_bounded(report_factory):
    for _ in range(retention.SAMPLE_SIZE + 3):
        age(report_factory(), days=40)
    policy = make_policy(visibilities=["public"], action=Action.ARCHIVE)
    preview = retention.preview(policy)
    assert preview.count == retention.SAMPLE_SIZE + 3 and len(preview.sample) == retention.SAMPLE_SIZE
    assert roles.can(roles.SYSTEM, retention.MANAGE_RETENTION)
