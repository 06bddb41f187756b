"""GPX (tracks, routes, waypoints from a GPS or a phone) to GeoJSON, for map layers only: a GPX
file has no areas, so it cannot make alert zones."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from testigo.geo.kml import _local, parse_xml


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
    for el in root:
        kind = _local(el.tag)
        if kind == "wpt":
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": _point(el)},
                             "properties": _props(el)})
        elif kind == "rte":
            line = [_point(p) for p in el if _local(p.tag) == "rtept"]
            if len(line) >= 2:
                features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                                 "properties": _props(el)})
        elif kind == "trk":
            segments = [[_point(p) for p in seg if _local(p.tag) == "trkpt"] for seg in el if _local(seg.tag) == "trkseg"]
            segments = [s for s in segments if len(s) >= 2]
            if segments:
                geometry = ({"type": "LineString", "coordinates": segments[0]} if len(segments) == 1
                            else {"type": "MultiLineString", "coordinates": segments})
                features.append({"type": "Feature", "geometry": geometry, "properties": _props(el)})
    return {"type": "FeatureCollection", "features": features}
