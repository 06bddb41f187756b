"""A survey's export holds every answer that arrived, repeat rows included, laid out as ODK
Central's CSV export (central-backend lib/data/briefcase.js): one file for the submissions, one per
repeat joined by KEY/PARENT_KEY, geopoints split, select_multiple choices as 0/1 columns, the
questions of older form versions kept. The XLSX holds the same tables, one sheet each.

Forms are real ones from tests/surveys/xlsform_corpus/pyxform (pyxform's own test forms, see
SOURCE.md there), imported as the console does, and every submission is posted to the OpenRosa
endpoint as ODK Collect posts it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from testigo.core import roles
from testigo.surveys import exports, services
from testigo.surveys.models import Submission, Survey
from tests.surveys.conftest import write_xlsx
from tests.surveys.test_openrosa import instance_xml, post

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "xlsform_corpus" / "pyxform"
POINT = "14.0723 -87.1921 1000 5"


def element(name: str, value) -> str:
    if isinstance(value, list):  # a repeat: one element per row
        return "".join(element(name, row) for row in value)
    if isinstance(value, dict):
        return f"<{name}>{''.join(element(k, v) for k, v in value.items())}</{name}>"
    return f"<{name}>{escape(value)}</{name}>"


def instance(form_id: str, instance_id: str, answers: dict, version: str = "", root: str = "data") -> bytes:
    version_attribute = f' version="{escape(version)}"' if version else ""
    body = "".join(element(name, value) for name, value in answers.items())
    return (f'<{root} xmlns:jr="http://openrosa.org/javarosa" id="{escape(form_id)}"{version_attribute}>{body}'
            f"<meta><instanceID>{instance_id}</instanceID></meta></{root}>").encode()


def send(client, token, xml: bytes) -> None:
    response = post(client, token, xml)
    assert response.status_code == 201, response.content


def import_form(path: Path | None = None, *, data: bytes = b"", name: str = "") -> Survey:
    if path is not None:
        data, name = path.read_bytes(), path.name
    return services.import_xlsform(actor=roles.SYSTEM, data=data, filename=name)


def csv_files(survey: Survey) -> dict[str, list[dict]]:
    out = io.BytesIO()
    exports.write_csv_zip(survey, Submission.objects.all(), out)
    with zipfile.ZipFile(out) as archive:
        return {name: _rows(archive.read(name)) for name in archive.namelist()}


def _rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a BOM
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] or [dict.fromkeys(rows[0])]


def headers(content: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


UCL = "bug_example_xls__UCL_Biomass_Plot_Form"  # its form id: the file name, as pyxform names it


def tree(tag: int, stems: int = 0) -> dict:
    return {"tag": str(tag), "stems": [{"cbh": f"{tag}{i}"} for i in range(1, stems + 1)]}


@pytest.fixture
def plots(client, device_token):
    """UCL's biomass plot form (pyxform's bug examples, not encrypted): a geopoint in a group, a
    select_multiple, the repeat "trees" with "stems" repeated inside each tree. Three plots with
    0, 1 and 3 trees; the third plot's trees have 1, 3 and 0 stems."""
    survey = import_form(CORPUS / f"{UCL}.xlsx")
    plots = [(POINT, "burning grazing", []), ("", "none", [tree(1)]), (POINT, "", [tree(1, 1), tree(2, 3), tree(3)])]
    for n, (point, disturbance, trees) in enumerate(plots, 1):
        send(client, device_token, instance(UCL, f"uuid:plot-{n}", {
            "location": {"center_point": point}, "any_trees": "yes" if trees else "no", "trees": trees,
            "disturbance": disturbance, "remarks": f"Parcela {n}"}, version=survey.xform_version))
    return survey


def test_every_repeat_row_is_exported_and_joins_its_submission(plots):
    files = csv_files(plots)
    assert sorted(files) == sorted(f"{UCL}{suffix}.csv" for suffix in (
        "", "-trees", "-stems", "-stumps", "-subplot1", "-subplot2"))
    main, trees = files[f"{UCL}.csv"], files[f"{UCL}-trees.csv"]
    assert [r["KEY"] for r in main] == ["uuid:plot-3", "uuid:plot-2", "uuid:plot-1"]  # newest first, as Central
    assert [r["meta-instanceID"] for r in main] == [r["KEY"] for r in main]
    assert [r["remarks"] for r in main] == ["Parcela 3", "Parcela 2", "Parcela 1"]
    by_parent = {key: [r for r in trees if r["PARENT_KEY"] == key] for key in (r["KEY"] for r in main)}
    assert {key: len(rows) for key, rows in by_parent.items()} == {"uuid:plot-1": 0, "uuid:plot-2": 1,
                                                                   "uuid:plot-3": 3}
    assert [(r["tag"], r["KEY"]) for r in by_parent["uuid:plot-3"]] == [
        (str(i), f"uuid:plot-3/trees[{i}]") for i in (1, 2, 3)]
    stems = files[f"{UCL}-stems.csv"]
    assert [(r["cbh"], r["PARENT_KEY"], r["KEY"]) for r in stems] == [
        ("11", "uuid:plot-3/trees[1]", "uuid:plot-3/trees[1]/stems[1]"),
        ("21", "uuid:plot-3/trees[2]", "uuid:plot-3/trees[2]/stems[1]"),
        ("22", "uuid:plot-3/trees[2]", "uuid:plot-3/trees[2]/stems[2]"),
        ("23", "uuid:plot-3/trees[2]", "uuid:plot-3/trees[2]/stems[3]")]


