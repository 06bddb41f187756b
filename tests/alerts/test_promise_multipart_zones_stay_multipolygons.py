"""Promise: a zone made of several pieces (a department with islands, a KML MultiGeometry) is kept
as one MultiPolygon, never a crash (issue #18: "'float' object is not iterable") or a lost piece."""

from __future__ import annotations

import pytest
from shapely.geometry import Point, shape

from testigo.alerts import geometry, zones

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

MAINLAND = [[-87.3, 14.0], [-87.1, 14.0], [-87.1, 14.2], [-87.3, 14.2], [-87.3, 14.0]]
ISLAND = [[-86.6, 16.3], [-86.5, 16.3], [-86.5, 16.4], [-86.6, 16.4], [-86.6, 16.3]]
KML = f"""<?xml version="1.0" encoding="utf-8" ?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>deptos</name>
<Placemark><name>Islas y tierra firme</name><MultiGeometry>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{" ".join(f"{x},{y}" for x, y in MAINLAND)}</coordinates></LinearRing></outerBoundaryIs></Polygon>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{" ".join(f"{x},{y}" for x, y in ISLAND)}</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark></Folder></Document></kml>""".encode()


def test_promise_a_collection_of_polygons_becomes_one_multipolygon():
    collection = {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": [MAINLAND]},
                                                               {"type": "Polygon", "coordinates": [ISLAND]}]}
    geom, repaired = geometry.clean_area(collection)
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2 and not repaired


@pytest.mark.django_db
def test_promise_an_ogr2ogr_style_multigeometry_kml_is_one_zone_with_both_pieces(admin_user):
    created, warnings = zones.import_zones(actor=admin_user, filename="deptos.kml", data=KML)
    assert [z.name_es for z in created] == ["Islas y tierra firme"] and warnings == []
    zone = created[0]
    assert zone.geometry["type"] == "MultiPolygon"
    assert shape(zone.geometry).contains(Point(-87.2, 14.1)) and shape(zone.geometry).contains(Point(-86.55, 16.35))
