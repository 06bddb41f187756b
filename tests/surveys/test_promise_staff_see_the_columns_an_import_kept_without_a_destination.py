"""Columns of an imported file that no destination took are kept with the report ("nothing is
lost"); staff see them on the report page, with the record's id in the other system, links
clickable and no markup from the file rendered."""

from __future__ import annotations

import pytest

from testigo.reports.models import Report
from testigo.surveys import importing

pytestmark = pytest.mark.usefixtures("english")

CSV = ("Titulo,Descripcion,Fecha,Folio,Barrio,Enlace\n"
       "Robo de moto,Dos hombres armados,2026-03-01,HN-0042,La Kennedy,https://example.org/video/42\n"
       "Asalto,En la parada <script>alert(1)</script>,2026-03-02,HN-0043,,\n")


@pytest.mark.django_db
def test_the_report_page_shows_the_imported_columns_no_destination_took(admin_user, client,
                                                                       django_capture_on_commit_callbacks):
    imp = importing.create_import(actor=admin_user, name="folios.csv", data=CSV.encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json={
        "columns": {"Titulo": "title", "Descripcion": "description", "Fecha": "occurred_at", "Folio": "external_id"}})
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    client.force_login(admin_user)
    report = Report.objects.get(title="Robo de moto")
    page = client.get(f"/console/r/{report.reference}/").content.decode()
    assert "From the imported file" in page
    assert "HN-0042" in page and "La Kennedy" in page
    assert '<a href="https://example.org/video/42"' in page
    other = Report.objects.get(title="Asalto")
    page = client.get(f"/console/r/{other.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in page
