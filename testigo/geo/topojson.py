"""TopoJSON to GeoJSON: the format many national boundary sets are published in (geoBoundaries,
world-atlas, mapshaper exports).

Shared borders are stored once as "arcs"; a quantized file stores integer deltas that a "transform"
scales back to degrees. Every object of the topology is read (a file may hold departments and
municipalities side by side), each geometry becoming a feature with its properties and id.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _bad(message) -> ValidationError:
    return ValidationError(str(message))


class _Arcs:
    def __init__(self, topology: dict, max_points: int):
        arcs = topology.get("arcs")
        transform = topology.get("transform")
        if not isinstance(arcs, list):
            raise _bad(_("The TopoJSON file has no arcs."))
        self.raw = arcs
        self.decoded: dict[int, list] = {}
        self.scale = self.translate = None
        if isinstance(transform, dict):
            try:
                self.scale = [float(v) for v in transform["scale"][:2]]
                self.translate = [float(v) for v in transform["translate"][:2]]
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise _bad(_("The TopoJSON transform is not valid.")) from exc
        self.budget = max_points

    def position(self, value) -> list[float]:
        x, y = float(value[0]), float(value[1])
        if self.scale:
            return [x * self.scale[0] + self.translate[0], y * self.scale[1] + self.translate[1]]
        return [x, y]

    def arc(self, index: int) -> list:
        key = ~index if index < 0 else index
        if not 0 <= key < len(self.raw):
            raise _bad(_("The TopoJSON file refers to arc %(n)d, which it does not contain.") % {"n": index})
        points = self.decoded.get(key)
        if points is None:
            points, x, y = [], 0.0, 0.0
            for value in self.raw[key]:
                if self.scale:  # quantized: each position is a delta from the previous one
                    x, y = x + float(value[0]), y + float(value[1])
                    points.append([x * self.scale[0] + self.translate[0], y * self.scale[1] + self.translate[1]])
                else:
                    points.append([float(value[0]), float(value[1])])
            self.decoded[key] = points
        self.budget -= len(points)
        if self.budget < 0:
            raise _bad(_("The TopoJSON file expands to too many points; simplify it (e.g. with mapshaper) first."))
        return points[::-1] if index < 0 else points

    def line(self, indexes: list) -> list:
        coords: list = []
        for i, index in enumerate(indexes):
            points = self.arc(int(index))
            coords.extend(points if i == 0 else points[1:])
        return coords


def _geometry(obj: dict, arcs: _Arcs) -> dict | None:
    kind = obj.get("type")
    a = obj.get("arcs")
    if kind == "Point":
        return {"type": "Point", "coordinates": arcs.position(obj["coordinates"])}
    if kind == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": [arcs.position(p) for p in obj["coordinates"]]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": arcs.line(a)}
    if kind == "MultiLineString":
        return {"type": "MultiLineString", "coordinates": [arcs.line(line) for line in a]}
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": [arcs.line(ring) for ring in a]}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[arcs.line(ring) for ring in poly] for poly in a]}
    return None  # null geometry (a feature without shape) or an unknown type


def _features(obj: dict, arcs: _Arcs, out: list, depth: int = 0) -> None:
    if depth > 10:
        raise _bad(_("The TopoJSON file nests geometry collections more than 10 levels deep."))
    if obj.get("type") == "GeometryCollection":
        for child in obj.get("geometries") or []:
            if isinstance(child, dict):
                _features(child, arcs, out, depth + 1)
        return
    props = dict(obj["properties"]) if isinstance(obj.get("properties"), dict) else {}
    if "id" in obj and "id" not in props:
        props["id"] = obj["id"]
    number = len(out) + 1
    try:
        geometry = _geometry(obj, arcs)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise _bad(_("Shape %(n)d of the TopoJSON file has invalid coordinates or arcs.") % {"n": number}) from exc
    out.append({"type": "Feature", "geometry": geometry, "properties": props})


def topojson_to_geojson(topology: dict, *, max_points: int) -> dict:
    """Every object of a TopoJSON Topology as one FeatureCollection (features in object order)."""
    objects = topology.get("objects")
    if not isinstance(objects, dict) or not objects:
        raise _bad(_("The TopoJSON file has no objects."))
    arcs = _Arcs(topology, max_points)
    features: list = []
    for obj in objects.values():
        if isinstance(obj, dict):
            _features(obj, arcs, features)
    return {"type": "FeatureCollection", "features": features}
