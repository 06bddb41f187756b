"""XLSForm constraint, default and calculate: read from spreadsheets written with openpyxl, served
in XForms that ODK Validate accepts, and enforced by Testigo on what it stores."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyxform.xls2xform import convert

from testigo.core import roles
from testigo.surveys import answers, importing, services, xlsform
from tests.surveys.conftest import write_xlsform_file

pytestmark = pytest.mark.usefixtures("english")

HEADER = ["type", "name", "label::Español (es)", "label::English (en)", "constraint",
          "constraint_message::Español (es)", "constraint_message::English (en)", "default", "calculation"]
CHOICES = [["list_name", "name", "label::Español (es)", "label::English (en)"],
           ["sino", "si", "Sí", "Yes"], ["sino", "no", "No", "No"],
           ["armas", "fuego", "De fuego", "Firearm"], ["armas", "blanca", "Blanca", "Knife"],
           ["armas", "otra", "Otra", "Other"]]
ROWS = [
    ["integer", "edad", "Edad", "Age", ". >= 0 and . <= 120", "Edad entre 0 y 120", "Age between 0 and 120", "30", ""],
    ["text", "dni", "DNI", "ID number", "regex(., '^[0-9]{4}-[0-9]{4}$')", "", "", "", ""],
    ["text", "apodo", "Apodo", "Nickname", "string-length(.) <= 5", "", "", "", ""],
    ["select_multiple armas", "armas", "Armas", "Weapons", "count-selected(.) <= 2", "", "", "fuego", ""],
    ["select_one sino", "herido", "¿Herido?", "Injured?", ". != 'si'", "", "", "no", ""],
    ["date", "fecha", "Fecha", "Date", ". <= today()", "", "", "", ""],
    ["integer", "adultos", "Adultos", "Adults", "", "", "", "", ""],
    ["integer", "ninos", "Niños", "Children", "", "", "", "", ""],
    ["calculate", "total", "", "", "", "", "", "", "${adultos} + ${ninos}"],
]


def form_file(rows=ROWS) -> bytes:
    return write_xlsform_file({"survey": [HEADER, *rows], "choices": CHOICES,
                               "settings": [["form_title", "form_id"], ["Con reglas", "con_reglas"]]})


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.convert_xlsform(data, "f.xlsx")
    return caught.value.errors


@pytest.fixture
def survey(db, admin_user):
    return services.import_xlsform(actor=admin_user, data=form_file())


def test_constraint_default_calculation_are_kept_and_served_valid(survey):
    by_name = {f["name"]: f for f in survey.fields}
    assert by_name["edad"]["constraint"] == ". >= 0 and . <= 120"
    assert by_name["edad"]["constraint_message"] == {"es": "Edad entre 0 y 120", "en": "Age between 0 and 120"}
    assert by_name["edad"]["default"] == "30" and by_name["armas"]["default"] == "fuego"
    assert by_name["total"]["type"] == "calculate" and by_name["total"]["calculation"] == "${adultos} + ${ninos}"
    # ODK Validate (JavaRosa) accepts the XForm Testigo serves, and it carries all three.
    served = survey.xform
    assert convert(xlsform=survey.xlsform.tobytes() if hasattr(survey.xlsform, "tobytes") else survey.xlsform,
                   file_type=".xlsx", validate=True).xform == served
    assert 'constraint=". &gt;= 0 and . &lt;= 120"' in served
    assert "Age between 0 and 120" in served and "jr:constraintMsg" in served
    assert "<edad>30</edad>" in served and "<herido>no</herido>" in served
    assert 'calculate=" /data/adultos  +  /data/ninos "' in served


def post(client, token, instance: str, body: str):
    xml = f'<data id="con_reglas">{body}<meta><instanceID>{instance}</instanceID></meta></data>'.encode()
    return client.post(f"/odk/{token}/submission",
                       {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})


def test_openrosa_submissions_are_stored_as_the_phone_sent_them(survey, client, device_token):
    """ODK Collect enforces the served form's constraints; a submission that arrives anyway (an
    older form version, another client) is kept as sent, never lost."""
    from testigo.reports.models import Report
    from testigo.surveys.models import Submission

    good = ("<edad>40</edad><dni>1234-5678</dni><apodo>Chepe</apodo><armas>fuego blanca</armas>"
            "<herido>no</herido><fecha>2024-05-01</fecha><adultos>2</adultos><ninos>3</ninos><total>5</total>")
    assert post(client, device_token, "uuid:ok", good).status_code == 201
    stored = Report.objects.get().custom_values
    assert stored["edad"] == 40 and stored["total"] == "5" and stored["armas"] == ["fuego", "blanca"]
    assert post(client, device_token, "uuid:old", "<edad>130</edad><armas>fuego blanca otra</armas>").status_code == 201
    kept = Submission.objects.get(instance_id="uuid:old")
    assert kept.data["edad"] == "130" and kept.report.custom_values["edad"] == 130
    assert kept.data["armas"] == "fuego blanca otra"


def test_constraints_apply_to_the_web_form_and_imports_too(survey, admin_user, tmp_path):
    with pytest.raises(answers.AnswerError, match="Age between 0 and 120"):
        answers.clean_answers(survey, {"edad": "-1"})
    assert answers.clean_answers(survey, {"edad": "0"})["edad"] == 0
    assert answers.clean_answers(survey, {"edad": ""}) == {}  # unanswered: nothing to check, as in ODK

    data = b"titulo,edad\nUno,20\nDos,500\n"
    imp = importing.create_import(actor=admin_user, name="p.csv", data=data)
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json={
        "survey": "con_reglas", "columns": {"titulo": "title", "edad": "field:edad"}})
    imp = importing.run(import_id=imp.pk)
    assert imp.created_count == 1 and imp.rejected_count == 1
    assert imp.errors[0]["row"] == 3 and "Age between 0 and 120" in imp.errors[0]["reason"]


def test_default_is_the_web_forms_initial_answer(survey):
    from testigo.reports.models import Category
    from testigo.surveys import forms

    category = Category.objects.create(slug="c", name_es="C", name_en="C")
    services.update_survey(actor=roles.SYSTEM, survey=survey, category=category)
    fields = forms.survey_form_fields(category, "en")
    assert fields["survey__edad"].initial == "30"
    assert fields["survey__armas"].initial == ["fuego"]
    assert "survey__total" not in fields  # computed by ODK Collect; the web form does not ask it


@pytest.mark.parametrize(("row", "blocker"), [
    (["integer", "x", "X", "X", ". > ${edad}"], "constraint"),
    (["integer", "x", "X", "X", ". > 0 or . < -5"], "constraint"),
    (["text", "x", "X", "X", ". > 5"], "constraint"),
    (["date", "x", "X", "X", ". > '2020-01-01'"], "constraint"),
    (["geopoint", "x", "X", "X", ". != ''"], "constraint"),
    (["text", "x", "X", "X", "regex(., '[')"], "constraint"),
    (["date", "x", "X", "X", "", "", "", "today()"], "default"),
    (["integer", "x", "X", "X", "", "", "", "${edad}"], "default"),
    (["integer", "x", "X", "X", "", "", "", "tres"], "default"),
    (["integer", "x", "X", "X", ". < 10", "", "", "12"], "check"),
    (["select_one sino", "x", "X", "X", "", "", "", "quizas"], "default"),
])
def test_what_the_web_form_cannot_enforce_makes_the_form_odk_only(db, row, blocker):
    converted = xlsform.convert_xlsform(form_file(ROWS + [row + [""] * (len(HEADER) - len(row))]), "f.xlsx")
    assert blocker in {code for code, _path, _what in converted.blockers}, converted.blockers
    assert converted.xform  # served to ODK Collect all the same


def test_what_pyxform_refuses_is_refused_with_its_row(db):
    errors = errors_of(form_file(ROWS + [["calculate", "x", "", "", "", "", "", "", ""]]))
    assert "at row 11" in errors[0] and "calculation" in errors[0].lower(), errors


def test_builder_fields_take_constraint_default_and_calculation(db, admin_user, client):
    survey = services.create_survey(actor=admin_user, name_es="Hecha en la consola",
                                    fields=[{"name": "edad", "type": "integer", "label": {"es": "Edad"}}])
    client.force_login(admin_user)
    response = client.post(f"/console/surveys/{survey.pk}/fields/new/", {
        "name": "personas", "type": "integer", "label_es": "Personas", "label_en": "People",
        "constraint": ". > 0", "constraint_message_es": "Al menos una", "constraint_message_en": "At least one",
        "default": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    survey.refresh_from_db()
    spec = survey.fields[-1]
    assert spec["constraint"] == ". > 0" and spec["default"] == "1"
    assert spec["constraint_message"] == {"es": "Al menos una", "en": "At least one"}
    response = client.post(f"/console/surveys/{survey.pk}/fields/new/", {
        "name": "malo", "type": "integer", "label_es": "Malo", "constraint": ". > ${edad}"})
    assert response.status_code == 200 and "cannot be checked" in response.content.decode()


def test_cells_excel_stores_as_dates_and_numbers_are_read_as_typed(db, admin_user):
    # Excel keeps a typed date as a datetime and every number as a float: the default must be
    # "2024-05-01", not "2024-05-01 00:00:00", and the choice name 1, not "1.0".
    from datetime import datetime

    rows = [["date", "dia", "Día", "Day", "", "", "", datetime(2024, 5, 1), ""],
            ["integer", "edad", "Edad", "Age", "", "", "", 30.0, ""],
            ["select_one nivel", "nivel", "Nivel", "Level", "", "", "", 1.0, ""]]
    choices = [*CHOICES, ["nivel", 1.0, "Uno", "One"], ["nivel", 2.0, "Dos", "Two"]]
    survey = services.import_xlsform(actor=admin_user, data=write_xlsform_file(
        {"survey": [HEADER, *rows], "choices": choices, "settings": [["form_title", "form_id"], ["Tipos", "tipos"]]}))
    by_name = {f["name"]: f for f in survey.fields}
    assert by_name["dia"]["default"] == "2024-05-01"
    assert by_name["edad"]["default"] == "30"
    assert [c["name"] for c in by_name["nivel"]["choices"]] == ["1", "2"] and by_name["nivel"]["default"] == "1"
