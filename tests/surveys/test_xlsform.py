"""XLSForm in and XForm out, checked by pyxform and by ODK Validate (JavaRosa)."""

from __future__ import annotations

import pytest

from testigo.surveys import services, xlsform
from tests.surveys.conftest import ALL_TYPES_FIELDS, write_xlsform_file

pytestmark = pytest.mark.usefixtures("english")  # messages asserted below are English

SURVEY_HEADER = ["type", "name", "label::Español (es)", "label::English (en)", "hint::Español (es)",
                 "hint::English (en)", "required", "relevant", "appearance"]


def incident_xlsform(extra_rows=(), extra_columns=(), settings_rows=None):
    survey = [SURVEY_HEADER + [c for c, _v in extra_columns],
              ["text", "titulo", "Título", "Title", "", "", "yes", "", ""],
              ["text", "relato", "Relato", "Account", "Qué pasó", "What happened", "", "", "multiline"],
              ["integer", "victimas", "Víctimas", "Victims", "", "", "", "", ""],
              ["decimal", "monto", "Monto", "Amount", "", "", "", "", ""],
              ["select_one sino", "arma", "¿Armas?", "Weapons?", "", "", "yes", "", "minimal"],
              ["select_multiple armas", "tipo_arma", "Tipo", "Type", "", "", "", "${arma} = 'si'", ""],
              ["date", "fecha", "Fecha", "Date", "", "", "", "", ""],
              ["time", "hora", "Hora", "Time", "", "", "", "", ""],
              ["dateTime", "momento", "Momento", "Moment", "", "", "", "", ""],
              ["geopoint", "lugar", "Lugar", "Place", "", "", "", "", ""],
              ["image", "foto", "Foto", "Photo", "", "", "", "", ""],
              ["file", "adjunto", "Archivo", "File", "", "", "", "", ""],
              ["note", "aviso", "Gracias", "Thanks", "", "", "", "", ""],
              ["start", "inicio", "", "", "", "", "", "", ""],
              ["deviceid", "equipo", "", "", "", "", "", "", ""]]
    for index, (_c, value) in enumerate(extra_columns):
        survey[1].append(value)
        for row in survey[2:]:
            row.append("")
        del index
    survey += [list(r) + [""] * (len(survey[0]) - len(r)) for r in extra_rows]
    choices = [["list_name", "name", "label::Español (es)", "label::English (en)"],
               ["sino", "si", "Sí", "Yes"], ["sino", "no", "No", "No"],
               ["armas", "fuego", "De fuego", "Firearm"], ["armas", "blanca", "Blanca", "Knife"]]
    settings = settings_rows or [["form_title", "form_id", "version", "default_language"],
                                 ["Incidentes de campo", "incidentes_campo", "7", "Español (es)"]]
    return write_xlsform_file({"survey": survey, "choices": choices, "settings": settings})


def test_xlsform_upload_keeps_every_supported_feature(admin_user):
    survey = services.import_xlsform(actor=admin_user, data=incident_xlsform(), filename="f.xlsx")
    by_name = {f["name"]: f for f in survey.fields}
    assert survey.form_id == "incidentes_campo" and survey.name_es == "Incidentes de campo"
    assert [f["type"] for f in survey.fields] == [
        "text", "long_text", "integer", "decimal", "select_one", "select_multiple", "date", "time",
        "datetime", "location", "photo", "file", "note", "start", "deviceid"]
    assert by_name["titulo"]["required"] is True and by_name["relato"]["required"] is False
    assert by_name["relato"]["hint"] == {"es": "Qué pasó", "en": "What happened"}
    assert by_name["arma"]["label"] == {"es": "¿Armas?", "en": "Weapons?"}
    assert by_name["arma"]["appearance"] == "minimal"
    assert [c["name"] for c in by_name["tipo_arma"]["choices"]] == ["fuego", "blanca"]
    assert by_name["tipo_arma"]["choices"][0]["label"] == {"es": "De fuego", "en": "Firearm"}
    assert by_name["tipo_arma"]["relevant"] == {"field": "arma", "value": "si"}


def test_served_xform_passes_odk_validate(admin_user):
    """The XForm Testigo serves is valid for JavaRosa (ODK Validate, bundled with pyxform)."""
    survey = services.import_xlsform(actor=admin_user, data=incident_xlsform(), filename="f.xlsx")
    xform = xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title=survey.name_es,
                             version=survey.version, validate=True)
    assert xform == survey.xform
    assert 'id="incidentes_campo"' in xform and "selected( /data/arma" not in xform
    assert "selected(" in xform or "/data/arma  = 'si'" in xform
    assert 'type="geopoint"' in xform and 'mediatype="image/*"' in xform
    assert 'lang="English (en)"' in xform and "What happened" in xform


