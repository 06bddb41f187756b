"""An XLSX export of reports filtered to a survey's category (API) or to a survey (console inbox)
carries, after the reports sheet, the survey's submissions for those reports and one sheet per
repeat, laid out as the survey's own export (KEY / PARENT_KEY, ReportReference)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from testigo.api import services as token_services
from testigo.core import roles
from testigo.reports.models import Category, Report
from tests.surveys.test_promise_exports_keep_every_repeat_row import UCL, plots  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _dicts(rows: list[tuple]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def filed(plots, report_factory):  # noqa: F811 - the fixture imported above
    category = Category.objects.create(slug="parcelas", name_es="Parcelas", name_en="Plots")
    plots.category = category
    plots.save(update_fields=["category"])
    for report in Report.objects.all():
        report.categories.set([category])
    report_factory(title="Otro reporte, sin encuesta")
    return plots, category


def _check(sheets: dict) -> None:
    titles = list(sheets)
    assert titles[0] == "Reports" and f"{UCL}"[:31] in titles and "trees" in titles and "stems" in titles
    reports = _dicts(sheets["Reports"])
    assert len(reports) == 3 and "Otro reporte, sin encuesta" not in {r["title"] for r in reports}
    submissions = _dicts(sheets[titles[1]])
    assert {s["ReportReference"] for s in submissions} == {r["reference"] for r in reports}
    trees = _dicts(sheets["trees"])
    assert sorted((t["PARENT_KEY"], t["KEY"]) for t in trees) == [
        ("uuid:plot-2", "uuid:plot-2/trees[1]"), ("uuid:plot-3", "uuid:plot-3/trees[1]"),
        ("uuid:plot-3", "uuid:plot-3/trees[2]"), ("uuid:plot-3", "uuid:plot-3/trees[3]")]
    assert len(_dicts(sheets["stems"])) == 4


def test_the_api_xlsx_of_a_survey_category_has_its_repeats(filed, make_user):
    _survey, category = filed
    user = make_user(roles.COORDINATOR)
    _token, raw = token_services.create_token(user=user, name="t", scope="read", actor=user)
    client = Client()
    client.cookies["django_language"] = "en"
    _check(_sheets(client.get("/api/v1/reports.xlsx", {"category": category.slug},
                              HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")))
    # without the category filter: the reports alone
    assert list(_sheets(client.get("/api/v1/reports.xlsx", HTTP_AUTHORIZATION=f"Bearer {raw}"))) == ["Reports"]


def test_the_inbox_xlsx_of_a_survey_has_its_repeats(filed, make_user):
    survey, _category = filed
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(roles.COORDINATOR))
    _check(_sheets(client.get("/console/export/", {"survey": survey.pk, "format": "xlsx"})))


def test_public_exports_never_carry_submissions(filed, client):
    _survey, category = filed
    from testigo.reports import services

    report = Report.objects.filter(categories=category).first()
    services.verify(report=report, actor=roles.SYSTEM)
    services.publish(report=report, actor=roles.SYSTEM)
    assert len(_sheets(client.get("/api/v1/reports.xlsx", {"category": category.slug}))) == 1
