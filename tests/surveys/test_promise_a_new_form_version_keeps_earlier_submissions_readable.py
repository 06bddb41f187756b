"""Publishing an XLSForm again works as in ODK Central: the same form id with a new `version`
publishes a new version and every earlier submission stays readable (and phones still holding the
old version can still send it); the same version with different content is refused; a form id a
console-built survey already uses is refused; the same file again changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.surveys import services
from testigo.surveys.models import Submission, Survey, SurveyVersion
from tests.surveys.conftest import write_xlsx

pytestmark = pytest.mark.usefixtures("english")


def form(version: str, rows: list[list[str]]) -> bytes:
    return write_xlsx({"survey": [["type", "name", "label"], *rows],
                       "settings": [["form_title", "form_id", "version"], ["Hogares", "hogares", version]]})


V1 = [["text", "jefe", "Jefe de hogar"], ["begin_repeat", "miembro", "Miembro"], ["text", "nombre", "Nombre"],
      ["end_repeat", "", ""]]
V2 = [["text", "jefa", "Jefa o jefe de hogar"], ["integer", "personas", "Personas"]]


def post(client, token, version: str, instance: str, body: str):
    xml = (f'<data id="hogares" version="{version}">{body}<meta><instanceID>{instance}</instanceID></meta>'
           "</data>").encode()
    return client.post(f"/odk/{token}/submission",
                       {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})


def test_a_new_version_keeps_the_old_answers_and_accepts_the_old_form(admin_user, client, device_token):
    survey = services.import_xlsform(actor=admin_user, data=form("1", V1), filename="hogares.xlsx")
    body = "<jefe>Rosa</jefe><miembro><nombre>Ana</nombre></miembro><miembro><nombre>Luis</nombre></miembro>"
    assert post(client, device_token, "1", "uuid:a", body).status_code == 201

    again = services.import_xlsform(actor=admin_user, data=form("2", V2), filename="hogares.xlsx")
    assert again.pk == survey.pk and again.xform_version == "2" and 'version="2"' in again.xform
    assert list(SurveyVersion.objects.filter(survey=survey).values_list("version", flat=True)) == ["2", "1"]
    old = Submission.objects.get(instance_id="uuid:a")
    assert old.data["miembro"] == [{"nombre": "Ana"}, {"nombre": "Luis"}] and old.form_version == "1"
    assert old.report.custom_values["jefe"] == "Rosa"

    # A phone that has not updated yet sends version 1: read with version 1's outline.
    assert post(client, device_token, "1", "uuid:b", "<jefe>Eva</jefe><miembro><nombre>Ana</nombre></miembro>"
                ).status_code == 201
    assert Submission.objects.get(instance_id="uuid:b").data["miembro"] == [{"nombre": "Ana"}]
    assert post(client, device_token, "2", "uuid:c", "<jefa>Eva</jefa><personas>4</personas>").status_code == 201
    assert Submission.objects.get(instance_id="uuid:c").report.custom_values["personas"] == 4


def test_the_same_version_with_other_content_is_refused(admin_user):
    services.import_xlsform(actor=admin_user, data=form("1", V1))
    with pytest.raises(ValidationError, match="Version “1” of the form “hogares” was already published"):
        services.import_xlsform(actor=admin_user, data=form("1", V2))
    assert Survey.objects.get().outline["nodes"][0]["name"] == "jefe"


def test_the_same_file_again_changes_nothing(admin_user):
    first = services.import_xlsform(actor=admin_user, data=form("1", V1))
    again = services.import_xlsform(actor=admin_user, data=form("1", V1))
    assert again.pk == first.pk and again.version == first.version and SurveyVersion.objects.count() == 1


def test_a_form_id_of_a_console_survey_is_refused(admin_user):
    services.create_survey(actor=admin_user, name_es="Hogares", form_id="hogares",
                           fields=[{"name": "a", "type": "text", "label": {"es": "A"}}])
    with pytest.raises(ValidationError, match="belongs to a survey built in the console"):
        services.import_xlsform(actor=admin_user, data=form("1", V1))


def test_the_console_offers_a_new_version_upload(admin_client):
    data = form("1", V1)
    assert admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("h.xlsx", data)}
                             ).status_code == 302
    response = admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("h.xlsx", form("1", V2))})
    assert response.status_code == 400 and "already published" in response.content.decode()
    assert admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("h.xlsx", form("2", V2))}
                             ).status_code == 302
    assert Survey.objects.get().xform_version == "2"


def test_a_surveys_new_version_box_refuses_another_form(admin_client):
    assert admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("h.xlsx", form("1", V1))}
                             ).status_code == 302
    other = write_xlsx({"survey": [["type", "name", "label"], ["text", "a", "A"]],
                        "settings": [["form_title", "form_id"], ["Otro", "otro"]]})
    response = admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("o.xlsx", other),
                                                              "for_form": "hogares"})
    assert response.status_code == 400 and "not a version of “hogares”" in response.content.decode()
    assert list(Survey.objects.values_list("form_id", flat=True)) == ["hogares"]
    page = admin_client.get(f"/console/surveys/{Survey.objects.get().pk}/").content.decode()
    assert 'name="for_form" value="hogares"' in page
