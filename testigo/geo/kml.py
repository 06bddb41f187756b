"""KML to GeoJSON with defusedxml, refusing DTDs and entities, and deeply nested geometries.

Entity expansion ("billion laughs") and external entities are the classic XML attacks; KML never
needs a DTD, so any document that declares one is rejected. The check is the parser's own
(defusedxml, forbid_dtd), so it holds in every encoding the XML declaration may name: a byte search
for "<!DOCTYPE" missed the same text in a UTF-16 file, and its entities expanded into zone names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _

# MultiGeometry inside MultiGeometry: real maps nest two or three levels. Converting a 5,000-level
# file recursed until Python gave up (a 500); anything deeper than this is refused with a message.
MAX_GEOMETRY_DEPTH = 10


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


def _ring(boundary: ET.Element) -> list[list[float]]:
    return _coords(getattr(_child(boundary, "coordinates"), "text", ""))


def _geometry(el: ET.Element, depth: int = 1) -> dict | None:
    kind = _local(el.tag)
    if kind == "Point":
        pts = _coords(getattr(_child(el, "coordinates"), "text", ""))
        return {"type": "Point", "coordinates": pts[0]} if pts else None
    if kind in {"LineString", "LinearRing"}:
        pts = _coords(getattr(_child(el, "coordinates"), "text", ""))
        return {"type": "LineString", "coordinates": pts} if len(pts) >= 2 else None
    if kind == "Polygon":
        # outer ring first, then the holes, whatever order the file lists them in
        outer = [_ring(b) for b in el if _local(b.tag) == "outerBoundaryIs"]
        inner = [_ring(b) for b in el if _local(b.tag) == "innerBoundaryIs"]
        rings = [r for r in outer[:1] + inner if len(r) >= 4]
        return {"type": "Polygon", "coordinates": rings} if outer and outer[0] and rings else None
    if kind == "MultiGeometry":
        if depth >= MAX_GEOMETRY_DEPTH:
            raise ValidationError(_("The KML file nests geometries more than %(n)d levels deep.")
                                  % {"n": MAX_GEOMETRY_DEPTH})
        parts = []
        for child in el:
            part = _geometry(child, depth + 1)
            if part and part["type"] == "GeometryCollection":
                parts.extend(part["geometries"])  # nested MultiGeometry: one flat list of parts
            elif part:
                parts.append(part)
        return {"type": "GeometryCollection", "geometries": parts} if parts else None
    return None


def _extended_data(el: ET.Element, props: dict) -> None:
    """<Data name><value> (Google Earth) and <SchemaData><SimpleData name> (ogr2ogr, LIBKML)."""
    for item in el.iter():
        tag = _local(item.tag)
        if tag == "SimpleData" and item.get("name"):
            props.setdefault(item.get("name")[:100], (item.text or "").strip())
        elif tag == "Data" and item.get("name"):
            value = next((c for c in item if _local(c.tag) == "value"), None)
            props.setdefault(item.get("name")[:100], (getattr(value, "text", "") or "").strip())


def named(number: int, props: dict, exc: ValidationError) -> str:
    """A refusal that says which placemark (or track) it is about: by name, and by number."""
    from testigo.geo.files import feature_label

    return capfirst(_("%(feature)s: %(problem)s") % {"feature": feature_label(number, props),
                                                      "problem": " ".join(exc.messages)})


def parse_xml(data: bytes, *, with_dtd: str, unreadable: str) -> ET.Element:
    """The root element of an uploaded XML file, refusing DTDs and entities in every encoding."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValidationError(with_dtd) from exc
    except (ET.ParseError, ValueError) as exc:  # ValueError: an encoding expat cannot read (UTF-16-LE)
        raise ValidationError(unreadable) from exc


def kml_to_geojson(data: bytes) -> dict:
    """Convert a KML document's placemarks (points, lines, polygons, MultiGeometry at any depth) to a
    FeatureCollection; names, descriptions and ExtendedData become properties."""
    root = parse_xml(data, with_dtd=_("KML files with a DTD or entities are not accepted."),
                     unreadable=_("The file is not valid KML (XML)."))
    features = []
    placemarks = (el for el in root.iter() if _local(el.tag) == "Placemark")
    for number, placemark in enumerate(placemarks, start=1):
        geometry = None
        props = {}
        children = list(placemark)
        for child in children:
            name = _local(child.tag)
            if name in {"name", "description"}:
                props[name] = (child.text or "").strip()
            elif name == "ExtendedData":
                _extended_data(child, props)
        try:
            geometry = next((g for g in (_geometry(c) for c in children) if g), None)
        except ValidationError as exc:
            raise ValidationError(named(number, props, exc)) from exc
        if geometry:
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
