"""An import is offered "Run the import again" only once it has ended (finished or failed) or its
worker died; an import that never ran leads to matching its columns instead, and its bar is empty."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.surveys import importing
from testigo.surveys.models import Import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CSV = "Qué,Tipo\nRobo,Robo\n".encode()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_import_that_never_ran_offers_matching_its_columns_not_a_rerun(admin_client):
    imp = importing.create_import(actor=roles.SYSTEM, name="p.csv", data=CSV)
    page = admin_client.get(f"/console/surveys/imports/{imp.pk}/progress/").content.decode()
    assert "Run the import again" not in page
    assert f'href="/console/surveys/imports/{imp.pk}/"' in page and "Match the columns and run the import" in page
    assert 'value="0"' in page  # an empty bar, not a full one


def test_running_a_draft_by_its_address_leads_to_matching_its_columns(admin_client):
    imp = importing.create_import(actor=roles.SYSTEM, name="p.csv", data=CSV)
    response = admin_client.post(f"/console/surveys/imports/{imp.pk}/run/")
    assert response["Location"] == f"/console/surveys/imports/{imp.pk}/"
    assert Import.objects.get(pk=imp.pk).status == Import.Status.DRAFT


@pytest.mark.parametrize("status", [Import.Status.DONE, Import.Status.FAILED])
def test_an_ended_import_can_run_again(admin_client, status):
    imp = importing.create_import(actor=roles.SYSTEM, name="p.csv", data=CSV)
    Import.objects.filter(pk=imp.pk).update(status=status)
    page = admin_client.get(f"/console/surveys/imports/{imp.pk}/progress/").content.decode()
    assert "Run the import again" in page and "Match the columns and run the import" not in page
