"""Custom layers: KML is converted safely, limits hold, only managers upload, private layers stay private."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.geo import services
from testigo.geo.kml import kml_to_geojson

KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>Posta Central</name><Point><coordinates>-87.2,14.1,0</coordinates></Point></Placemark>
<Placemark><name>Distrito 1</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
-87.3,14.0 -87.1,14.0 -87.1,14.2 -87.3,14.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"""


def test_kml_points_and_polygons_become_geojson():
    data = kml_to_geojson(KML)
    kinds = [(f["properties"]["name"], f["geometry"]["type"]) for f in data["features"]]
    assert kinds == [("Posta Central", "Point"), ("Distrito 1", "Polygon")]
    assert data["features"][0]["geometry"]["coordinates"] == [-87.2, 14.1]


def test_kml_with_entities_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml><Document>&a;</Document></kml>'
    with pytest.raises(ValidationError):
        kml_to_geojson(bomb)


def test_oversized_and_wrong_files_are_refused():
    with pytest.raises(ValidationError):
        services.parse_layer_file(filename="big.geojson", data=b" " * (services.MAX_LAYER_BYTES + 1))
    with pytest.raises(ValidationError):
        services.parse_layer_file(filename="x.shp", data=b"abc")
    with pytest.raises(ValidationError):
        services.parse_layer_file(filename="x.geojson", data=b'{"type": "FeatureCollection", "features": []}')


@pytest.mark.django_db
def test_only_category_managers_upload_layers(make_user):
    with pytest.raises(PermissionDenied):
        services.create_layer(actor=make_user("moderator"), name_es="x", name_en="x", filename="a.kml", data=KML)
    layer = services.create_layer(actor=make_user("coordinator"), name_es="Postas", name_en="Stations",
                                  filename="a.kml", data=KML)
    assert layer.feature_count == 2


@pytest.mark.django_db
def test_console_upload_and_public_api_respects_is_public(client, make_user):
    admin = make_user("admin")
    client.force_login(admin)
    upload = SimpleUploadedFile("d.geojson", json.dumps({"type": "Point", "coordinates": [1, 2]}).encode())
    response = client.post("/console/layers/", {"name_es": "Albergues", "name_en": "Shelters", "file": upload,
                                                "colour": "#112233", "is_public": ""})
    assert response.status_code == 302
    client.logout()
    assert client.get("/api/v1/layers").json()["items"] == []  # private layer: staff only
    client.force_login(admin)
    items = client.get("/api/v1/layers").json()["items"]
    assert [i["colour"] for i in items] == ["#112233"]
    shapes = client.get(items[0]["url"]).json()
    assert shapes["features"][0]["geometry"]["coordinates"] == [1, 2]
