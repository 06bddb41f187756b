"""Promise: a real national boundary file becomes the same zones and the same map layer whether it
arrives as GeoJSON, KML written by ogr2ogr (MultiGeometry), KMZ written by LIBKML, GeoJSON in UTM
(EPSG:32616), a zipped Shapefile or TopoJSON: same features, multi-part countries kept as
MultiPolygon, areas within 0.5 %, Tegucigalpa inside Honduras.

The other formats are produced from the real file AT TEST TIME by GDAL's ogr2ogr (skipped with a
message when GDAL is missing, failed when TESTIGO_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from shapely.geometry import Point, shape

from testigo.alerts import zones
from testigo.alerts.models import Zone
from testigo.geo import services
from testigo.geo.models import Layer
from tests.channels.conftest import require_service

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

FILES = Path(__file__).parent / "files"
WORLD = FILES / "world_countries.geojson"
# Antarctica is left out: its source ring crosses itself and LIBKML refuses to write it.
WHERE = "id <> 'ATA'"
TEGUCIGALPA = Point(-87.1921, 14.0723)
SAN_SALVADOR = Point(-89.2182, 13.6929)


def ogr2ogr(*args: str) -> None:
    require_service(shutil.which("ogr2ogr") is not None, "GDAL's ogr2ogr is not installed (apt-get install gdal-bin)")
    subprocess.run(["ogr2ogr", *args], check=True, capture_output=True, timeout=120)


def source_shapes(where: str = WHERE) -> dict[str, object]:
    data = json.loads(WORLD.read_text())
    ids = None
    if "IN (" in where:
        ids = {p.strip(" '") for p in where.split("IN (")[1].rstrip(")").split(",")}
    return {f["properties"]["name"]: shape(f["geometry"]) for f in data["features"]
            if f["id"] != "ATA" and (ids is None or f["id"] in ids)}


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("ogr")
    ogr2ogr("-f", "KML", str(out / "world.kml"), str(WORLD), "-where", WHERE)
    drivers = subprocess.run(["ogr2ogr", "--formats"], capture_output=True, text=True).stdout
    files = {"kml": out / "world.kml"}
    if "LIBKML" in drivers:
        ogr2ogr("-f", "LIBKML", str(out / "world.kmz"), str(WORLD), "-where", WHERE)
        files["kmz"] = out / "world.kmz"
    ogr2ogr("-f", "GeoJSON", str(out / "world.geojson"), str(WORLD), "-where", WHERE)
    files["geojson"] = out / "world.geojson"
    (out / "shp").mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(out / "shp" / "world.shp"), str(WORLD), "-where", WHERE, "-lco", "ENCODING=UTF-8")
    with zipfile.ZipFile(out / "world_shp.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in (out / "shp").iterdir():
            archive.write(part, part.name)
    files["shapefile"] = out / "world_shp.zip"
    central = "id IN ('HND', 'GTM', 'SLV', 'NIC', 'BLZ')"
    ogr2ogr("-f", "GeoJSON", "-t_srs", "EPSG:32616", str(out / "central_utm.geojson"), str(WORLD), "-where", central)
    files["utm"] = out / "central_utm.geojson"
    return files


def assert_same_shapes(geometries: dict[str, dict], where: str = WHERE) -> None:
    source = source_shapes(where)
    assert sorted(geometries) == sorted(source)
    for name, geom in geometries.items():
        assert geom["type"] == source[name].geom_type, name  # MultiPolygon stays MultiPolygon
        assert abs(shape(geom).area / source[name].area - 1) < 0.005, name
    honduras = shape(geometries["Honduras"])
    assert honduras.contains(TEGUCIGALPA) and not shape(geometries["El Salvador"]).contains(TEGUCIGALPA)
    assert shape(geometries["El Salvador"]).contains(SAN_SALVADOR)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["kml", "kmz", "shapefile"])
def test_promise_each_format_imports_as_the_same_zones(converted, admin_user, fmt):
    if fmt not in converted:
        require_service(False, "GDAL was built without the LIBKML driver (KMZ)")
    path = converted[fmt]
    created, _warnings = zones.import_zones(actor=admin_user, filename=path.name, data=path.read_bytes())
    assert_same_shapes({z.name_es: z.geometry for z in created})
    assert sum(1 for z in created if z.geometry["type"] == "MultiPolygon") >= 25  # Canada, Indonesia, Japan...


@pytest.mark.django_db
def test_promise_a_utm_geojson_with_its_crs_member_becomes_zones_in_the_right_place(converted, admin_user):
    path = converted["utm"]
    assert "32616" in path.read_text()[:400]  # ogr2ogr names its CRS in the legacy "crs" member
    created, _warnings = zones.import_zones(actor=admin_user, filename=path.name, data=path.read_bytes())
    assert_same_shapes({z.name_es: z.geometry for z in created}, "id IN ('HND', 'GTM', 'SLV', 'NIC', 'BLZ')")


@pytest.mark.django_db
def test_promise_utm_without_a_crs_is_refused_for_zones_and_layers_then_read_with_the_chosen_epsg(
        converted, admin_user, client):
    data = json.loads(converted["utm"].read_text())
    del data["crs"]
    raw = json.dumps(data).encode()
    client.force_login(admin_user)
    response = client.post("/console/alerts/zones/", {"file": SimpleUploadedFile("utm.geojson", raw)})
    assert response.status_code == 400 and "EPSG" in response.content.decode() and not Zone.objects.exists()
    response = client.post("/console/layers/", {"name_es": "Fronteras", "file": SimpleUploadedFile("utm.geojson", raw),
                                                "colour": "#112233"})
    assert response.status_code == 200 and "32616" in response.content.decode() and not Layer.objects.exists()
    response = client.post("/console/alerts/zones/", {"file": SimpleUploadedFile("utm.geojson", raw), "crs": "32616"})
    assert response.status_code == 302
    assert_same_shapes({z.name_es: z.geometry for z in Zone.objects.all()}, "id IN ('HND', 'GTM', 'SLV', 'NIC', 'BLZ')")
    response = client.post("/console/layers/", {"name_es": "Fronteras", "file": SimpleUploadedFile("utm.geojson", raw),
                                                "colour": "#112233", "crs": "EPSG:32616"})
    assert response.status_code == 302
    layer = Layer.objects.get()
    assert_same_shapes({f["properties"]["name"]: f["geometry"] for f in layer.geojson["features"]},
                       "id IN ('HND', 'GTM', 'SLV', 'NIC', 'BLZ')")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["kml", "kmz", "shapefile"])
def test_promise_each_format_becomes_a_layer_with_multipolygons_not_collections(converted, admin_user, fmt):
    if fmt not in converted:
        require_service(False, "GDAL was built without the LIBKML driver (KMZ)")
    path = converted[fmt]
    layer = services.create_layer(actor=admin_user, name_es="Países", name_en="Countries", filename=path.name,
                                  data=path.read_bytes())
    geometries = {f["properties"]["name"]: f["geometry"] for f in layer.geojson["features"]}
    assert "GeometryCollection" not in {g["type"] for g in geometries.values()}
    assert_same_shapes(geometries)
    assert layer.feature_count == len(source_shapes())


@pytest.mark.django_db
def test_promise_the_console_and_the_cli_import_the_ogr2ogr_kml(converted, admin_user, client, capsys):
    client.force_login(admin_user)
    kml = converted["kml"]
    assert b"<MultiGeometry>" in kml.read_bytes()  # how ogr2ogr writes every multi-part boundary
    response = client.post("/console/alerts/zones/", {"file": SimpleUploadedFile("world.kml", kml.read_bytes())})
    assert response.status_code == 302
    assert Zone.objects.get(name_es="Canada").geometry["type"] == "MultiPolygon"
    Zone.objects.all().delete()
    call_command("zone", "import", str(converted["shapefile"]))
    assert f"{len(source_shapes())} zones created" in capsys.readouterr().out


@pytest.mark.django_db
def test_promise_a_shapefile_in_utm_is_placed_by_its_prj(tmp_path, admin_user):
    central = "id IN ('HND', 'GTM', 'SLV', 'NIC', 'BLZ')"
    (tmp_path / "shp").mkdir()
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:32616", str(tmp_path / "shp" / "ca.shp"), str(WORLD),
            "-where", central)
    assert "UTM" in (tmp_path / "shp" / "ca.prj").read_text()
    buffer = tmp_path / "ca.zip"
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in (tmp_path / "shp").iterdir():
            archive.write(part, f"limites/{part.name}")  # GIS offices zip the folder, not the files
    created, _warnings = zones.import_zones(actor=admin_user, filename="ca.zip", data=buffer.read_bytes())
    assert_same_shapes({z.name_es: z.geometry for z in created}, central)


def test_promise_a_latin1_dbf_without_a_cpg_keeps_its_accents(tmp_path):
    (tmp_path / "shp").mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(tmp_path / "shp" / "d.shp"), str(WORLD), "-dialect", "SQLite",
            "-sql", "SELECT geometry, name, 'Intibucá' AS depto FROM world_countries WHERE id = 'HND'",
            "-lco", "ENCODING=ISO-8859-1")
    (tmp_path / "shp" / "d.cpg").unlink(missing_ok=True)
    assert "Intibucá".encode("latin-1") in (tmp_path / "shp" / "d.dbf").read_bytes()
    buffer = tmp_path / "d.zip"
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in (tmp_path / "shp").iterdir():
            archive.write(part, part.name)
    feature = services.parse_layer_file(filename="d.zip", data=buffer.read_bytes())["features"][0]
    assert feature["properties"] == {"name": "Honduras", "depto": "Intibucá"}


@pytest.mark.django_db
def test_promise_the_cli_reads_a_file_in_metres_with_the_crs_option(converted, tmp_path, capsys):
    data = json.loads(converted["utm"].read_text())
    del data["crs"]
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as caught:
        call_command("zone", "import", str(path))
    assert "EPSG" in str(caught.value) and not Zone.objects.exists()
    call_command("zone", "import", str(path), "--crs", "32616")
    assert "5 zones created" in capsys.readouterr().out
    assert shape(Zone.objects.get(name_es="Honduras").geometry).contains(TEGUCIGALPA)
