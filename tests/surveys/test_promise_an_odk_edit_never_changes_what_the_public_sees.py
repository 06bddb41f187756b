"""An ODK device editing its earlier submission acts as roles.FIELD_DEVICE: it may correct a report
nobody has published, but an edit that would change what the public sees of a published report is
refused with a reason and kept for an editor (issue #15: such edits used to apply as "trusted")."""

from __future__ import annotations

import pytest

from tests.surveys.test_openrosa import instance_xml, post


@pytest.mark.django_db
def test_a_device_edit_of_a_published_report_is_refused_and_kept(client, survey, device_token, admin_user):
    from testigo.reports import services as report_services
    from testigo.reports.models import Report
    from testigo.surveys.models import RejectedInput

    assert post(client, device_token, instance_xml(instance_id="uuid:p1")).status_code == 201
    report = Report.objects.get()
    report_services.verify(report=report, actor=admin_user)
    report_services.publish(report=report, actor=admin_user)
    edit = instance_xml(instance_id="uuid:p2", deprecated="uuid:p1", titulo="Título cambiado desde el teléfono")
    response = post(client, device_token, edit)
    assert response.status_code == 403 and b"publi" in response.content  # publish / publicar
    report.refresh_from_db()
    assert report.title == "Incidentes: Asalto en bus" and report.status == Report.Status.PUBLISHED
    assert RejectedInput.objects.filter(body=edit).exists()  # kept for an editor to review


@pytest.mark.django_db
def test_a_device_edit_of_an_unpublished_report_still_applies(client, survey, device_token):
    from testigo.reports.models import Report

    assert post(client, device_token, instance_xml(instance_id="uuid:q1")).status_code == 201
    edit = instance_xml(instance_id="uuid:q2", deprecated="uuid:q1", titulo="Corregido")
    assert post(client, device_token, edit).status_code == 201
    assert Report.objects.get().title == "Incidentes: Corregido"
