"""Writes to map layers: upload (GeoJSON or KML), edit, delete. Validated, transactional, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles, untrusted
from testigo.geo.kml import kml_to_geojson
from testigo.geo.models import Layer

MAX_LAYER_BYTES = 5 * 1024 * 1024  # a district map fits easily; the map must stay fast on a phone
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}


def read_geo_file(*, filename: str, data: bytes, max_bytes: int) -> dict:
    """Decode an uploaded .geojson/.json or .kml file into a GeoJSON object (not yet checked).
    Shared by map layers and alert zones, which each check the features they need."""
    if len(data) > max_bytes:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": max_bytes // 2**20})
    name = filename.lower()
    if name.endswith(".kml"):
        return kml_to_geojson(data)
    if name.endswith((".geojson", ".json")):
        try:
            return untrusted.loads(data.decode("utf-8-sig"))  # nesting-limited: a deep file is not a 500
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(_("The file is not valid GeoJSON.")) from exc
    raise ValidationError(_("Upload a GeoJSON (.geojson) or KML (.kml) file."))


def parse_layer_file(*, filename: str, data: bytes) -> dict:
    """Return a GeoJSON FeatureCollection from an uploaded .geojson/.json or .kml file."""
    collection = read_geo_file(filename=filename, data=data, max_bytes=MAX_LAYER_BYTES)
    return _normalise(collection)


def _normalise(obj) -> dict:
    if not isinstance(obj, dict):
        raise ValidationError(_("The file is not valid GeoJSON."))
    if obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj]}
    elif obj.get("type") in GEOMETRY_TYPES:
        obj = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": obj, "properties": {}}]}
    features = obj.get("features")
    if obj.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise ValidationError(_("The file is not valid GeoJSON."))
    clean = []
    for feature in features:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        clean.append({"type": "Feature", "geometry": geometry, "properties": props})
    if not clean:
        raise ValidationError(_("The file contains no shapes."))
    return {"type": "FeatureCollection", "features": clean}


@transaction.atomic
def create_layer(*, actor, name_es: str, name_en: str, filename: str, data: bytes, colour: str = "#2c7fb8",
                 visible_by_default: bool = False, is_public: bool = True) -> Layer:
    """Store an uploaded layer as GeoJSON (KML converted server-side) and audit it."""
    roles.require(actor, roles.MANAGE_LAYERS)
    collection = parse_layer_file(filename=filename, data=data)
    layer = Layer(name_es=name_es.strip(), name_en=(name_en or name_es).strip(), geojson=collection,
                  feature_count=len(collection["features"]), colour=colour,
                  visible_by_default=visible_by_default, is_public=is_public)
    layer.full_clean()
    layer.save()
    audit.record(action="layer.created", actor=actor, obj=layer,
                 data={"name": layer.name_es, "features": layer.feature_count})
    return layer


@transaction.atomic
def update_layer(*, layer: Layer, actor, **changes) -> Layer:
    """Change a layer's name, colour or visibility flags."""
    roles.require(actor, roles.MANAGE_LAYERS)
    allowed = {"name_es", "name_en", "colour", "visible_by_default", "is_public", "position"}
    if set(changes) - allowed:
        raise ValueError(f"not editable: {sorted(set(changes) - allowed)}")
    for field, value in changes.items():
        setattr(layer, field, value)
    layer.full_clean()
    layer.save()
    audit.record(action="layer.edited", actor=actor, obj=layer, data={"fields": sorted(changes)})
    return layer


@transaction.atomic
def delete_layer(*, layer: Layer, actor) -> None:
    """Remove a layer from the map."""
    roles.require(actor, roles.MANAGE_LAYERS)
    audit.record(action="layer.deleted", actor=actor, obj=layer, data={"name": layer.name_es})
    layer.delete()