def test_builder_survey_with_every_type_passes_odk_validate(survey):
    xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title=survey.name_es,
                     version=survey.version, validate=True)
    assert len(ALL_TYPES_FIELDS) == 13


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.read_xlsform(data)
    return caught.value.errors


def test_unknown_type_is_named_with_row_and_column(settings):
    settings.LANGUAGE_CODE = "en"
    errors = errors_of(incident_xlsform(extra_rows=[["rank", "orden", "Orden", "Order"]]))
    assert any("row 17" in e and "column A (type)" in e and "“rank”" in e for e in errors), errors


def test_repeats_are_refused_not_flattened():
    errors = errors_of(incident_xlsform(extra_rows=[["begin_repeat", "g", "G", "G"], ["end_repeat"]]))
    assert any("begin_repeat" in e and "row 17" in e and "repeated groups" in e for e in errors), errors
    assert any("end_repeat" in e and "row 18" in e for e in errors)


def test_unsupported_column_with_a_value_is_named():
    errors = errors_of(incident_xlsform(extra_columns=[("read_only", "yes")]))
    assert any("row 2" in e and "column J (read_only)" in e and "not supported" in e for e in errors), errors


def test_complex_condition_is_refused():
    errors = errors_of(incident_xlsform(extra_rows=[
        ["text", "otro", "Otro", "Other", "", "", "", "${victimas} > 2 and ${arma} = 'si'"]]))
    assert any("row 17" in e and "(relevant)" in e for e in errors)


def test_duplicate_names_are_refused():
    errors = errors_of(incident_xlsform(extra_rows=[["text", "titulo", "Otra vez", "Again"]]))
    assert any("“titulo”" in e and "twice" in e for e in errors), errors


def test_cycle_in_conditions_is_refused():
    errors = errors_of(incident_xlsform(extra_rows=[
        ["select_one sino", "a", "A", "A", "", "", "", "${b} = 'si'"],
        ["select_one sino", "b", "B", "B", "", "", "", "${a} = 'si'"]]))
    assert any("cycle" in e and "a" in e and "b" in e for e in errors), errors


def test_third_language_is_refused():
    errors = errors_of(incident_xlsform(extra_columns=[("label::Français (fr)", "Titre")]))
    assert any("column J (label::Français (fr))" in e for e in errors), errors


def test_settings_we_do_not_keep_are_refused():
    errors = errors_of(incident_xlsform(settings_rows=[["form_title", "instance_name"], ["T", "concat(${titulo})"]]))
    assert any("instance_name" in e and "settings" in e for e in errors), errors


def test_not_a_spreadsheet_is_refused():
    assert errors_of(b"hello") == ["This file is not an .xlsx spreadsheet."]


def test_groups_are_kept_and_their_condition_applies(admin_user, client, device_token):
    from testigo.reports.models import Report

    data = write_xlsform_file({
        "survey": [["type", "name", "label", "relevant", "required"],
                   ["select_one sino", "arma", "¿Armas?", "", "yes"],
                   ["begin group", "detalle", "Detalle", "${arma} = 'si'", ""],
                   ["text", "cual", "¿Cuál?", "", "yes"],
                   ["end group", "", "", "", ""],
                   ["text", "notas", "Notas", "", ""]],
        "choices": [["list_name", "name", "label"], ["sino", "si", "Sí"], ["sino", "no", "No"]],
        "settings": [["form_title", "form_id"], ["Con grupo", "con_grupo"]]})
    survey = services.import_xlsform(actor=admin_user, data=data)
    assert [f["type"] for f in survey.fields] == ["select_one", "begin_group", "text", "end_group", "text"]
    assert survey.fields[1]["relevant"] == {"field": "arma", "value": "si"}
    xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title="t", version=1, validate=True)
    assert '<group ref="/data/detalle">' in survey.xform

    def post(instance, body):
        xml = (f'<data id="con_grupo">{body}<meta><instanceID>{instance}</instanceID></meta></data>').encode()
        from django.core.files.uploadedfile import SimpleUploadedFile
        return client.post(f"/odk/{device_token}/submission",
                           {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})

    assert post("uuid:g1", "<arma>si</arma><detalle><cual>pistola</cual></detalle><notas>n</notas>").status_code == 201
    assert Report.objects.get().custom_values["cual"] == "pistola"
    # Group hidden (arma = no): its required question is not required, and its answers are ignored.
    assert post("uuid:g2", "<arma>no</arma><detalle><cual>x</cual></detalle><notas/>").status_code == 201
    assert "cual" not in Report.objects.get(submissions__instance_id="uuid:g2").custom_values
    # Group shown: its required question is required.
    assert post("uuid:g3", "<arma>si</arma><detalle><cual/></detalle><notas/>").status_code == 400


def test_unbalanced_groups_are_refused():
    errors = errors_of(incident_xlsform(extra_rows=[["begin_group", "g", "G", "G"]]))
    assert any("never ended" in e for e in errors), errors
