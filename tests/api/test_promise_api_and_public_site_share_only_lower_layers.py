"""The API and the public site are the same top layer (ARCHITECTURE.md): a submission is checked
and a filter read by code below both (reports.submission, reports.filters, reports.exporters), so
neither imports the other, and a change to one cannot silently change the other's rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "testigo"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(("app", "other"), [("api", "public"), ("public", "api")])
def test_the_api_and_the_public_site_never_import_each_other(app, other):
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sorted(m for m in _imported_modules(path)
                                                      if m == f"testigo.{other}" or m.startswith(f"testigo.{other}."))
        for path in sorted((PACKAGE / app).rglob("*.py"))
    }
    offenders = {path: modules for path, modules in offenders.items() if modules}
    assert offenders == {}


def test_the_api_checks_a_submission_with_the_web_forms_rules():
    from testigo.api.schemas import ReportIn
    from testigo.public.forms import ReportForm
    from testigo.reports.models import Report
    from testigo.reports.submission import SubmissionForm

    assert issubclass(ReportForm, SubmissionForm)
    schema = ReportIn.model_json_schema()["properties"]
    for field in ("title", "description", "place_name", "reporter_name", "reporter_contact"):
        stored = Report._meta.get_field(field).max_length
        assert ReportForm.base_fields[field].max_length == stored
        assert schema[field]["maxLength"] == stored
