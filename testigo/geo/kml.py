"""KML to GeoJSON with the standard library's XML parser, refusing DTDs and entities.

Entity expansion ("billion laughs") and external entities are the classic XML attacks; KML never
needs a DTD, so any document that declares one is rejected before parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _coords(text: str | None) -> list[list[float]]:
    points = []
    for chunk in (text or "").split():
        parts = chunk.split(",")
        if len(parts) < 2:
            continue
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError as exc:
            raise ValidationError(_("The KML file has invalid coordinates.")) from exc
        points.append([lon, lat])
    return points


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _geometry(el: ET.Element) -> dict | None:
    kind = _local(el.tag)
    if kind == "Point":
        pts = _coords(getattr(_child(el, "coordinates"), "text", ""))
        return {"type": "Point", "coordinates": pts[0]} if pts else None
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _coords(getattr(_child(el, "coordinates"), "text", ""))}
    if kind == "Polygon":
        rings = []
        for boundary in el:
            if _local(boundary.tag) in {"outerBoundaryIs", "innerBoundaryIs"}:
                ring = _child(boundary, "coordinates")
                rings.append(_coords(getattr(ring, "text", "")))
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiGeometry":
        parts = [g for g in (_geometry(c) for c in el) if g]
        return {"type": "GeometryCollection", "geometries": parts}
    return None


def kml_to_geojson(data: bytes) -> dict:
    """Convert a KML document's placemarks (points, lines, polygons) to a FeatureCollection."""
    if _DTD.search(data):
        raise ValidationError(_("KML files with a DTD or entities are not accepted."))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValidationError(_("The file is not valid KML (XML).")) from exc
    features = []
    for placemark in root.iter():
        if _local(placemark.tag) != "Placemark":
            continue
        geometry = None
        props = {}
        for child in placemark:
            name = _local(child.tag)
            if name in {"name", "description"}:
                props[name] = (child.text or "").strip()
            elif geometry is None:
                geometry = _geometry(child)
        if geometry:
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
