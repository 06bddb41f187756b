"""CSV/GeoJSON exports: streamed, role-aware, and the same writers from the API and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command


def _text(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_staff_csv_has_status_and_contact_columns_only_with_see_contact(client, world, make_user, token_for):
    analyst, coordinator = make_user("analyst"), make_user("coordinator")
    rows = list(csv.DictReader(io.StringIO(_text(client.get("/api/v1/reports.csv", **token_for(analyst))))))
    assert "status" in rows[0] and "reporter_contact" not in rows[0]
    assert world["new"].reference in {r["reference"] for r in rows}
    assert world["confidential"].reference not in {r["reference"] for r in rows}  # analyst: no confidential
    rows = list(csv.DictReader(io.StringIO(_text(client.get("/api/v1/reports.csv", **token_for(coordinator))))))
    assert {r["reporter_contact"] for r in rows} == {"+504 9999-0000"}


@pytest.mark.django_db
def test_staff_without_export_permission_cannot_export(client, world, moderator, token_for):
    assert client.get("/api/v1/reports.csv", **token_for(moderator)).status_code == 403


@pytest.mark.django_db
def test_public_geojson_is_the_projection(client, world):
    data = json.loads(_text(client.get("/api/v1/reports.geojson")))
    assert data["type"] == "FeatureCollection"
    by_ref = {f["properties"]["reference"]: f for f in data["features"]}
    assert set(by_ref) == {world["public"].reference, world["public2"].reference}
    world["public"].refresh_from_db()
    assert by_ref[world["public"].reference]["geometry"]["coordinates"] == [world["public"].public_lon,
                                                                            world["public"].public_lat]
    assert "status" not in by_ref[world["public"].reference]["properties"]


@pytest.mark.django_db
def test_export_command_public_and_all(world, capsys):
    call_command("export", "--format", "csv")
    public = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["reference"] for r in public} == {world["public"].reference, world["public2"].reference}
    call_command("export", "--format", "geojson", "--all")
    captured = capsys.readouterr()
    everything = json.loads(captured.out)
    assert len(everything["features"]) == 5
    assert captured.err == ""  # no progress bar when stderr is not a terminal


@pytest.mark.django_db
def test_csv_cells_cannot_become_spreadsheet_formulas(client, report_factory, admin_user):
    from testigo.reports import services

    report = report_factory(title="=HYPERLINK(\"http://x\")")
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    text = _text(client.get("/api/v1/reports.csv"))
    assert "'=HYPERLINK" in text


def _reference_csv(rows, columns) -> str:
    """The row-by-row writer the fast export replaced: one dict and one _cell per value."""
    from testigo.reports.exporters import _cell

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


@pytest.mark.django_db
def test_fast_export_equals_the_row_builders_cell_for_cell(world, admin_user, monkeypatch):
    from testigo.reports import exporters, selectors, services
    from testigo.reports.models import Report

    services.update_report(report=world["new"], actor=admin_user, title="@SUM(A1)", description="-2+3 ,\"x\"\n",
                           occurred_at=world["public"].received_at)
    services.merge(duplicate=world["restricted"], into=world["public"], actor=admin_user)
    monkeypatch.setattr(exporters, "EXPORT_CHUNK", 2)  # several chunks, with a category query each
    qs = Report.objects.order_by("id")
    for with_contact in (True, False):
        export = exporters.Export(qs, public=False, with_contact=with_contact)
        expected = _reference_csv(exporters.staff_rows(qs, with_contact=with_contact), export.columns)
        assert "".join(export.csv()) == expected
        features = json.loads("".join(export.geojson()))["features"]
        rows = list(exporters.staff_rows(qs, with_contact=with_contact))
        assert [f["properties"]["reference"] for f in features] == [r["reference"] for r in rows]
        by_ref = {r["reference"]: r for r in rows}
        for f in features:
            row = by_ref[f["properties"]["reference"]]
            assert f["properties"]["occurred_at"] == (row["occurred_at"].isoformat() if row["occurred_at"] else None)
            assert f["properties"]["categories"] == row["categories"]
            assert f["properties"]["merged_into"] == row["merged_into"]
    public = selectors.public_reports()
    export = exporters.Export(public, public=True)
    expected = _reference_csv(exporters.public_rows_from(list(public)), exporters.PUBLIC_COLUMNS)
    assert "".join(export.csv()) == expected and world["public"].reference in expected
    assert "'@SUM" not in expected  # a hidden report stays hidden
