"""Promise: administrators and coordinators take an evidence package (issue #21) from the console,
in Spanish: a button on the report page, a page for a set of references that the inbox's ticked
reports fill. The ZIP streams; a role that may not is refused (403) and nothing is recorded; a
wrong reference comes back as a translated message, nothing streamed."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from testigo.core import roles
from testigo.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def spanish(client: Client) -> Client:
    client.cookies["django_language"] = "es"
    return client


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    return archive


def test_the_report_page_offers_the_package_in_spanish_to_those_who_may(client_as, report_factory):
    report = report_factory()
    url = reverse("console:report", args=[report.reference])
    page = spanish(client_as(roles.COORDINATOR)).get(url).content.decode()
    assert "Descargar el paquete de evidencia" in page and "Paquete de evidencia" in page
    assert reverse("console:report_evidence", args=[report.reference]) in page
    for role in (roles.MODERATOR, roles.ANALYST, roles.VOLUNTEER):
        assert reverse("console:report_evidence", args=[report.reference]) not in client_as(role).get(url).content.decode()


def test_the_button_streams_the_zip_and_records_it(client_as, report_factory):
    report = report_factory()
    client = client_as(roles.ADMIN)
    archive = zip_of(client.post(reverse("console:report_evidence", args=[report.reference])))
    assert f"reports/{report.reference}.json" in archive.namelist()
    assert b"Mar\xc3\xada" not in archive.read(f"reports/{report.reference}.json")  # no contact unless asked
    with_contact = zip_of(client.post(reverse("console:report_evidence", args=[report.reference]),
                                      {"with_contact": "1"}))
    assert "María" in with_contact.read(f"reports/{report.reference}.json").decode()
    assert AuditEvent.objects.filter(action="report.evidence_exported", object_id=str(report.pk)).count() == 2


@pytest.mark.parametrize("role", [roles.ANALYST, roles.MODERATOR, roles.VOLUNTEER])
def test_a_role_that_may_not_is_refused_and_nothing_is_recorded(client_as, report_factory, role):
    report = report_factory()
    client = client_as(role)
    assert client.post(reverse("console:report_evidence", args=[report.reference])).status_code == 403
    assert client.post(reverse("console:evidence"), {"references": report.reference}).status_code == 403
    assert client.get(reverse("console:evidence")).status_code == 403
    assert not AuditEvent.objects.filter(action="report.evidence_exported").exists()


def test_the_inbox_ticks_fill_the_form_and_the_form_downloads_the_set(client_as, report_factory):
    first, second = report_factory(), report_factory(title="Balacera")
    client = client_as(roles.COORDINATOR)
    inbox = client.get(reverse("console:inbox")).content.decode()
    assert 'formaction="%s"' % reverse("console:evidence") in inbox
    page = client.post(reverse("console:evidence"), {"ref": [first.reference, second.reference], "status": "verified"})
    assert page.status_code == 200 and not isinstance(page, StreamingHttpResponse)
    assert f"{first.reference}\n{second.reference}" in page.content.decode()
    archive = zip_of(client.post(reverse("console:evidence"),
                                 {"references": f"{first.reference}, {second.reference.lower()}"}))
    assert {f"reports/{first.reference}.json", f"reports/{second.reference}.html"} <= set(archive.namelist())


def test_a_wrong_reference_is_a_spanish_message_and_nothing_streams(client_as, report_factory):
    report = report_factory()
    client = spanish(client_as(roles.ADMIN))
    page = spanish(client).get(reverse("console:evidence"))
    assert "Referencias de los reportes" in page.content.decode()
    response = client.post(reverse("console:evidence"), {"references": f"{report.reference} T-0000-0000"})
    assert response.status_code == 200 and not isinstance(response, StreamingHttpResponse)
    assert "No hay ningún reporte que usted pueda ver con esta referencia: T-0000-0000" in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.evidence_exported").exists()
