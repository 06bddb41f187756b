"""Reads of map layers: the public sees public layers; staff see every layer."""

from __future__ import annotations

from django.db.models import QuerySet

from testigo.core import roles
from testigo.geo.models import Layer


def layers_for(user) -> QuerySet:
    qs = Layer.objects.defer("geojson")
    return qs if roles.can(user, roles.VIEW) else qs.filter(is_public=True)


def layer_summary(layer: Layer) -> dict:
    return {"id": layer.id, "name": layer.name, "colour": layer.colour, "visible_by_default": layer.visible_by_default,
            "is_public": layer.is_public, "features": layer.feature_count, "url": f"/api/v1/layers/{layer.id}.geojson"}
