"""Zone import and drawing: GeoJSON and KML, repairs, refusals, and the cache that follows changes."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from testigo.alerts import geometry, zones
from testigo.alerts.models import Zone

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SQUARE = [[-87.2, 14.0], [-87.1, 14.0], [-87.1, 14.1], [-87.2, 14.1], [-87.2, 14.0]]
BOWTIE = [[-87.2, 14.0], [-87.1, 14.1], [-87.1, 14.0], [-87.2, 14.1], [-87.2, 14.0]]


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(coords, **props):
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [coords]}}


def test_geojson_import_names_zones_from_the_chosen_property(admin_user):
    data = collection(feature(SQUARE, municipio="Distrito Central"), feature(BOWTIE, municipio="Lazo"))
    created, warnings = zones.import_zones(actor=admin_user, filename="m.geojson", data=data, name_field="municipio")
    assert sorted(z.name_es for z in created) == ["Distrito Central", "Lazo"]
    assert any("repaired" in w for w in warnings)  # the bow-tie crossed itself
    assert geometry.zone_index().containing(14.05, -87.15)


def test_kml_import_reuses_the_geo_kml_reader_and_skips_unsupported_placemarks(admin_user):
    kml = b"""<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
    <Placemark><name>Colonia Kennedy</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
    -87.2,14.0 -87.1,14.0 -87.1,14.1 -87.2,14.1 -87.2,14.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
    <Placemark><name>Ruta</name><LineString><coordinates>-87.2,14.0 -87.1,14.1</coordinates></LineString></Placemark>
    <Placemark><name>Modelo</name><Model><Link><href>x.dae</href></Link></Model></Placemark>
    </Document></kml>"""
    created, warnings = zones.import_zones(actor=admin_user, filename="c.kml", data=kml)
    assert [z.name_es for z in created] == ["Colonia Kennedy"]
    assert any("Ruta" in w for w in warnings) and any("1 placemarks skipped" in w for w in warnings)


def test_kml_with_entities_is_refused(admin_user):
    evil = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>'
    with pytest.raises(ValidationError):
        zones.import_zones(actor=admin_user, filename="e.kml", data=evil)


def test_enormous_upload_is_refused_before_parsing(admin_user, settings):
    settings.ALERT_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError, match="too large"):
        zones.import_zones(actor=admin_user, filename="big.geojson", data=b" " * (2 * 1024 * 1024))


def test_colliding_names_refuse_the_whole_file_accents_and_case_ignored(admin_user):
    zones.import_zones(actor=admin_user, filename="a.geojson", data=collection(feature(SQUARE, name="Santa Lucía")))
    with pytest.raises(ValidationError, match="already exist"):
        zones.import_zones(actor=admin_user, filename="b.geojson",
                           data=collection(feature(SQUARE, name="Otra"), feature(SQUARE, name="SANTA LUCIA")))
    with pytest.raises(ValidationError, match="more than once"):
        zones.import_zones(actor=admin_user, filename="c.geojson",
                           data=collection(feature(SQUARE, name="X"), feature(SQUARE, name="x")))
    assert list(Zone.objects.values_list("name_es", flat=True)) == ["Santa Lucía"]


def test_a_file_without_areas_is_refused_with_a_reason(admin_user):
    line = {"type": "Feature", "properties": {"name": "L"},
            "geometry": {"type": "LineString", "coordinates": SQUARE}}
    with pytest.raises(ValidationError, match="no zone we can use"):
        zones.import_zones(actor=admin_user, filename="l.geojson", data=collection(line))


def test_moderators_cannot_edit_zones(moderator):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        zones.create_zone(actor=moderator, name_es="Z", lat=14.0, lon=-87.0, radius_m=500)


def test_point_and_radius_zone_contains_what_is_inside_the_radius_only(admin_user):
    zones.create_zone(actor=admin_user, name_es="Mercado", lat=14.1, lon=-87.2, radius_m=1000)
    index = geometry.zone_index()
    assert index.containing(14.1 + 0.008, -87.2) and not index.containing(14.1 + 0.0095, -87.2)


def test_zone_index_cache_follows_changes_made_by_other_processes(admin_user):
    zone = zones.create_zone(actor=admin_user, name_es="A", geojson={"type": "Polygon", "coordinates": [SQUARE]})
    assert geometry.zone_index().containing(14.05, -87.15) == [zone.pk]
    # Another process deletes the zone: our cached index is stale, the version counter says so.
    zones.delete_zone(actor=admin_user, zone=zone)
    assert geometry.zone_index().containing(14.05, -87.15) == []


def test_cli_zone_import_prints_the_zones_it_created(tmp_path, capsys):
    path = tmp_path / "zonas.geojson"
    path.write_bytes(collection(feature(SQUARE, NOMBRE="Comayagüela")))
    call_command("zone", "import", str(path), "--name-field", "NOMBRE")
    assert "Comayagüela" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already exist"):
        call_command("zone", "import", str(path), "--name-field", "NOMBRE")


@pytest.mark.parametrize("drawn", ["[" * 100_000 + "]" * 100_000, '"just text"', "[1, 2]", "{not json"])
def test_a_drawn_shape_that_is_not_geojson_gets_a_reason_not_a_crash(admin_user, drawn):
    with pytest.raises(ValidationError, match="could not be read"):
        zones.create_zone(actor=admin_user, name_es="Dibujada", geojson=drawn)
    assert not Zone.objects.exists()
