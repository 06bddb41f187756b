"""A program written from our OpenAPI document works without reading our code: a client generated
by openapi-python-client (the command docs/api.md gives) lists, submits, changes a status and adds
and reads notes against a running server, gets typed objects back, and gets a documented error
(400, 404, 422) as the Error model — never None, never an UnexpectedStatus exception."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

PACKAGE = "testigo_generated_client"


def _generator() -> str:
    """The openapi-python-client CLI of the running interpreter's environment (the [test] extra)."""
    beside = Path(sys.executable).with_name("openapi-python-client")
    found = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    assert found, "openapi-python-client is missing: pip install -e '.[test]'"
    return found


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The client package generated from /api/v1/openapi.json, imported (once per session: ~3 s)."""
    from testigo.api.api import api

    where = tmp_path_factory.mktemp("client")
    (where / "openapi.json").write_text(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), default=str))
    (where / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: nothing outside the venv
    result = subprocess.run(
        [_generator(), "generate", "--path", str(where / "openapi.json"), "--meta", "none",
         "--output-path", str(where / PACKAGE), "--config", str(where / "config.yaml")],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield {name: importlib.import_module(f"{PACKAGE}.{name}")
               for name in ("client", "models", "types", "api.reports.list_reports", "api.reports.submit_report",
                            "api.reports.change_status", "api.reports.add_note", "api.reports.list_notes",
                            "api.reports.get_report")}
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def clients(generated, live_server, admin_user):
    from testigo.api import services as token_services

    _token, raw = token_services.create_token(user=admin_user, name="generated client", scope="write",
                                              actor=admin_user)
    make = generated["client"]
    return {"public": make.Client(base_url=live_server.url, raise_on_unexpected_status=True),
            "staff": make.AuthenticatedClient(base_url=live_server.url, token=raw, raise_on_unexpected_status=True)}


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_submits_lists_changes_status_and_adds_notes(generated, clients, category):
    models, api = generated["models"], generated
    submitted = api["api.reports.submit_report"].sync(client=clients["public"], body=models.ReportIn(
        title="Asalto en bus", description="Dos hombres armados asaltaron la ruta 5.", category="robo",
        occurred_date=timezone.localdate() - timedelta(days=1), lat=14.07, lon=-87.19))
    assert isinstance(submitted, models.Submitted)
    assert submitted.status == "new" and submitted.reference.startswith("T-")

    page = api["api.reports.list_reports"].sync(client=clients["staff"], status="new")
    assert isinstance(page, models.ReportPage)
    mine = [item for item in page.items if item.reference == submitted.reference]
    assert len(mine) == 1 and isinstance(mine[0], models.StaffReport)
    assert mine[0].categories == ["robo"] and mine[0].source == "api"
    assert mine[0].received_at is not None and mine[0].received_at.tzinfo is not None

    changed = api["api.reports.change_status"].sync(
        reference=submitted.reference, client=clients["staff"], body=models.StatusIn(status="in_review"))
    assert isinstance(changed, models.StatusChanged) and changed.warnings == []
    assert changed.status == "in_review" and changed.redactions == []

    note = api["api.reports.add_note"].sync(reference=submitted.reference, client=clients["staff"],
                                            body=models.NoteIn(text="Llamar a la ruta 5."))
    assert isinstance(note, models.Note)
    assert note.text == "Llamar a la ruta 5." and note.author == "admin-user"
    notes = api["api.reports.list_notes"].sync(reference=submitted.reference, client=clients["staff"])
    assert isinstance(notes, models.NoteList)
    assert [(n.id, n.text) for n in notes.items] == [(note.id, "Llamar a la ruta 5.")]


@pytest.mark.django_db(transaction=True)
def test_the_public_gets_public_rows_without_contacts(generated, clients, published_report):
    models, api = generated["models"], generated
    page = api["api.reports.list_reports"].sync(client=clients["public"])
    assert isinstance(page, models.ReportPage)
    assert [item.reference for item in page.items] == [published_report.reference]
    row = page.items[0]
    assert isinstance(row, models.PublicReport) and row.url == f"/r/{published_report.reference}/"
    assert "reporter_contact" not in row.to_dict() and "reporter_contact" not in row.additional_properties
    detail = api["api.reports.get_report"].sync(reference=published_report.reference, client=clients["public"])
    assert isinstance(detail, models.PublicReportDetail) and detail.photos == []


@pytest.mark.django_db(transaction=True)
def test_documented_errors_are_parsed_into_the_error_model(generated, clients):
    models, api, unset = generated["models"], generated, generated["types"].UNSET

    missing = api["api.reports.get_report"].sync_detailed(reference="T-NONE-0000", client=clients["staff"])
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error) and missing.parsed.code == "not_found"

    bad_box = api["api.reports.list_reports"].sync_detailed(client=clients["public"], bbox="west,south")
    assert bad_box.status_code == 400
    assert isinstance(bad_box.parsed, models.Error) and bad_box.parsed.code == "invalid_bbox"
    assert isinstance(bad_box.parsed.detail, models.ParamDetail) and bad_box.parsed.detail.param == "bbox"

    future = api["api.reports.submit_report"].sync_detailed(client=clients["public"], body=models.ReportIn(
        title="Mañana", description="Algo que todavía no pasó.", occurred_date=timezone.localdate() + timedelta(days=3),
        place_name="Comayagüela"))
    assert future.status_code == 422
    assert isinstance(future.parsed, models.Error) and future.parsed.code == "invalid_input"
    assert [(e.field, isinstance(e, models.FieldError)) for e in future.parsed.detail] == [("occurred_date", True)]

    anonymous_note = api["api.reports.list_notes"].sync_detailed(reference="T-NONE-0000", client=clients["public"])
    assert anonymous_note.status_code == 401
    assert isinstance(anonymous_note.parsed, models.Error) and anonymous_note.parsed.code == "unauthenticated"
    assert anonymous_note.parsed.detail in (None, unset)
