"""`testigo survey import`, `testigo odk-device add`, `testigo import`."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from testigo.reports.models import Report
from testigo.surveys.models import Device, Survey
from tests.surveys.conftest import write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_survey_import_prints_what_it_published(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_bytes(write_xlsx({"survey": [["type", "name", "label"], ["text", "que", "¿Qué pasó?"]],
                                 "settings": [["form_title", "form_id", "version"], ["Monitoreo", "monitoreo", "1"]]}))
    output = run("survey", "import", str(path))
    survey = Survey.objects.get()
    assert output.splitlines() == [f"{survey.pk}\tmonitoreo\tversion 1\tcreated\tMonitoreo", "web form: available"]
    assert survey.fields[0]["label"]["es"] == "¿Qué pasó?"
    assert "\tunchanged\t" in run("survey", "import", str(path))


def test_survey_import_names_what_only_odk_collect_can_do_and_the_missing_files(tmp_path):
    path, csv = tmp_path / "f.xlsx", tmp_path / "barrios.csv"
    path.write_bytes(write_xlsx({"survey": [["type", "name", "label"], ["begin_repeat", "r", "R"],
                                            ["text", "q", "Q"], ["end_repeat", "", ""],
                                            ["select_one_from_file barrios.csv", "barrio", "Barrio"]]}))
    err = io.StringIO()
    out = io.StringIO()
    call_command("survey", "import", str(path), stdout=out, stderr=err)
    assert "ODK Collect / Enketo only" in out.getvalue() and "“r”: repeated group" in out.getvalue()
    assert "missing attachments" in err.getvalue() and "barrios.csv" in err.getvalue()
    csv.write_text("name,label\ncentro,Centro\n", encoding="utf-8")
    call_command("survey", "import", str(path), "--attach", str(csv), stdout=out, stderr=(err := io.StringIO()))
    assert err.getvalue() == "" and Survey.objects.get().missing_files() == []


def test_survey_import_refuses_what_pyxform_refuses(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_bytes(write_xlsx({"survey": [["type", "name", "label"], ["begin_repeat", "r", "R"]]}))
    with pytest.raises(CommandError, match="row 2.*begin_repeat"):
        run("survey", "import", str(path))
    assert not Survey.objects.exists()


def test_odk_device_add_prints_a_working_url(client, survey):
    output = run("odk_device", "add", "Teléfono de Ana", "--server", "https://testigo.example.org")
    match = re.fullmatch(r"https://testigo\.example\.org/odk/([A-Za-z0-9_-]{40,})\n", output)
    assert match and Device.objects.get().name == "Teléfono de Ana"
    assert client.get(f"/odk/{match[1]}/formList").status_code == 200


def test_import_command_runs_with_a_mapping(tmp_path, category):
    data = tmp_path / "d.csv"
    data.write_text("Qué,Dónde\nRobo,Tegucigalpa\nRobo,\n,Nada\n", encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"Qué": "title", "Dónde": "place_name"}}))
    output = run("import", str(data), "--mapping", str(mapping))
    assert "2 created, 0 already imported, 1 rejected" in output and "row 4:" in output
    assert Report.objects.count() == 2
    again = run("import", str(data), "--mapping", str(mapping))
    assert "0 created, 2 already imported" in again and Report.objects.count() == 2
