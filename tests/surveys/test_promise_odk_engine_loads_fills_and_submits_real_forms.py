"""Every real XLSForm Testigo accepts loads in ODK's own form engine (@getodk/xforms-engine, the
engine behind ODK Web Forms), and a sample of them is downloaded, filled (two rows in every
repeat, attachments from the manifest) and submitted over OpenRosa end to end: Testigo stores
exactly what the engine sent, in the shape the form has."""

from __future__ import annotations

import io
import json
import subprocess
import warnings
from pathlib import Path

import pytest
from PIL import Image

from testigo.surveys import xform, xlsform
from tests.surveys.test_odk_engine import ENGINE_DIR, _require_node

CORPUS = Path(__file__).parent / "xlsform_corpus"
FORMS = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in {".xls", ".xlsx"})
# Real forms of every kind: repeats (controlled and not), loops, cascading selects, pulldata and
# a CSV attachment, every widget, old syntax, .xls and .xlsx.
SAMPLE = ["pyxform/example_xls__repeat_date_test.xls", "pyxform/example_xls__loop.xlsx",
          "pyxform/example_xls__choice_filter_test.xlsx", "pyxform/example_xls__widgets.xls",
          "pyxform/example_xls__pull_data.xlsx", "pyxform/example_xls__xlsform_spec_test.xlsx",
          "pyxform/example_xls__tutorial.xls", "pyxform/bug_example_xls__UCL_Biomass_Plot_Form.xlsx"]

ONLY_CALCULATES = {"pyxform/example_xls__pull_data.xlsx"}  # a pulldata() from its CSV and a note: nothing to fill


def _convert(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return xlsform.convert_xlsform(path.read_bytes(), path.name)
        except xlsform.XLSFormError:
            return None


# Forms ODK's web engine loads but JavaRosa (ODK Collect) refuses, so Testigo refuses them too.
COLLECT_REFUSES = {"cht-core/tests__performance__webapp__specs__forms__app__large_cha.xlsx":
                   "a calculation that reads its own value (JavaRosa: cycle detected)"}


def _engine_verdicts(xforms: dict[str, str], folder: Path) -> dict[str, str | None]:
    """{name: None if ODK's engine loads the XForm, else its error}."""
    paths = {}
    for number, (name, text) in enumerate(xforms.items()):
        paths[name] = folder / f"{number}.xml"
        paths[name].write_text(text, encoding="utf-8")
    run = subprocess.run(["node", "load_forms.mjs"], input=json.dumps([str(p) for p in paths.values()]),
                         cwd=ENGINE_DIR, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    results = {json.loads(line)["path"]: json.loads(line) for line in run.stdout.splitlines()}
    return {name: None if results[str(p)]["ok"] else results[str(p)]["error"] for name, p in paths.items()}


@pytest.mark.services
def test_testigo_accepts_exactly_the_real_forms_odk_can_open(tmp_path):
    """Of the corpus forms pyxform converts, Testigo accepts every one ODK's engine loads, and
    every one it accepts loads: nothing refused that works, nothing served that cannot open."""
    from pyxform.xls2xform import convert

    _require_node()
    pyxform_xforms, accepted = {}, set()
    for path in FORMS:
        name = str(path.relative_to(CORPUS))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pyxform_xforms[name] = convert(xlsform=str(path)).xform
            except Exception:  # noqa: BLE001 - pyxform's refusals are not Testigo's to judge
                continue
        if _convert(path) is not None:
            accepted.add(name)
    assert len(pyxform_xforms) >= 150 and len(accepted) >= 0.9 * len(pyxform_xforms)
    verdicts = _engine_verdicts(pyxform_xforms, tmp_path)
    loads = {name for name, error in verdicts.items() if error is None}
    assert {name: verdicts[name] for name in accepted - loads} == {}  # served, yet ODK cannot open it
    assert sorted(loads - accepted) == sorted(COLLECT_REFUSES)  # refused, yet ODK opens it


def _supply(survey, admin_user) -> None:
    """Give the form the files it reads, as an admin would: tiny but valid ones."""
    from testigo.surveys import services

    for name in survey.missing_files():
        if name.endswith(".csv"):
            data = b"name,label,key\nuno,Uno,1\ndos,Dos,2\n"
        elif name.endswith(".geojson"):
            data = json.dumps({"type": "FeatureCollection", "features": [{
                "type": "Feature", "properties": {"id": "uno", "title": "Uno"},
                "geometry": {"type": "Point", "coordinates": [-87.19, 14.07]}}]}).encode()
        else:
            out = io.BytesIO()
            Image.new("RGB", (4, 4), "blue").save(out, "PNG")
            data = out.getvalue()
        services.add_media_file(actor=admin_user, survey=survey, name=name, data=data)


@pytest.mark.services
@pytest.mark.parametrize("name", SAMPLE)
def test_odks_engine_fills_and_submits_a_real_form(name, transactional_db, live_server, admin_user, english):
    _require_node()
    from testigo.surveys import services
    from testigo.surveys.models import Submission

    path = CORPUS / name
    survey = services.import_xlsform(actor=admin_user, data=path.read_bytes(), filename=path.name)
    _supply(survey, admin_user)
    _device, token = services.add_device(actor=admin_user, name="engine")
    run = subprocess.run(["node", "fill_any.mjs", f"{live_server.url}/odk/{token}/", survey.form_id],
                         cwd=ENGINE_DIR, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if survey.encrypted:  # the engine cannot encrypt: a plaintext instance for an encrypted form is refused
        assert result["post"] == 400 and "encryption differs" in result["body"] and not Submission.objects.exists()
        assert "not to this server" in survey.conversion_warnings[0]  # its submission_url is named too
        return
    assert (result["formList"], result["form"], result["head"], result["post"]) == (200, 200, 204, 201), result["body"]
    assert result["attachments"] == sorted(survey.outline["files"]) or not survey.outline["files"]
    assert result["filled"] > 0 or name in ONLY_CALCULATES, result
    stored = Submission.objects.get()
    assert bytes(stored.xml).decode("utf-8") == result["instanceXml"]
    assert stored.report is not None and stored.report.source == "odk"
    # Every repeat the engine could add rows to comes back as a list of two rows.
    for node in xform.repeats(survey.outline["nodes"]):
        rows = stored.data
        for part in node["path"].split("/"):
            rows = rows.get(part) if isinstance(rows, dict) else None
        if rows is not None and not node.get("repeat_count") and "/" not in node["path"]:
            assert isinstance(rows, list) and len(rows) == 2, (node["path"], rows)
