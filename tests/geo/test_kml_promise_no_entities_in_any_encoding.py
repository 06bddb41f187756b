"""Promise: a KML upload never expands entities or reads a DTD, whatever encoding the file declares,
and a file nesting geometries absurdly deep is refused with a message — never a 500."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.alerts.models import Zone
from testigo.geo import kml

SQUARE = "-87.3,14.0 -87.1,14.0 -87.1,14.2 -87.3,14.2 -87.3,14.0"
ENTITY_KML = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE kml [<!ENTITY boom "BOOMBOOMBOOMBOOM"><!ENTITY twice "&boom;&boom;">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&twice;</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{square}</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Document></kml>"""


def deep_kml(levels: int) -> bytes:
    point = "<Point><coordinates>-87.2,14.1</coordinates></Point>"
    geometry = "<MultiGeometry>" * levels + point + "</MultiGeometry>" * levels
    return (f'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>x</name>{geometry}</Placemark></kml>'
            .encode())


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-16-LE", "UTF-16-BE", "UTF-32", "UTF-8"])
def test_promise_a_dtd_with_entities_is_refused_in_every_encoding(encoding, english):
    codec = {"UTF-16": "utf-16", "UTF-16-LE": "utf-16-le", "UTF-16-BE": "utf-16-be", "UTF-32": "utf-32"}
    data = ENTITY_KML.format(encoding=encoding, square=SQUARE).encode(codec.get(encoding, "utf-8"))
    assert b"<!DOCTYPE" not in data or encoding == "UTF-8"  # a byte search cannot see it in UTF-16/32
    with pytest.raises(ValidationError) as caught:
        kml.kml_to_geojson(data)
    # Refused for its DTD, or (encodings the XML parser cannot read at all) as unreadable: never expanded.
    assert ("DTD" if encoding in {"UTF-16", "UTF-8"} else "not valid KML") in " ".join(caught.value.messages)


def test_a_utf16_kml_without_a_dtd_is_still_read():
    data = ENTITY_KML.format(encoding="UTF-16", square=SQUARE).replace(
        '<!DOCTYPE kml [<!ENTITY boom "BOOMBOOMBOOMBOOM"><!ENTITY twice "&boom;&boom;">]>\n', "").replace(
        "&twice;", "Colonia Kennedy").encode("utf-16")
    feature = kml.kml_to_geojson(data)["features"][0]
    assert feature["properties"]["name"] == "Colonia Kennedy" and feature["geometry"]["type"] == "Polygon"


def test_promise_a_5000_deep_multigeometry_is_refused_with_a_message():
    with pytest.raises(ValidationError) as caught:
        kml.kml_to_geojson(deep_kml(5000))
    assert str(kml.MAX_GEOMETRY_DEPTH) in " ".join(caught.value.messages)
    shallow = kml.kml_to_geojson(deep_kml(kml.MAX_GEOMETRY_DEPTH - 1))
    assert shallow["features"][0]["geometry"]["type"] == "GeometryCollection"


@pytest.mark.django_db
@pytest.mark.parametrize("data", [ENTITY_KML.format(encoding="UTF-16", square=SQUARE).encode("utf-16"),
                                  deep_kml(5000)], ids=["utf16-dtd", "deep-multigeometry"])
def test_promise_the_zone_upload_answers_400_and_creates_nothing(client, admin_user, data):
    client.force_login(admin_user)
    response = client.post("/console/alerts/zones/", {"file": SimpleUploadedFile("zones.kml", data)})
    assert response.status_code == 400
    assert not Zone.objects.exists()


def test_promise_a_deeply_nested_geojson_upload_is_refused_with_a_message():
    from testigo.geo.services import read_geo_file

    data = ('{"type": "FeatureCollection", "features": ' + "[" * 5000 + "]" * 5000 + "}").encode()
    with pytest.raises(ValidationError):
        read_geo_file(filename="deep.geojson", data=data, max_bytes=2**20)