def test_columns_follow_central_geopoints_split_and_choices_counted(plots):
    out = io.BytesIO()
    exports.write_csv_zip(plots, Submission.objects.all(), out)
    with zipfile.ZipFile(out) as archive:
        main, trees = headers(archive.read(f"{UCL}.csv")), headers(archive.read(f"{UCL}-trees.csv"))
    assert main[:3] == ["SubmissionDate", "intro-note2", "intro-note1"]
    assert main[-8:] == ["deviceid", "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "FormVersion",
                         "ReportReference", "ReportStatus"]
    at = main.index("location-center_point-Latitude")
    assert main[at:at + 4] == [f"location-center_point-{p}" for p in ("Latitude", "Longitude", "Altitude",
                                                                       "Accuracy")]
    at = main.index("disturbance")
    assert main[at:at + 8] == ["disturbance"] + [f"disturbance/{c}" for c in (
        "burning", "grazing", "cutting", "farming", "charcoal_making", "traps", "none")]
    assert not any(h.startswith(("trees", "stems", "tag", "cbh")) for h in main)
    assert trees[:2] == ["plot_id1", "tag"] and trees[-2:] == ["PARENT_KEY", "KEY"] and "cbh" not in trees
    rows = {r["KEY"]: r for r in csv_files(plots)[f"{UCL}.csv"]}
    point = [rows["uuid:plot-1"][f"location-center_point-{p}"] for p in ("Latitude", "Longitude", "Altitude",
                                                                        "Accuracy")]
    assert point == ["14.0723", "-87.1921", "1000", "5"]
    assert rows["uuid:plot-2"]["location-center_point-Latitude"] == ""
    assert rows["uuid:plot-1"]["disturbance"] == "burning grazing"
    assert [rows["uuid:plot-1"][f"disturbance/{c}"] for c in ("burning", "grazing", "none")] == ["1", "1", "0"]
    assert rows["uuid:plot-1"]["SubmitterName"] == "Teléfono 1" and rows["uuid:plot-1"]["ReportReference"]
    assert rows["uuid:plot-1"]["FormVersion"] == plots.xform_version
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rows["uuid:plot-1"]["SubmissionDate"])


def versioned_form(version: str, survey_rows: list[list]) -> bytes:
    """A small XLSForm written for this test (not a real form): two versions of one form id."""
    return write_xlsx({"survey": [["type", "name", "label"], *survey_rows],
                       "settings": [["form_id", "version"], ["visitas", version]]})


def test_an_answer_only_an_older_version_asked_survives_a_new_version(client, device_token):
    old = import_form(data=versioned_form("1", [
        ["text", "antiguo", "Antiguo"], ["text", "lugar", "Lugar"], ["begin_group", "casa", "Casa"],
        ["begin_repeat", "visita", "Visita"], ["text", "nota", "Nota"], ["text", "hora_vieja", "Hora"],
        ["end_repeat", "", ""], ["end_group", "", ""]]), name="visitas-v1.xlsx")
    send(client, device_token, instance("visitas", "uuid:v1", {
        "antiguo": "dato viejo", "lugar": "Choluteca",
        "casa": {"visita": [{"nota": "primera", "hora_vieja": "08:00"}]}}, version="1"))
    new = import_form(data=versioned_form("2", [
        ["text", "lugar", "Lugar"], ["text", "nuevo", "Nuevo"], ["begin_group", "casa", "Casa"],
        ["begin_repeat", "visita", "Visita"], ["text", "nota", "Nota"], ["end_repeat", "", ""],
        ["end_group", "", ""]]), name="visitas-v2.xlsx")
    assert new.pk == old.pk and new.xform_version == "2"
    send(client, device_token, instance("visitas", "uuid:v2", {
        "lugar": "Danlí", "nuevo": "dato nuevo", "casa": {"visita": [{"nota": "segunda"}]}}, version="2"))
    files = csv_files(new)
    main = files["visitas.csv"]
    names = list(main[0])
    assert names.index("antiguo") > names.index("nuevo")  # appended after the current questions
    assert {r["KEY"]: (r["antiguo"], r["nuevo"], r["FormVersion"]) for r in main} == {
        "uuid:v1": ("dato viejo", "", "1"), "uuid:v2": ("", "dato nuevo", "2")}
    visits = files["visitas-visita.csv"]
    assert list(visits[0]) == ["nota", "hora_vieja", "PARENT_KEY", "KEY"]
    assert [(r["nota"], r["hora_vieja"], r["PARENT_KEY"], r["KEY"]) for r in visits] == [
        ("segunda", "", "uuid:v2", "uuid:v2/casa/visita[1]"), ("primera", "08:00", "uuid:v1", "uuid:v1/casa/visita[1]")]
    # The columns are those of the versions present in the export.
    Submission.objects.filter(instance_id="uuid:v1").delete()
    assert "antiguo" not in csv_files(new)["visitas.csv"][0]


