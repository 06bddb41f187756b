"""ODK's own form engine (@getodk/xforms-engine, under Node with jsdom) loads the form Testigo
serves, fills it, and posts the submission over HTTP (HEAD, then multipart POST). Testigo must
store the values the engine serialised."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from testigo.reports.models import Report

ENGINE_DIR = Path(__file__).parent / "odk_engine"


def _require_node() -> None:
    if shutil.which("node") and shutil.which("npm"):
        if not (ENGINE_DIR / "node_modules" / "@getodk" / "xforms-engine").is_dir():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ENGINE_DIR, check=True,
                           capture_output=True, timeout=300)
        return
    if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
        pytest.fail("node and npm are required (TESTIGO_REQUIRE_SERVICES=1)")
    pytest.skip("node/npm not installed: the ODK engine test needs Node 20 and npm")


def jpeg_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), "green").save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.services
def test_odk_engine_fills_and_submits_the_served_form(transactional_db, live_server, admin_user, category):
    _require_node()
    from testigo.surveys import services
    from tests.surveys.conftest import ALL_TYPES_FIELDS

    survey = services.create_survey(actor=admin_user, name_es="Incidentes", fields=[dict(f) for f in ALL_TYPES_FIELDS],
                                    form_id="incidentes", category=category)
    _device, token = services.add_device(actor=admin_user, name="engine")
    answers = {"titulo": "Robo en la parada", "relato": "Dos hombres", "victimas": "3", "monto": "12.5",
               "arma": "si", "tipo_arma": ["fuego", "blanca"], "fecha": "2026-03-01", "hora": "21:30:00",
               "lugar": "14.0723 -87.1921 1000 5",
               "foto": {"name": "foto.jpg", "type": "image/jpeg", "base64": jpeg_b64()}}
    run = subprocess.run(["node", "fill_and_submit.mjs", f"{live_server.url}/odk/{token}/", json.dumps(answers)],
                         cwd=ENGINE_DIR, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["formList"] == 200 and result["openRosaVersion"] == "1.0"
    assert result["payloadStatus"] == "ready"
    assert result["head"] == 204 and result["post"] == 201, result
    assert "OpenRosaResponse" in result["body"] and int(result["acceptContentLength"]) > 0
    report = Report.objects.get()
    values = report.custom_values
    assert values["_survey"] == survey.pk and values["titulo"] == "Robo en la parada"
    assert values["victimas"] == 3 and values["monto"] == 12.5 and values["arma"] == "si"
    assert values["tipo_arma"] == ["fuego", "blanca"] and values["fecha"] == "2026-03-01"
    assert values["hora"].startswith("21:30")
    assert values["lugar"]["lat"] == 14.0723 and values["lugar"]["lon"] == -87.1921
    assert (report.lat, report.lon) == (14.0723, -87.1921) and report.source == "odk"
    assert list(report.categories.all()) == [category]
    assert report.media.count() == 1 and values["foto"].endswith(".jpg")
