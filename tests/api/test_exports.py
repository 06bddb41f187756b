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
