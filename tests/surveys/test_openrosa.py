"""OpenRosa 1.0 as ODK Collect speaks it: headers, formList, download, HEAD, multipart POST."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testigo.reports.models import Report
from testigo.surveys.models import RejectedInput, Submission

pytestmark = pytest.mark.django_db


def instance_xml(instance_id="uuid:1", deprecated="", form_id="incidentes", **answers) -> bytes:
    values = {"titulo": "Asalto en bus", "arma": "si", "tipo_arma": "fuego blanca", "victimas": "2",
              "lugar": "14.0723 -87.1921 1000 5", "fecha": "2026-03-01", "foto": "foto.jpg"}
    values.update(answers)
    body = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    old = f"<deprecatedID>{deprecated}</deprecatedID>" if deprecated else ""
    return (f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
            f'id="{form_id}" version="1">{body}<meta><instanceID>{instance_id}</instanceID>{old}</meta></data>'
            ).encode()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    return out.getvalue()


def post(client, token, xml=None, **files):
    data = {name: SimpleUploadedFile(name, content, "image/jpeg") for name, content in files.items()}
    if xml is not None:
        data["xml_submission_file"] = SimpleUploadedFile("submission.xml", xml, "text/xml")
    return client.post(f"/odk/{token}/submission", data, HTTP_X_OPENROSA_VERSION="1.0")


def assert_openrosa_headers(response):
    assert response["X-OpenRosa-Version"] == "1.0"
    assert re.match(r"^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$", response["Date"])
    assert int(response["X-OpenRosa-Accept-Content-Length"]) == 20 * 1024 * 1024


def test_form_list_lists_the_survey_with_md5_hash_and_urls(client, survey, device_token):
    response = client.get(f"/odk/{device_token}/formList?deviceID=x")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml; charset=utf-8"
    assert_openrosa_headers(response)
    body = response.content.decode()
    assert '<xforms xmlns="http://openrosa.org/xforms/xformsList">' in body
    assert "<formID>incidentes</formID>" in body and f"<hash>md5:{survey.xform_md5}</hash>" in body
    assert f"<downloadUrl>http://testserver/odk/{device_token}/forms/incidentes/form.xml</downloadUrl>" in body
    form = client.get(f"/odk/{device_token}/forms/incidentes/form.xml")
    import hashlib
    assert hashlib.md5(form.content).hexdigest() == survey.xform_md5
    manifest = client.get(f"/odk/{device_token}/forms/incidentes/manifest")
    assert b'<manifest xmlns="http://openrosa.org/xforms/xformsManifest"' in manifest.content


def test_head_preflight_is_answered_204_with_headers(client, survey, device_token):
    response = client.head(f"/odk/{device_token}/submission")
    assert response.status_code == 204
    assert_openrosa_headers(response)


def test_wrong_token_gets_401(client, survey):
    response = client.get("/odk/not-a-token/formList")
    assert response.status_code == 401 and b"OpenRosaResponse" in response.content
    assert post(client, "not-a-token", instance_xml()).status_code == 401


def test_revoked_device_gets_401(client, survey, admin_user):
    from testigo.surveys import services

    device, token = services.add_device(actor=admin_user, name="perdido")
    services.revoke_device(actor=admin_user, device=device)
    assert client.get(f"/odk/{token}/formList").status_code == 401


def test_submission_creates_a_report_with_typed_values(client, survey, device_token):
    response = post(client, device_token, instance_xml(), **{"foto.jpg": jpeg()})
    assert response.status_code == 201, response.content
    assert_openrosa_headers(response)
    assert b'<OpenRosaResponse xmlns="http://openrosa.org/http/response"' in response.content
    report = Report.objects.get()
    assert report.source == "odk" and report.lat == 14.0723 and report.lon == -87.1921
    values = report.custom_values
    assert values["_survey"] == survey.pk and values["victimas"] == 2
    assert values["tipo_arma"] == ["fuego", "blanca"] and values["fecha"] == "2026-03-01"
    assert values["lugar"] == {"lat": 14.0723, "lon": -87.1921, "alt": 1000.0, "acc": 5.0}
    assert report.title == "Incidentes: Asalto en bus"
    assert report.media.count() == 1  # the photo, sanitised


def test_resubmitted_instance_is_not_duplicated(client, survey, device_token):
    assert post(client, device_token, instance_xml()).status_code == 201
    assert post(client, device_token, instance_xml()).status_code == 201
    assert Report.objects.count() == 1 and Submission.objects.count() == 1


def test_attachment_in_a_later_post_is_added(client, survey, device_token):
    assert post(client, device_token, instance_xml()).status_code == 201
    report = Report.objects.get()
    assert report.media.count() == 0
    assert post(client, device_token, instance_xml(), **{"foto.jpg": jpeg()}).status_code == 201
    assert report.media.count() == 1 and Report.objects.count() == 1


def test_same_instance_with_different_xml_is_409(client, survey, device_token):
    assert post(client, device_token, instance_xml()).status_code == 201
    assert post(client, device_token, instance_xml(titulo="otro")).status_code == 409
    assert Report.objects.count() == 1


def test_deprecated_id_updates_the_earlier_report(client, survey, device_token):
    post(client, device_token, instance_xml())
    response = post(client, device_token, instance_xml(instance_id="uuid:2", deprecated="uuid:1", victimas="5"))
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.custom_values["victimas"] == 5
    assert Submission.objects.get(instance_id="uuid:1").status == Submission.Status.SUPERSEDED
    assert Submission.objects.get(instance_id="uuid:2").report == report


def test_post_without_xml_part_is_400_and_kept(client, survey, device_token):
    response = post(client, device_token, None, **{"foto.jpg": jpeg()})
    assert response.status_code == 400
    assert RejectedInput.objects.count() == 1


@pytest.mark.parametrize("xml", [
    instance_xml(form_id="otro"),  # not a form here
    instance_xml(desconocido="x"),  # a question the form does not have
    instance_xml(victimas="dos"),  # not an integer
    instance_xml(arma="quizas"),  # not a choice
    instance_xml(titulo=""),  # required
    b"<data id='incidentes'><titulo>x</titulo></data>",  # no instanceID
    b"not xml",
])
def test_xml_that_does_not_match_the_form_is_refused_and_kept(client, survey, device_token, xml):
    response = post(client, device_token, xml)
    assert response.status_code in (400, 404)
    assert Report.objects.count() == 0
    kept = RejectedInput.objects.get()
    assert bytes(kept.body) == xml and kept.reason


def test_oversized_post_is_413_with_the_limit(client, survey, device_token, settings):
    settings.OPENROSA_MAX_BODY_MB = 1
    response = post(client, device_token, instance_xml(), **{"foto.jpg": b"x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert b"1 MB" in response.content and response["X-OpenRosa-Accept-Content-Length"] == str(1024 * 1024)
    assert Report.objects.count() == 0


def basic(username, password="correct horse battery"):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_basic_auth_works_for_staff(client, survey, make_user, basic_over_http):
    make_user("volunteer", username="monitor")
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=basic("monitor"))
    assert response.status_code == 200 and b"<formID>incidentes</formID>" in response.content
    assert b"http://testserver/odk/forms/incidentes/form.xml" in response.content
    sub = client.post("/odk/submission", {"xml_submission_file": SimpleUploadedFile("s.xml", instance_xml())},
                      HTTP_AUTHORIZATION=basic("monitor"))
    assert sub.status_code == 201
    assert Report.objects.get().created_by.username == "monitor"


def test_basic_auth_without_credentials_is_challenged(client, survey):
    response = client.get("/odk/formList")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic ")


def test_basic_auth_wrong_password_is_401(client, survey, make_user, basic_over_http):
    make_user("volunteer", username="monitor")
    assert client.get("/odk/formList", HTTP_AUTHORIZATION=basic("monitor", "nope")).status_code == 401


def test_basic_auth_over_plain_http_is_refused(client, survey, make_user):
    make_user("volunteer", username="monitor")
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=basic("monitor"))
    assert response.status_code == 403
    secure = client.get("/odk/formList", HTTP_AUTHORIZATION=basic("monitor"), secure=True)
    assert secure.status_code == 200


def test_chunked_post_is_read(survey, device_token):
    from django.test import RequestFactory

    from testigo.surveys import openrosa

    boundary = "XyZ"
    xml = instance_xml()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + f"\r\n--{boundary}--\r\n".encode()
    request = RequestFactory().generic("POST", f"/odk/{device_token}/submission", b"-",
                                       content_type=f"multipart/form-data; boundary={boundary}",
                                       HTTP_TRANSFER_ENCODING="chunked")
    request.META.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = io.BytesIO(body)
    response = openrosa.submission(request, token=device_token)
    assert response.status_code == 201, response.content
    assert Report.objects.count() == 1
