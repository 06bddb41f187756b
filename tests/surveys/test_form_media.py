"""Form media: files an admin attaches to a survey are listed in the OpenRosa manifest (md5 and
downloadUrl) and downloaded with the device's token, as ODK Collect does."""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testigo.surveys import services, xlsform
from tests.surveys.conftest import write_xlsform_file
from tests.surveys.test_openrosa import basic

pytestmark = pytest.mark.usefixtures("english")
NS = {"m": "http://openrosa.org/xforms/xformsManifest", "x": "http://openrosa.org/xforms/xformsList"}


def png(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def survey(db, admin_user):
    data = write_xlsform_file({
        "survey": [["type", "name", "label", "media::image"],
                   ["select_one zona", "zona", "¿Dónde ocurrió?", "mapa.png"],
                   ["text", "detalle", "Detalle", ""]],
        "choices": [["list_name", "name", "label", "media::image"],
                    ["zona", "norte", "Norte", "norte.jpg"], ["zona", "sur", "Sur", ""]],
        "settings": [["form_title", "form_id"], ["Con imágenes", "con_imagenes"]]})
    return services.import_xlsform(actor=admin_user, data=data)


def manifest_of(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200 and response["X-OpenRosa-Version"] == "1.0"
    root = ET.fromstring(response.content)
    return [{child.tag.split("}")[1]: child.text for child in item} for item in root.findall("m:mediaFile", NS)]


def test_media_columns_are_served_and_the_files_they_need_are_known(survey, admin_user):
    assert "jr://images/mapa.png" in survey.xform and "jr://images/norte.jpg" in survey.xform
    assert survey.missing_files() == ["mapa.png", "norte.jpg"]
    services.add_media_file(actor=admin_user, survey=survey, name="mapa.png", data=png())
    assert survey.missing_files() == ["norte.jpg"]


def builder_survey_with_media(admin_user):
    fields = [{"name": "zona", "type": "select_one", "label": {"es": "¿Dónde ocurrió?"},
               "media": {"image": {"es": "mapa.png"}},
               "choices": [{"name": "norte", "label": {"es": "Norte"}, "media": {"image": {"es": "norte.jpg"}}},
                           {"name": "sur", "label": {"es": "Sur"}}]},
              {"name": "detalle", "type": "text", "label": {"es": "Detalle"}}]
    return services.create_survey(actor=admin_user, name_es="Con imágenes", fields=fields, form_id="con_imagenes")


def test_builder_media_is_served_in_a_valid_xform(db, admin_user):
    survey = builder_survey_with_media(admin_user)
    assert xlsform.media_references(survey.fields) == {"mapa.png", "norte.jpg"}
    served = xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title=survey.name_es,
                              version=survey.version, validate=True)
    assert "jr://images/mapa.png" in served and "jr://images/norte.jpg" in served


def test_attached_files_are_in_the_manifest_and_download_with_the_token(survey, admin_user, client, device_token):
    client.force_login(admin_user)
    page = client.get(f"/console/surveys/{survey.pk}/").content.decode()
    assert "not attached yet" in page and "mapa.png" in page
    before = client.get(f"/odk/{device_token}/formList").content
    image = png()
    response = client.post(f"/console/surveys/{survey.pk}/media/",
                           {"file": SimpleUploadedFile("mapa.png", image, "image/png")})
    assert response.status_code == 302
    # The uploaded form is served as written (its hash stays); ODK Collect compares the manifest's
    # file hashes to fetch what changed.
    assert client.get(f"/odk/{device_token}/formList").content == before

    items = manifest_of(client, f"/odk/{device_token}/forms/con_imagenes/manifest")
    assert items == [{"filename": "mapa.png", "hash": "md5:" + hashlib.md5(image).hexdigest(),
                      "downloadUrl": f"http://testserver/odk/{device_token}/forms/con_imagenes/media/mapa.png"}]
    client.logout()
    download = client.get(items[0]["downloadUrl"])
    assert download.status_code == 200 and download.content == image
    assert download["Content-Type"] == "image/png" and download["X-OpenRosa-Version"] == "1.0"
    assert client.get("/odk/not-a-token/forms/con_imagenes/media/mapa.png").status_code == 401
    assert client.get(f"/odk/{device_token}/forms/con_imagenes/media/norte.jpg").status_code == 404

    # Replacing a file changes its hash; removing it empties the manifest.
    services.add_media_file(actor=admin_user, survey=survey, name="mapa.png", data=png("blue"))
    assert manifest_of(client, f"/odk/{device_token}/forms/con_imagenes/manifest")[0]["hash"] == \
        "md5:" + hashlib.md5(png("blue")).hexdigest()
    client.force_login(admin_user)
    media = survey.media_files.get()
    assert client.post(f"/console/surveys/{survey.pk}/media/{media.pk}/remove/").status_code == 302
    assert manifest_of(client, f"/odk/{device_token}/forms/con_imagenes/manifest") == []
    assert client.get(f"/odk/{device_token}/forms/con_imagenes/media/mapa.png").status_code == 404


def test_basic_auth_clients_get_the_files_too(survey, admin_user, client, make_user, basic_over_http):
    services.add_media_file(actor=admin_user, survey=survey, name="norte.jpg", data=b"\xff\xd8jpeg")
    make_user("volunteer", username="monitor")
    response = client.get("/odk/forms/con_imagenes/manifest", HTTP_AUTHORIZATION=basic("monitor"))
    url = ET.fromstring(response.content).find("m:mediaFile/m:downloadUrl", NS).text
    assert url == "http://testserver/odk/forms/con_imagenes/media/norte.jpg"
    assert client.get(url, HTTP_AUTHORIZATION=basic("monitor")).content == b"\xff\xd8jpeg"
    assert client.get(url).status_code == 401


@pytest.mark.parametrize(("name", "data", "message"), [
    (".oculto.png", b"x", "cannot be used as a form file name"),
    ("con espacio.png", b"x", "cannot be used as a form file name"),
    ("pagina.html", b"<script>", "cannot be attached to a form"),
    ("vacio.png", b"", "is empty"),
])
def test_bad_files_are_refused_with_a_reason(survey, admin_user, client, name, data, message):
    client.force_login(admin_user)
    response = client.post(f"/console/surveys/{survey.pk}/media/",
                           {"file": SimpleUploadedFile(name, data)}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode(), response.content.decode()[:2000]
    assert not survey.media_files.exists()


def test_paths_and_oversized_files_are_refused(survey, admin_user, monkeypatch):
    from django.core.exceptions import ValidationError

    media = services.add_media_file(actor=admin_user, survey=survey, name="../../mapa.png", data=b"x")
    assert media.name == "mapa.png"  # only the base name is ever kept
    with pytest.raises(ValidationError, match="cannot be used"):
        services.add_media_file(actor=admin_user, survey=survey, name="a..png", data=b"x")
    monkeypatch.setattr(services, "MEDIA_MAX_BYTES", 10)
    with pytest.raises(ValidationError, match="larger than"):
        services.add_media_file(actor=admin_user, survey=survey, name="mapa.png", data=b"x" * 11)


def test_editing_a_field_in_the_console_keeps_its_choices_images(db, admin_user, client):
    survey = builder_survey_with_media(admin_user)
    client.force_login(admin_user)
    response = client.post(f"/console/surveys/{survey.pk}/fields/0/", {
        "name": "zona", "type": "select_one", "label_es": "¿Dónde?", "choices": "norte | Al norte\nsur | Sur\nest | Este"})
    assert response.status_code == 302
    survey.refresh_from_db()
    choices = survey.fields[0]["choices"]
    assert choices[0] == {"name": "norte", "label": {"es": "Al norte", "en": "Al norte"},
                          "media": {"image": {"es": "norte.jpg"}}}
    assert [c.get("media") for c in choices[1:]] == [None, None]
    assert survey.fields[0]["media"] == {"image": {"es": "mapa.png"}}  # the question's own image too
    assert "jr://images/norte.jpg" in survey.xform
