"""Writes to map layers: upload (GeoJSON, KML/KMZ, TopoJSON, Shapefile, GPX), edit, delete. Validated, transactional, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.geo import files
from testigo.geo.models import Layer

MAX_LAYER_BYTES = 5 * 1024 * 1024  # a district map fits easily; the map must stay fast on a phone


def read_geo_file(*, filename: str, data: bytes, max_bytes: int, crs: str | None = None,
                  purpose: str = "zones") -> dict:
    """Decode an uploaded boundary file into a WGS84 FeatureCollection (see testigo.geo.files).
    Shared by map layers and alert zones, which each check the features they need."""
    return files.read_geo_file(filename, data, crs=crs, purpose=purpose, max_bytes=max_bytes)


def parse_layer_file(*, filename: str, data: bytes, crs: str | None = None) -> dict:
    """A GeoJSON FeatureCollection (WGS84) from an uploaded GeoJSON, KML/KMZ, TopoJSON, zipped
    Shapefile or GPX file; features without a geometry are left out."""
    collection = read_geo_file(filename=filename, data=data, max_bytes=MAX_LAYER_BYTES, crs=crs, purpose="layers")
    clean = [f for f in collection["features"] if f["geometry"] is not None]
    if not clean:
        raise ValidationError(_("The file contains no shapes."))
    return {"type": "FeatureCollection", "features": clean}


@transaction.atomic
def create_layer(*, actor, name_es: str, name_en: str, filename: str, data: bytes, colour: str = "#2c7fb8",
                 visible_by_default: bool = False, is_public: bool = True, crs: str | None = None) -> Layer:
    """Store an uploaded layer as WGS84 GeoJSON (other formats and coordinate systems converted
    server-side) and audit it. `crs`: the EPSG code chosen at upload, for files that do not say theirs."""
    roles.require(actor, roles.MANAGE_LAYERS)
    collection = parse_layer_file(filename=filename, data=data, crs=crs)
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