def test_only_stored_submissions_are_exported(client, device_token, plots):
    edit = instance(UCL, "uuid:plot-1-edit", {"remarks": "Parcela 1 corregida"}, version=plots.xform_version)
    send(client, device_token, edit.replace(b"</instanceID>", b"</instanceID><deprecatedID>uuid:plot-1</deprecatedID>"))
    Submission.objects.filter(instance_id="uuid:plot-2").update(status=Submission.Status.REJECTED)
    Submission.objects.filter(instance_id="uuid:plot-3").update(status=Submission.Status.ENCRYPTED)
    assert Submission.objects.get(instance_id="uuid:plot-1").status == Submission.Status.SUPERSEDED
    files = csv_files(plots)
    assert [(r["KEY"], r["remarks"]) for r in files[f"{UCL}.csv"]] == [("uuid:plot-1-edit", "Parcela 1 corregida")]
    assert files[f"{UCL}-trees.csv"] == [dict.fromkeys(files[f"{UCL}-trees.csv"][0])]  # the header alone


def test_xlsx_holds_the_same_tables_one_sheet_each(plots, client, device_token):
    send(client, device_token, instance(UCL, "uuid:plot-4", {
        "remarks": '=HYPERLINK("http://example.org")', "trees": [tree(4, 2)]}, version=plots.xform_version))
    out = io.BytesIO()
    exports.write_xlsx(plots, Submission.objects.all(), out)
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert book.sheetnames == [UCL[:31], "trees", "stems", "stumps", "subplot1", "subplot2"]
    zipped = io.BytesIO()
    exports.write_csv_zip(plots, Submission.objects.all(), zipped)
    with zipfile.ZipFile(zipped) as archive:
        names = [f"{UCL}{suffix}.csv" for suffix in ("", "-trees", "-stems", "-stumps", "-subplot1", "-subplot2")]
        for sheet, name in zip(book.worksheets, names, strict=True):
            from_csv = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline="")))
            from_sheet = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            # The one difference: CSV quotes a formula with an apostrophe, XLSX stores it as text.
            from_csv = [[v[1:] if v.startswith("'=") else v for v in row] for row in from_csv]
            assert from_sheet == from_csv, name
    main = load_workbook(io.BytesIO(out.getvalue()))[UCL[:31]]
    cell = next(c for row in main.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # text, never run as a formula


def test_console_built_survey_exports_its_fields_even_from_submissions_stored_before_data(
        client, device_token, survey):
    send(client, device_token, instance_xml(instance_id="uuid:b1"))
    Submission.objects.update(data={})  # as stored before answers were kept as `data`
    main = csv_files(survey)["incidentes.csv"]
    assert main[0]["titulo"] == "Asalto en bus" and main[0]["lugar-Latitude"] == "14.0723"
    assert [main[0][name] for name in ("tipo_arma", "tipo_arma/fuego", "tipo_arma/blanca")] == [
        "fuego blanca", "1", "1"]
    assert main[0]["meta-instanceID"] == main[0]["KEY"] == "uuid:b1"


def test_cli_writes_the_export(plots, tmp_path, monkeypatch):
    target = tmp_path / "salida.xlsx"
    out = io.StringIO()
    call_command("survey", "export", UCL, "--format", "xlsx", "--output", str(target), stdout=out)
    assert out.getvalue().strip() == str(target)
    assert load_workbook(target, read_only=True).sheetnames[:2] == [UCL[:31], "trees"]
    monkeypatch.chdir(tmp_path)
    call_command("survey", "export", UCL, stdout=io.StringIO())
    with zipfile.ZipFile(tmp_path / f"{UCL}.csv.zip") as archive:
        assert f"{UCL}-stems.csv" in archive.namelist()
    assert exports.filename(plots, "xlsx") == f"{UCL}.xlsx"
    with pytest.raises(CommandError, match="no survey"):
        call_command("survey", "export", "no-existe", stdout=io.StringIO())

