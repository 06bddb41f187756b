"""The console says what happened in words: no action codes, JSON, model labels, source codes,
mapping targets or strftime patterns as visible text (attribute values such as tooltips may keep
the raw data for admins)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testigo.core import roles
from testigo.reports import services
from testigo.surveys.models import Import

SOURCE_CODES = ["web", "sms", "email", "tipline", "odk"]
TARGET_CODES = ["occurred_at", "place_name", "admin1", "latlon", "external_id"]
RAW_FRAGMENTS = ["report.published", "report.in_review", "report.verified", "report.created",
                 '"from"', "in_review", "auth.user", "reports.report", "%d/%m/%Y"]


def _text_nodes(html: str) -> list[str]:
    """The visible text of a page, one entry per text node (tags and their attributes removed)."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return [node.strip() for node in re.split(r"<[^>]*>", html) if node.strip()]


def _assert_no_codes(html: str, *, whole: list[str] = (), fragments: list[str] = RAW_FRAGMENTS) -> None:
    nodes = _text_nodes(html)
    text = "\n".join(nodes)
    for fragment in fragments:
        assert fragment not in text, f"raw code {fragment!r} shown as text"
    for code in whole:
        assert code not in nodes, f"raw code {code!r} shown as text"


@pytest.fixture
def spanish_admin(make_user) -> Client:
    client = Client()  # no language cookie: the deployment's Spanish
    client.force_login(make_user(roles.ADMIN, username="admin"))
    return client


@pytest.fixture
def reviewed_report(report_factory, admin_user):
    report = report_factory()
    services.change_status(report=report, status="in_review", actor=admin_user)
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


def test_promise_report_history_says_what_happened_in_words(spanish_admin, reviewed_report):
    html = spanish_admin.get(f"/console/r/{reviewed_report.reference}/").content.decode()
    _assert_no_codes(html, whole=SOURCE_CODES)
    # The status change names both statuses in Spanish, in one sentence, with who did it.
    assert any("En revisión" in node and "Verificado" in node and "admin" in node for node in _text_nodes(html))


def test_promise_audit_page_says_what_happened_in_words(spanish_admin, reviewed_report):
    html = spanish_admin.get("/console/audit/").content.decode()
    _assert_no_codes(html)


def test_promise_inbox_names_sources_in_words(spanish_admin, report_factory):
    for source in SOURCE_CODES:
        report_factory(title=f"Informe {source}", source=source)
    html = spanish_admin.get("/console/").content.decode()
    _assert_no_codes(html, whole=SOURCE_CODES)


def test_promise_import_mapping_names_targets_and_date_hint_in_words(spanish_admin):
    csv_data = "Fecha,Lugar,Depto,Coordenadas,ID\n01/02/2026,Centro,Cortés,\"14.1, -87.2\",A1\n".encode()
    spanish_admin.post("/console/surveys/imports/", {"file": SimpleUploadedFile("p.csv", csv_data)})
    imp = Import.objects.get()
    form = {"col_0": "occurred_at", "col_1": "place_name", "col_2": "admin1", "col_3": "latlon",
            "col_4": "external_id", "survey": "", "date_format": "", "unknown_categories": "reject",
            "action": "save"}
    html = spanish_admin.post(f"/console/surveys/imports/{imp.pk}/", form, follow=True).content.decode()
    _assert_no_codes(html, whole=TARGET_CODES)
    assert "día/mes/año" in html or "day/month/year" in html
