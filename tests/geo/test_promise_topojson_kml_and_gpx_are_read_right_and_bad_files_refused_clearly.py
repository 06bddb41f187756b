"""Promise: TopoJSON (quantized, delta-encoded), Google Earth KML (holes, ExtendedData) and GPX
tracks are read as they are drawn elsewhere; archives that would explode, GPX offered as zones and
unknown coordinate systems are refused with a sentence saying what to do, never a 500."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import Point, shape

from testigo.alerts import zones
from testigo.alerts.models import Zone
from testigo.geo import files, services

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

FILES = Path(__file__).parent / "files"


def read(name: str, **kwargs) -> dict:
    return files.read_geo_file(name, (FILES / name).read_bytes(), **kwargs)


def test_promise_a_quantized_topojson_matches_the_geojson_it_was_made_from():
    features = read("north_america.topojson")["features"]
    by_name = {f["properties"]["geounit"]: f["geometry"] for f in features if f["geometry"]}
    assert len(features) == 48  # every geometry of the object, the 27 without a shape included
    assert by_name["Canada"]["type"] == "MultiPolygon" and by_name["Honduras"]["type"] == "Polygon"
    world = {f["properties"]["name"]: shape(f["geometry"]) for f in
             json.loads((FILES / "world_countries.geojson").read_text())["features"]}
    honduras = shape(by_name["Honduras"])
    assert honduras.contains(Point(-87.1921, 14.0723))
    # Two independent Natural Earth derivations (110 m scale), so close, not equal
    assert abs(honduras.area / world["Honduras"].area - 1) < 0.05


@pytest.mark.django_db
def test_promise_topojson_uploads_as_a_layer_and_as_zones_all_or_nothing(admin_user):
    data = (FILES / "north_america.topojson").read_bytes()
    layer = services.create_layer(actor=admin_user, name_es="Países", name_en="", filename="na.json", data=data)
    assert layer.feature_count == 21 and "GeometryCollection" not in json.dumps(layer.geojson)
    # The real file has the United States twice (two subunits): the whole upload is refused, by name
    with pytest.raises(ValidationError) as caught:
        zones.import_zones(actor=admin_user, filename="na.json", data=data, name_field="geounit")
    assert "United States" in " ".join(caught.value.messages) and not Zone.objects.exists()
    mainland = {"type": "Topology", **{k: v for k, v in json.loads(data).items() if k != "type"}}
    mainland["objects"]["continent_North_America_subunits"]["geometries"].pop(44)
    created, _w = zones.import_zones(actor=admin_user, filename="na.topojson", data=json.dumps(mainland).encode(),
                                     name_field="geounit")
    assert {"Honduras", "Canada", "United States"} <= {z.name_es for z in created}
    assert Zone.objects.get(name_es="Canada").geometry["type"] == "MultiPolygon"


def test_promise_a_google_earth_polygon_keeps_its_hole():
    feature = read("togeojson_polygon.kml")["features"][0]
    assert feature["properties"]["name"] == "hollow box"
    polygon = shape(feature["geometry"])
    assert len(feature["geometry"]["coordinates"]) == 2 and len(polygon.interiors) == 1
    assert not polygon.contains(Point(-122.3659, 37.8193))  # the hole's middle


def test_promise_kml_extended_data_becomes_properties():
    feature = read("togeojson_simpledata.kml", purpose="layers")["features"][0]
    assert feature["properties"]["TrailHeadName"] == "Pi in the sky"
    assert feature["properties"]["TrailLength"] == "3.14159"


def test_promise_a_kml_multigeometry_of_lines_is_one_multilinestring_on_a_layer():
    layer = services.parse_layer_file(filename="m.kml", data=(FILES / "togeojson_multigeometry.kml").read_bytes())
    assert [f["geometry"]["type"] for f in layer["features"]] == ["MultiLineString"]


def test_promise_gpx_tracks_routes_and_waypoints_become_a_layer():
    tracks = services.parse_layer_file(filename="t.gpx", data=(FILES / "togeojson_north_core.gpx").read_bytes())
    assert {f["geometry"]["type"] for f in tracks["features"]} == {"LineString", "MultiLineString"}
    trek = services.parse_layer_file(filename="t.gpx", data=(FILES / "togeojson_trek.gpx").read_bytes())
    assert "LineString" in {f["geometry"]["type"] for f in trek["features"]}
    points = services.parse_layer_file(filename="w.xml", data=(FILES / "togeojson_wpt.gpx").read_bytes())
    assert {f["geometry"]["type"] for f in points["features"]} == {"Point"}


@pytest.mark.django_db
def test_promise_gpx_offered_as_zones_is_refused_with_what_to_do(admin_user):
    with pytest.raises(ValidationError) as caught:
        zones.import_zones(actor=admin_user, filename="t.gpx", data=(FILES / "togeojson_trek.gpx").read_bytes())
    assert "map layer" in " ".join(caught.value.messages)


def test_promise_a_zip_bomb_is_refused_before_it_is_expanded():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", b" " * (files.MAX_UNZIPPED_BYTES + 1))
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(ValidationError) as caught:
        files.read_geo_file("bomb.kmz", buffer.getvalue())
    assert "MB" in " ".join(caught.value.messages)


def test_promise_a_topojson_that_reuses_an_arc_millions_of_times_is_refused():
    topology = {"type": "Topology", "arcs": [[[0, 0], [1, 0], [1, 1], [0, 0]] * 1000],
                "objects": {"x": {"type": "GeometryCollection",
                                  "geometries": [{"type": "Polygon", "arcs": [[0] * 1000]}] * 1000}}}
    with pytest.raises(ValidationError) as caught:
        files.read_geo_file("x.json", json.dumps(topology).encode())
    assert "simplify" in " ".join(caught.value.messages)


def test_promise_a_shapefile_zip_without_its_dbf_is_refused_saying_which_parts_are_needed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.shp", b"\x00" * 100)
    with pytest.raises(ValidationError) as caught:
        files.read_geo_file("a.zip", buffer.getvalue())
    assert ".dbf" in " ".join(caught.value.messages)


@pytest.mark.parametrize("crs", ["abc", "EPSG:999999"])
def test_promise_an_unknown_coordinate_system_is_refused_with_an_example(crs):
    data = (FILES / "togeojson_polygon.kml").read_bytes()
    with pytest.raises(ValidationError) as caught:
        files.read_geo_file("p.kml", data, crs=files.clean_crs(crs))
    assert "32616" in " ".join(caught.value.messages)


def test_promise_the_refusal_names_the_feature_in_metres():
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Olancho"},
         "geometry": {"type": "Point", "coordinates": [-86.0, 14.8]}},
        {"type": "Feature", "properties": {"name": "Yoro"},
         "geometry": {"type": "Point", "coordinates": [500000.0, 1670000.0]}}]}).encode()
    with pytest.raises(ValidationError) as caught:
        services.parse_layer_file(filename="x.geojson", data=data)
    message = " ".join(caught.value.messages)
    assert "Yoro" in message and "2" in message and "EPSG" in message


def test_promise_a_bad_placemark_is_named_in_the_refusal():
    kml = (FILES / "togeojson_polygon.kml").read_bytes().replace(b"-122.365248,37.819267,30", b"-122.365248;37,819267")
    with pytest.raises(ValidationError) as caught:
        files.read_geo_file("p.kml", kml)
    assert "hollow box" in " ".join(caught.value.messages)


@pytest.mark.django_db
def test_promise_a_damaged_shapefile_gets_a_sentence_on_the_layers_page_not_a_500(client, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in ("shp", "shx", "dbf"):
            archive.writestr(f"deptos.{ext}", b"\x00\x00\x27\x0a" + b"x" * 20)
    client.force_login(admin_user)
    response = client.post("/console/layers/", {"name_es": "Deptos", "colour": "#112233",
                                                "file": SimpleUploadedFile("deptos.zip", buffer.getvalue())})
    assert response.status_code == 200 and "GIS" in response.content.decode()
