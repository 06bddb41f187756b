"""GPX (tracks, routes, waypoints from a GPS or a phone) to GeoJSON, for map layers only: a GPX
file has no areas, so it cannot make alert zones."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from testigo.geo.kml import _local, named, parse_xml


def _point(el: ET.Element) -> list[float] | None:
    try:
        return [float(el.get("lon")), float(el.get("lat"))]
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The GPX file has a point without a valid latitude and longitude.")) from exc


def _props(el: ET.Element) -> dict:
    return {_local(c.tag): (c.text or "").strip() for c in el if _local(c.tag) in {"name", "desc", "type", "cmt"}}


def gpx_to_geojson(data: bytes) -> dict:
    """Each track a (Multi)LineString, each route a LineString, each waypoint a Point."""
    root = parse_xml(data, with_dtd=_("GPX files with a DTD or entities are not accepted."),
                     unreadable=_("The file is not valid GPX (XML)."))
    features = []
    for number, el in enumerate(root, start=1):
        try:
            feature = _feature(el)
        except ValidationError as exc:
            raise ValidationError(named(number, _props(el), exc)) from exc
        if feature:
            features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _feature(el: ET.Element) -> dict | None:
    kind = _local(el.tag)
    geometry = None
    if kind == "wpt":
        geometry = {"type": "Point", "coordinates": _point(el)}
    elif kind == "rte":
        line = [_point(p) for p in el if _local(p.tag) == "rtept"]
        geometry = {"type": "LineString", "coordinates": line} if len(line) >= 2 else None
    elif kind == "trk":
        segments = [[_point(p) for p in seg if _local(p.tag) == "trkpt"] for seg in el if _local(seg.tag) == "trkseg"]
        segments = [s for s in segments if len(s) >= 2]
        if len(segments) == 1:
            geometry = {"type": "LineString", "coordinates": segments[0]}
        elif segments:
            geometry = {"type": "MultiLineString", "coordinates": segments}
    return {"type": "Feature", "geometry": geometry, "properties": _props(el)} if geometry else None
