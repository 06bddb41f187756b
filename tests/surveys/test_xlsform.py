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


def test_served_xform_is_pyxforms_own_and_passes_odk_validate(admin_user, tmp_path):
    """What ODK Collect downloads is exactly what pyxform makes of the uploaded file, and ODK
    Validate (JavaRosa, bundled with pyxform) accepts it."""
    from pyxform.xls2xform import convert

    data = incident_xlsform()
    survey = services.import_xlsform(actor=admin_user, data=data, filename="f.xlsx")
    (tmp_path / "f.xlsx").write_bytes(data)
    assert survey.xform == convert(xlsform=str(tmp_path / "f.xlsx"), validate=True).xform
    assert survey.xform_version == "7" and survey.served_version == "7" and survey.from_xlsform
    assert 'id="incidentes_campo"' in survey.xform and 'type="geopoint"' in survey.xform
    assert 'lang="English (en)"' in survey.xform and "What happened" in survey.xform


def test_builder_survey_with_every_type_passes_odk_validate(survey):
    xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title=survey.name_es,
                     version=survey.version, validate=True)
    assert len(ALL_TYPES_FIELDS) == 13


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.convert_xlsform(data, "f.xlsx")
    return caught.value.errors


def blockers_of(data: bytes) -> set[str]:
    return {code for code, _path, _what in xlsform.convert_xlsform(data, "f.xlsx").blockers}


def test_pyxforms_refusals_are_shown_with_their_row(settings):
    settings.LANGUAGE_CODE = "en"
    errors = errors_of(incident_xlsform(extra_rows=[["text", "titulo", "Otra vez", "Again"]]))
    assert errors[0].startswith("The XLSForm converter reports, at row 17:") and "'titulo'" in errors[0], errors
    errors = errors_of(incident_xlsform(extra_rows=[["rankk", "orden", "Orden", "Order"]]))
    assert "Unknown question type 'rankk'" in errors[0], errors
    errors = errors_of(incident_xlsform(extra_rows=[["begin_group", "g", "G", "G"]]))
    assert "at row 17" in errors[0] and "Unmatched 'begin_group'" in errors[0], errors


def test_pyxforms_refusals_speak_spanish(settings):
    from django.utils import translation

    with translation.override("es"):
        errors = errors_of(incident_xlsform(extra_rows=[["begin_group", "g", "G", "G"]]))
    assert errors == ["El convertidor de XLSForm indica, en la fila 17: “begin_group” de “g” no tiene su "
                      "“end_group” correspondiente."]


def test_most_of_pyxforms_refusals_of_real_forms_speak_spanish():
    """The refusals real forms meet are said in Spanish (measured on the corpus: pyxform's own
    sentence stays only for the rare ones)."""
    import warnings
    from pathlib import Path

    from django.utils import translation
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    from testigo.surveys import pyxform_messages

    refusals = []
    for path in sorted((Path(__file__).parent / "xlsform_corpus").rglob("*.xls*")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                convert(xlsform=str(path))
            except PyXFormError as exc:
                refusals.append(xlsform._ROW.sub("", str(exc)))
            except Exception:  # noqa: BLE001, S112 - pyxform's own crashes have no message to translate
                continue
    with translation.override("es"):
        spoken = [m for m in refusals if pyxform_messages.translate(m) != m]
    assert len(refusals) >= 50 and len(spoken) >= 0.85 * len(refusals), set(refusals) - set(spoken)


@pytest.mark.parametrize(("rows", "columns", "settings_rows", "blocker"), [
    ([["begin_repeat", "g", "G", "G"], ["text", "q", "Q", "Q"], ["end_repeat"]], (), None, "repeat"),
    ([["text", "otro", "Otro", "Other", "", "", "", "${victimas} > 2 and ${arma} = 'si'"]], (), None, "relevant"),
    ([["range", "nivel", "Nivel", "Level"]], (), None, "type"),
    ([["select_one_from_file barrios.csv", "barrio", "Barrio", "Neighbourhood"]], (), None, "choices"),
])
def test_features_the_web_form_lacks_make_the_form_odk_only_not_refused(rows, columns, settings_rows, blocker):
    assert blocker in blockers_of(incident_xlsform(extra_rows=rows, extra_columns=columns,
                                                   settings_rows=settings_rows))


def test_what_the_web_form_can_render_has_no_blocker():
    assert blockers_of(incident_xlsform()) == set()


@pytest.mark.parametrize(("columns", "settings_rows"), [
    ((("read_only", "yes"),), None),
    ((("label::Français (fr)", "Titre"),), None),
    ((), [["form_title", "form_id", "instance_name"], ["T", "con_nombre", "concat(${titulo})"]]),
])
def test_columns_and_settings_pyxform_accepts_are_served(admin_user, columns, settings_rows):
    survey = services.import_xlsform(actor=admin_user, data=incident_xlsform(extra_columns=columns,
                                                                            settings_rows=settings_rows))
    assert survey.xform and survey.outline["nodes"]
    if settings_rows:
        assert "instanceName" in survey.xform
    if columns and columns[0][0].startswith("label::Fr"):
        assert 'lang="Français (fr)"' in survey.xform and "Titre" in survey.xform
        assert survey.fields[0]["label"] == {"es": "Título", "en": "Title"}


def test_not_a_spreadsheet_is_refused():
    assert errors_of(b"hello") == ["This file is not an XLSForm spreadsheet (.xlsx or .xls)."]
    assert "could not be read as an XLSForm" in errors_of(b"PK\x03\x04broken zip")[0]


def test_groups_are_kept_and_answers_are_stored_as_sent(admin_user, client, device_token):
    from testigo.reports.models import Report
    from testigo.surveys.models import Submission

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
    assert survey.fields[1]["relevant"] == {"field": "arma", "value": "si"} and survey.web_form
    assert '<group ref="/data/detalle">' in survey.xform

    def post(instance, body):
        xml = (f'<data id="con_grupo">{body}<meta><instanceID>{instance}</instanceID></meta></data>').encode()
        from django.core.files.uploadedfile import SimpleUploadedFile
        return client.post(f"/odk/{device_token}/submission",
                           {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})

    assert post("uuid:g1", "<arma>si</arma><detalle><cual>pistola</cual></detalle><notas>n</notas>").status_code == 201
    assert Report.objects.get().custom_values["cual"] == "pistola"
    assert Submission.objects.get().data == {"arma": "si", "detalle": {"cual": "pistola"}, "notas": "n",
                                             "meta": {"instanceID": "uuid:g1"}}
    # ODK Collect checked the answers against the form; what it sends is kept, never refused.
    assert post("uuid:g3", "<arma>si</arma><detalle><cual/></detalle><notas/>").status_code == 201
