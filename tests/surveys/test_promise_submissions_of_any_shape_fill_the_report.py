"""A submission of any shape (nested groups, repeats, photos inside repeats) is kept whole, and the
report it creates takes its title, description, date, location and category from the answers the
survey maps (or the first that fit), says what the repeats hold, and shows every photo."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testigo.reports.models import Category
from testigo.surveys import services
from testigo.surveys.models import Submission
from tests.surveys.conftest import write_xlsx

pytestmark = pytest.mark.usefixtures("english")

FORM = {
    "survey": [["type", "name", "label::Español (es)", "label::English (en)"],
               ["select_one tipo", "tipo", "Tipo de hecho", "Kind"],
               ["begin_group", "lugar", "Lugar", "Place"],
               ["text", "colonia", "Colonia", "Neighbourhood"],
               ["geopoint", "punto", "Punto", "Point"],
               ["end_group", "", "", ""],
               ["date", "fecha", "Fecha", "Date"],
               ["text", "relato", "Relato", "Account"],
               ["begin_repeat", "victima", "Víctima", "Victim"],
               ["text", "nombre", "Nombre", "Name"],
               ["image", "foto", "Foto", "Photo"],
               ["end_repeat", "", "", ""]],
    "choices": [["list_name", "name", "label::Español (es)", "label::English (en)"],
                ["tipo", "extorsion", "Extorsión", "Extortion"], ["tipo", "robo", "Robo", "Robbery"]],
    "settings": [["form_title", "form_id", "version"], ["Hechos", "hechos", "1"]],
}


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "JPEG")
    return out.getvalue()


def test_a_submission_with_groups_repeats_and_photos_fills_the_report(admin_user, client, device_token):
    extortion = Category.objects.create(slug="extorsion", name_es="Extorsión", name_en="Extortion")
    survey = services.import_xlsform(actor=admin_user, data=write_xlsx(FORM), filename="hechos.xlsx")
    assert not survey.web_form and ["repeat", "victima", ""] in survey.web_blockers
    services.update_survey(actor=admin_user, survey=survey, title_field="colonia", description_field="relato",
                           category_field="tipo")
    xml = (b'<data id="hechos" version="1"><tipo>extorsion</tipo><lugar><colonia>Kennedy</colonia>'
           b"<punto>14.0723 -87.1921 1000 5</punto></lugar><fecha>2026-11-30</fecha><relato>Cobran renta</relato>"
           b"<victima><nombre>Ana</nombre><foto>a.jpg</foto></victima>"
           b"<victima><nombre>Luis</nombre><foto>b.jpg</foto></victima>"
           b"<meta><instanceID>uuid:h1</instanceID></meta></data>")
    response = client.post(f"/odk/{device_token}/submission", {
        "xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml"),
        "a.jpg": SimpleUploadedFile("a.jpg", jpeg("red"), "image/jpeg"),
        "b.jpg": SimpleUploadedFile("b.jpg", jpeg("blue"), "image/jpeg")})
    assert response.status_code == 201, response.content
    submission = Submission.objects.get()
    assert submission.data["victima"] == [{"nombre": "Ana", "foto": "a.jpg"}, {"nombre": "Luis", "foto": "b.jpg"}]
    assert submission.data["lugar"] == {"colonia": "Kennedy", "punto": "14.0723 -87.1921 1000 5"}
    report = submission.report
    assert report.title == "Kennedy" and report.description.startswith("Cobran renta")
    assert "Víctima: 2" in report.description
    assert (report.lat, report.lon) == (14.0723, -87.1921)
    assert report.occurred_at.date().isoformat() == "2026-11-30" and not report.occurred_time_known
    assert list(report.categories.all()) == [extortion]
    assert report.media.count() == 2  # both photos from inside the repeat, metadata stripped


def test_cascading_select_answers_are_shown_by_their_label(admin_user, admin_client, device_token):
    """A choice_filter list (pyxform's cascading selects example) keeps its labels: the answers
    page says "Pierce", not the code "pierce", and no choice code becomes the report's title."""
    from pathlib import Path

    path = Path(__file__).parent / "xlsform_corpus/pyxform/example_xls__choice_filter_test.xlsx"
    survey = services.import_xlsform(actor=admin_user, data=path.read_bytes(), filename=path.name)
    assert ["choices", "county", ""] in survey.web_blockers  # still ODK-only: the web form cannot filter
    xml = (b'<data id="cascading_selects1"><state>washington</state><county>pierce</county><city>tacoma</city>'
           b"<meta><instanceID>uuid:c1</instanceID></meta></data>")
    assert admin_client.post(f"/odk/{device_token}/submission", {
        "xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")}).status_code == 201
    submission = Submission.objects.get()
    page = admin_client.get(f"/console/surveys/{survey.pk}/submissions/{submission.pk}/").content.decode()
    assert "Pierce" in page and "Tacoma" in page and "Washington" in page
    assert submission.report.title == survey.name_es
