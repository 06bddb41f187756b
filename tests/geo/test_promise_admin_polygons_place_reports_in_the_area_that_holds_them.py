"""Promise: once administrators upload the real boundaries of their departments (or municipalities)
— GeoJSON, zipped Shapefile or GeoPackage, the level and the name field chosen — a report is in
the area whose polygon holds its point, not the area of the nearest town (which near a border lies
across it); where no polygon holds the point the nearest-town rule still answers, spelled as the
polygons spell it. The maps draw the areas filled by their counts: the public one published public
reports only, by their public point.

Real material: geoBoundaries HND ADM1 (tests/geo/boundaries/SOURCE.md). The Shapefile and
GeoPackage variants are written from it at test time by ogr2ogr."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from testigo.core import roles
from testigo.geo import admin_polygons, areas, gazetteer_services
from testigo.geo.models import AdminArea
from testigo.reports import services
from testigo.reports.models import Report
from tests.geo.test_promise_real_boundary_files_become_the_same_zones_and_layers_in_every_format import (
    ogr2ogr,
)

pytestmark = pytest.mark.usefixtures("english")

HND_ADM1 = Path(__file__).parent / "boundaries" / "hnd_adm1.geojson"
# Inside Choluteca, 3+ km from its border; the nearest GeoNames town (La Criba, 14 km) is in Valle.
CHOLUTECA_NEAR_VALLE = (13.46, -87.28)
TEGUCIGALPA = (14.0818, -87.2068)
SAN_PEDRO_SULA = (15.5042, -88.0250)


@pytest.fixture
def hnd(db, settings):
    settings.GAZETTEER_COUNTRIES = "HN"
    added, updated = gazetteer_services.import_admin_areas(
        actor=roles.SYSTEM, filename=HND_ADM1.name, data=HND_ADM1.read_bytes(), level="admin1")
    assert (added, updated) == (18, 0)


def test_promise_a_point_is_in_the_department_whose_polygon_holds_it_not_the_nearest_towns(hnd):
    assert areas.area_at(*CHOLUTECA_NEAR_VALLE, polygons=None)[0] == "Valle"  # the nearest town's: wrong
    assert areas.area_at(*CHOLUTECA_NEAR_VALLE)[0] == "Choluteca"
    assert areas.area_at(*TEGUCIGALPA)[0] == "Francisco Morazán"
    assert areas.area_at(*SAN_PEDRO_SULA)[0] == "Cortés"
    assert areas.area_at(0.0, 0.0) == ("", "")  # outside every polygon and far from every town


def test_promise_new_and_old_reports_take_the_polygon_area(hnd, report_factory, admin_user):
    report = report_factory(lat=CHOLUTECA_NEAR_VALLE[0], lon=CHOLUTECA_NEAR_VALLE[1])
    assert report.admin1 == "Choluteca"
    Report.objects.filter(pk=report.pk).update(admin1="", admin2="", public_admin1="")
    call_command("places", "assign-areas")
    report.refresh_from_db()
    assert report.admin1 == "Choluteca" and report.public_admin1 == "Choluteca"


def test_promise_the_nearest_town_fallback_speaks_the_polygons_spelling(hnd):
    index = admin_polygons.current()
    assert index.spelled("admin1", "Atlantida") == "Atlántida"
    assert index.spelled("admin1", "Bay Islands") == "Islas de la Bahía"  # through the gazetteer's aliases
    assert index.spelled("admin1", "Nowhere") == "Nowhere"


def test_promise_a_municipality_polygon_names_both_areas_and_takes_its_department_from_the_polygons(hnd):
    square = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"MUNICIPIO": "Distrito Central", "CODIGO": "0801"},
        "geometry": {"type": "Polygon", "coordinates": [[[-87.35, 13.95], [-87.0, 13.95], [-87.0, 14.25],
                                                         [-87.35, 14.25], [-87.35, 13.95]]]}}]}
    gazetteer_services.import_admin_areas(actor=roles.SYSTEM, filename="municipios.geojson",
                                          data=json.dumps(square).encode(), level="admin2", name_field="MUNICIPIO")
    assert AdminArea.objects.get(level="admin2").admin1 == "Francisco Morazán"
    assert areas.area_at(*TEGUCIGALPA) == ("Francisco Morazán", "Distrito Central")
    assert areas.area_at(*CHOLUTECA_NEAR_VALLE)[0] == "Choluteca"  # no municipality polygon there: no admin2 guess


def test_promise_the_name_field_is_the_uploaders_choice_and_a_wrong_one_is_refused_naming_the_fields(db):
    found = admin_polygons.read_areas(HND_ADM1.name, HND_ADM1.read_bytes(), level="admin1", name_field="shapeISO")
    assert {a["name"] for a in found} >= {"HN-CH", "HN-FM"}
    with pytest.raises(ValidationError) as refused:
        admin_polygons.read_areas(HND_ADM1.name, HND_ADM1.read_bytes(), level="admin1", name_field="NOMBRE")
    assert "NOMBRE" in refused.value.messages[0] and "shapeISO, shapeName" in refused.value.messages[0]


@pytest.mark.parametrize("data, message", [
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "x"}, '
     b'"geometry": {"type": "Point", "coordinates": [-87, 14]}}]}', "no areas"),
    (b"not a boundary file", "Upload a GeoJSON"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "GeoPackage"),
])
def test_promise_a_bad_file_is_refused_clearly_and_stores_nothing(db, data, message):
    with pytest.raises(ValidationError) as refused:
        gazetteer_services.import_admin_areas(actor=roles.SYSTEM, filename="x.dat", data=data, level="admin1")
    assert message in refused.value.messages[0]
    assert not AdminArea.objects.exists()


def test_promise_shapefile_and_geopackage_give_the_same_areas(db, tmp_path):
    ogr2ogr("-f", "GPKG", str(tmp_path / "hnd.gpkg"), str(HND_ADM1))
    (tmp_path / "shp").mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(tmp_path / "shp" / "hnd.shp"), str(HND_ADM1), "-lco", "ENCODING=UTF-8")
    with zipfile.ZipFile(tmp_path / "hnd.zip", "w") as archive:
        for part in (tmp_path / "shp").iterdir():
            archive.write(part, part.name)
    reference = {a["name"]: a["point_count"] for a in admin_polygons.read_areas(
        HND_ADM1.name, HND_ADM1.read_bytes(), level="admin1")}
    for name in ("hnd.gpkg", "hnd.zip"):
        found = admin_polygons.read_areas(name, (tmp_path / name).read_bytes(), level="admin1")
        assert {a["name"]: a["point_count"] for a in found} == reference, name
    gazetteer_services.import_admin_areas(actor=roles.SYSTEM, filename="hnd.gpkg",
                                          data=(tmp_path / "hnd.gpkg").read_bytes(), level="admin1")
    assert areas.area_at(*CHOLUTECA_NEAR_VALLE)[0] == "Choluteca"


def test_promise_the_public_choropleth_counts_only_published_public_reports_and_carries_the_shapes(
        hnd, client, report_factory, admin_user):
    visible = report_factory(lat=TEGUCIGALPA[0], lon=TEGUCIGALPA[1])
    hidden = report_factory(lat=TEGUCIGALPA[0], lon=TEGUCIGALPA[1])
    services.update_report(report=hidden, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    report_factory(lat=CHOLUTECA_NEAR_VALLE[0], lon=CHOLUTECA_NEAR_VALLE[1])  # not published
    for report in (visible, hidden):
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)
    response = client.get("/api/v1/map/areas.geojson?level=admin1")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert len(response.content) < 150_000  # the map's overlay: drawn from this alone
    data = json.loads(response.content)
    counts = {f["properties"]["name"]: f["properties"]["count"] for f in data["features"]}
    assert len(counts) == 18 and counts["Francisco Morazán"] == 1 and counts["Choluteca"] == 0
    assert data["total"] == 1 and data["max"] == 1
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in data["features"])
    again = client.get("/api/v1/map/areas.geojson?level=admin1", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get("/api/v1/map/areas.geojson?scope=staff").status_code == 401
    client.force_login(admin_user)
    staff = json.loads(client.get("/api/v1/map/areas.geojson?scope=staff").content)
    staff_counts = {f["properties"]["name"]: f["properties"]["count"] for f in staff["features"]}
    assert staff_counts["Francisco Morazán"] == 2 and staff_counts["Choluteca"] == 1


def test_promise_the_console_uploads_boundaries_with_level_and_name_field(hnd, client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("deps.geojson", HND_ADM1.read_bytes())
    response = client.post("/console/places/areas/", {"file": upload, "level": "admin1", "name_field": "shapeISO"})
    assert response.status_code == 302
    assert AdminArea.objects.filter(level="admin1", name="HN-CH").exists()
    page = client.get("/console/places/")
    assert "HN-CH" not in page.content.decode() and "deps.geojson" in page.content.decode()
    bad = client.post("/console/places/areas/", {"file": SimpleUploadedFile("d.geojson", HND_ADM1.read_bytes()),
                                                 "level": "admin1", "name_field": "NOPE"})
    assert bad.status_code == 200 and "NOPE" in bad.content.decode()
