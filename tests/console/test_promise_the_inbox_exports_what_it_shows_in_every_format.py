"""The inbox offers its reports (with its filters) as CSV, XLSX, GeoJSON, KML and HXL, to roles
that may export; contacts only to roles that may take them."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from testigo.core import roles

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_inbox_links_every_format_and_the_export_follows_its_filters(client_as, report_factory):
    report_factory(title="Robo en el mercado", lat=14.0, lon=-87.0)
    report_factory(title="Incendio forestal", lat=14.1, lon=-87.1)
    coordinator = client_as(roles.COORDINATOR)
    page = coordinator.get("/console/", {"q": "incendio"}).content.decode()
    for fmt in ("csv", "xlsx", "geojson", "kml", "hxl"):
        assert f"/console/export/?q=incendio&amp;format={fmt}" in page
    book = load_workbook(io.BytesIO(_body(coordinator.get("/console/export/", {"q": "incendio", "format": "xlsx"}))),
                         read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    assert "reporter_contact" in header and "status" in header
    assert [r[header.index("title")] for r in rows[1:]] == ["Incendio forestal"]
    text = _body(coordinator.get("/console/export/", {"format": "hxl"})).decode()
    assert text.splitlines()[1].startswith("#event+id,")
    assert len(list(csv.reader(io.StringIO(text)))) == 4


def test_roles_without_export_get_no_link_and_no_file(client_as, report_factory):
    report_factory(title="Robo", lat=14.0, lon=-87.0)
    moderator = client_as(roles.MODERATOR)
    assert "/console/export/" not in moderator.get("/console/").content.decode()
    assert moderator.get("/console/export/", {"format": "csv"}).status_code == 403
    analyst = client_as(roles.ANALYST)
    header = _body(analyst.get("/console/export/", {"format": "csv"})).decode().splitlines()[0]
    assert "reporter_contact" not in header


def test_an_unknown_format_is_refused_in_words(client_as):
    response = client_as(roles.COORDINATOR).get("/console/export/", {"format": "exe"})
    assert response.status_code == 400
    assert b"export formats" in response.content
