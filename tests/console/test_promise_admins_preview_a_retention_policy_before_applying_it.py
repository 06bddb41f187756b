"""Promise: an administrator sees, in Spanish, how many reports a retention policy would touch now
and which (their references, linked), and applies it with one button; the reports it reaches are
handled and the page says so. Other roles cannot open these pages: deleting data is the
installation's decision."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from testigo.core import roles
from testigo.reports.models import Report, RetentionPolicy
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def test_the_preview_names_the_reports_and_apply_now_archives_them(client, admin_user, report_factory):
    old = age(report_factory(), days=400)
    young = report_factory()
    policy = make_policy(name="Archivar al año", action=RetentionPolicy.Action.ARCHIVE, days=365)
    client.login(username=admin_user.username, password=PASSWORD)

    page = client.get(reverse("console:retention_preview", kwargs={"policy_id": policy.pk})).content.decode()

    assert "Afectaría a 1 reporte de 2." in page
    assert old.reference in page and young.reference not in page
    response = client.post(reverse("console:retention_apply", kwargs={"policy_id": policy.pk}), follow=True)
    assert "La política se está aplicando" in response.content.decode()
    assert Report.objects.get(pk=old.pk).status == "archived" and Report.objects.get(pk=young.pk).status == "new"
    listing = client.get(reverse("console:retention")).content.decode()
    assert "Archivar al año" in listing and "1 reporte" in listing


@pytest.mark.parametrize("role", [roles.COORDINATOR, roles.MODERATOR, roles.ANALYST])
def test_other_roles_cannot_open_or_apply_retention(client, make_user, role, report_factory):
    age(report_factory(), days=400)
    report_factory()
    policy = make_policy(action=RetentionPolicy.Action.ARCHIVE, days=365)
    user = make_user(role)
    client.login(username=user.username, password=PASSWORD)
    for name in ("console:retention", "console:retention_new"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("console:retention_preview", kwargs={"policy_id": policy.pk})).status_code == 403
    assert client.post(reverse("console:retention_apply", kwargs={"policy_id": policy.pk})).status_code == 403
    assert not Report.objects.filter(status="archived").exists()


def test_an_admin_edits_a_policy_and_deletes_it(client, admin_user, report_factory, category):
    report_factory()
    policy = make_policy(name="Rechazados", statuses=["rejected"], categories=[category])
    client.login(username=admin_user.username, password=PASSWORD)
    url = reverse("console:retention_edit", kwargs={"policy_id": policy.pk})
    page = client.get(url).content.decode()
    assert re.search(r'name="statuses" value="rejected"[^>]*checked', page)
    assert not re.search(r'name="statuses" value="new"[^>]*checked', page)

    response = client.post(url, {"name": "Rechazados", "action": "purge", "age_basis": "updated", "days": "45",
                                 "statuses": ["rejected"], "categories": [str(category.pk)]})

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.days, policy.age_basis, policy.statuses) == (45, "updated", ["rejected"])
    assert list(policy.categories.all()) == [category] and not policy.is_enabled
    response = client.post(url, {"name": "", "action": "purge", "age_basis": "updated", "days": "0"})
    assert response.status_code == 200 and "Este campo es obligatorio" in response.content.decode()
    client.post(reverse("console:retention_delete", kwargs={"policy_id": policy.pk}))
    assert not RetentionPolicy.objects.exists()
