"""/api/v1/map/clusters, /api/v1/map/areas(.geojson), /api/v1/categories, /api/v1/layers."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema

from testigo.api import queries
from testigo.api.errors import ApiError
from testigo.api.reports_api import ReportQuery
from testigo.api.responses import (
    GEOJSON,
    AreaCounts,
    CategoryList,
    Clusters,
    LayerList,
    PlaceList,
    body,
    with_errors,
)
from testigo.geo import admin_polygons, areas, gazetteer
from testigo.geo import selectors as geo_selectors
from testigo.reports import filters, selectors
from testigo.reports.models import Category

# Endpoint summaries stay English in the OpenAPI schema (gettext_noop); the docs page translates them.
router = Router(tags=["map"])


class ClusterQuery(ReportQuery):
    zoom: str | None = None


@router.get("/map/clusters", response=with_errors({200: Clusters}, 400), exclude_unset=True,
            summary=gettext_noop("Clusters and single reports for a map viewport"))
def map_clusters(request, query: Query[ClusterQuery]):
    """The answer is written straight to JSON: it is built by queries.clusters() in the declared
    shape (`Clusters`, which the OpenAPI schema still describes), and validating a few hundred
    cells and points through the schema again took a sixth of the request (issue #19)."""
    data = query.dict()
    vp = filters.viewport(data.get("bbox"), data.get("zoom"))
    data["bbox"] = None  # the viewport carries it
    body = json.dumps(queries.clusters(request.auth, filters.parse_filters(data), vp), separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")


class AreaQuery(ReportQuery):
    level: str | None = None


@router.get("/map/areas", response=with_errors({200: AreaCounts}, 400), exclude_unset=True,
            summary=gettext_noop("Published reports counted per department or municipality"))
def map_areas(request, query: Query[AreaQuery]):
    """The map's choropleth view: published public reports per area of their public point (never
    a confidential or unpublished report, never the exact point's area), with the list's filters."""
    data = query.dict()
    level = data.get("level") or "admin1"
    if level not in areas.LEVELS:
        raise ApiError(400, "invalid_level", _("level must be admin1 or admin2."))
    rows = selectors.public_area_counts(filters.parse_filters(data), level=level)
    centres = areas.centres(level)
    items = []
    for admin1, admin2, count in rows:
        name = admin1 if level == "admin1" else admin2
        lat, lon = centres.get((admin1, name) if level == "admin2" else admin1, (None, None))
        items.append({"name": name, "admin1": admin1, "count": count, "lat": lat, "lon": lon})
    return {"level": level, "total": sum(i["count"] for i in items), "items": items}


class AreaShapesQuery(AreaQuery):
    scope: str | None = Field(default=None, description="public (default) or staff (the staff map: every report "
                                                         "the caller may see, by its true areas)")


@router.get("/map/areas.geojson", response=with_errors({200: None}, 400, 401, 403),
            openapi_extra=body("application/geo+json", GEOJSON),
            summary=gettext_noop("Reports counted per area, with the areas' shapes, for a choropleth map"))
def map_area_shapes(request, query: Query[AreaShapesQuery]):
    """The choropleth: every uploaded area of the level (simplified for drawing, serialised once per
    upload) with its count, zero included; counted areas with no polygon come as a point at their
    centre. Public scope: published public reports by their public point's area, as /map/areas.
    The answer carries an ETag: a map that asks again for the same counts gets a 304."""
    data = query.dict()
    level, scope = data.pop("level", None) or "admin1", data.pop("scope", None) or "public"
    if level not in areas.LEVELS:
        raise ApiError(400, "invalid_level", _("level must be admin1 or admin2."))
    if scope not in ("public", "staff"):
        raise ApiError(400, "invalid_scope", _("scope must be public or staff."))
    found = filters.parse_filters(data)
    if scope == "staff":
        rows = selectors.staff_area_counts(request.auth.require_staff(), found, level=level)
    else:
        rows = selectors.public_area_counts(found, level=level)
    text = _choropleth(rows, level)
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(text, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache" if scope == "staff" else "public, no-cache"
    return response


def _choropleth(rows: list[tuple[str, str, int]], level: str) -> str:
    """The FeatureCollection as JSON text. Each stored shape is spliced in as the text it was
    serialised to once per upload: parsing and re-serialising every shape per request would cost
    more than the counting."""
    index = admin_polygons.current()
    shapes = index.drawn(level) if index and index.has(level) else {}
    counted = {(a1, a2 if level == "admin2" else a1): n for a1, a2, n in rows}
    centres = areas.centres(level) if set(counted) - set(shapes) else {}
    features = []
    for key in list(shapes) + [k for k in counted if k not in shapes]:
        admin1, name = key
        props = json.dumps({"name": name, "admin1": admin1, "count": counted.get(key, 0)}, separators=(",", ":"))
        if key in shapes:
            geometry = shapes[key]
        else:  # counted under a name no polygon has (typed, or no file uploaded): a point at its centre
            lat, lon = centres.get(key if level == "admin2" else admin1, (None, None))
            geometry = json.dumps({"type": "Point", "coordinates": [lon, lat]} if lat is not None else None)
        features.append('{"type":"Feature","geometry":%s,"properties":%s}' % (geometry, props))
    head = json.dumps({"type": "FeatureCollection", "level": level, "total": sum(counted.values()),
                       "max": max(counted.values(), default=0)}, separators=(",", ":"))
    return head[:-1] + ',"features":[' + ",".join(features) + "]}"


@router.get("/categories", response=with_errors({200: CategoryList}), summary=gettext_noop("Active categories"))
def categories(request):
    rows = Category.objects.filter(is_active=True).order_by("position", "name_es")
    return {"items": [{"id": c.id, "slug": c.slug, "name": c.name, "name_es": c.name_es, "name_en": c.name_en,
                       "parent": c.parent_id, "colour": c.colour, "icon": c.icon} for c in rows]}


class PlaceQuery(Schema):
    q: str = Field(default="", max_length=100, description="the start of a place's name, e.g. \"col kennedy\"")
    limit: int = Field(default=10, ge=1, le=50)


@router.get("/places", response=with_errors({200: PlaceList}, 400, 422),
            summary=gettext_noop("Places of the gazetteer whose name starts with the words given"))
def places(request, query: Query[PlaceQuery]):
    """The map's search box: gazetteer data only (GeoNames and the deployment's own lists)."""
    found = gazetteer.current().search(query.q, limit=query.limit)
    return {"items": [place.as_dict() for place in found]}


@router.get("/layers", response=with_errors({200: LayerList}), summary=gettext_noop("Map layers (without their shapes)"))
def layers(request):
    return {"items": [geo_selectors.layer_summary(layer) for layer in geo_selectors.layers_for(request.auth.user)]}


@router.get("/layers/{layer_id}.geojson", response=with_errors({200: None}, 404, 422),
            openapi_extra=body("application/geo+json", GEOJSON), summary=gettext_noop("One layer's shapes as GeoJSON"))
def layer_geojson(request, layer_id: int):
    layer = geo_selectors.layers_for(request.auth.user).filter(pk=layer_id).first()
    if layer is None:
        raise ApiError(404, "not_found", _("Not found."))
    return JsonResponse(layer.geojson, content_type="application/geo+json")
