"""Zone shapes: reading uploads (GeoJSON, KML via geo.kml), repairing them, and a spatial index
that finds the zones containing a point.

The index is cached per process and keyed by `AlertsState.zones_token`, a value in the database
that every zone change replaces (with a new random UUID, and a counter for humans): every web and
worker process reads the same token, so none keeps using a stale index after another one changed
the zones, and a database restored from a backup brings back the token of its own zones.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely import STRtree, make_valid, points, prepare
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry

from testigo.geo.distance import EARTH_RADIUS_M, degrees_box, haversine_m  # noqa: F401 (used by alerts too)
from testigo.geo.files import read_geo_file, sniff

AREA_TYPES = {"Polygon", "MultiPolygon"}


@dataclass
class Shape:
    name: str
    name_en: str
    geometry: BaseGeometry
    repaired: bool = False


def circle(lat: float, lon: float, radius_m: float, sides: int = 64) -> BaseGeometry:
    """A polygon approximating a circle on the ground (good to well under 1 % at city scale)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    ring = [(lon + dlon * math.cos(2 * math.pi * i / sides), lat + dlat * math.sin(2 * math.pi * i / sides))
            for i in range(sides)]
    return shape({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def clean_area(geometry: dict) -> tuple[BaseGeometry, bool]:
    """Turn a GeoJSON geometry into a valid (Multi)Polygon; self-intersections are repaired.

    Returns (geometry, repaired). Raises ValidationError when nothing with an area remains."""
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ValidationError(_("A shape has invalid coordinates.")) from exc
    repaired = False
    if not geom.is_valid:
        geom, repaired = make_valid(geom), True
    if geom.geom_type == "GeometryCollection":
        # A KML MultiGeometry or a repair that left stray lines: keep the polygons, as one MultiPolygon.
        polygons = [p for g in geom.geoms if g.geom_type in AREA_TYPES
                    for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
        geom = (polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)) if polygons else None
    if geom is None or geom.geom_type not in AREA_TYPES or geom.is_empty or geom.area == 0:
        raise ValidationError(_("A zone must be a polygon with an area."))
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError(_("A shape has coordinates outside the Earth (longitude, latitude expected)."))
    return geom, repaired


_PLACEMARK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Placemark[\s>]")


def read_upload(*, filename: str, data: bytes, name_field: str = "name",
                crs: str | None = None) -> tuple[list[Shape], list[str]]:
    """Parse an uploaded boundary file (GeoJSON, KML/KMZ, TopoJSON, zipped Shapefile) into named
    zone shapes in WGS84; `crs` is the EPSG code chosen at upload for files that do not name theirs.

    Returns (shapes, warnings): features that are not areas, or lack a name, are skipped with a
    warning saying which; a file with no usable zone, or a shape that cannot be read, is refused."""
    collection = read_geo_file(filename=filename, data=data, crs=crs, purpose="zones",
                               max_bytes=settings.ALERT_MAX_UPLOAD_MB * 1024 * 1024)
    features = collection["features"]
    warnings = []
    if sniff(filename, data) == "kml":
        skipped = len(_PLACEMARK.findall(data)) - len(features)
        if skipped > 0:
            warnings.append(_("%(n)d placemarks skipped: they hold no shape we can read (models, tracks, overlays…).")
                            % {"n": skipped})
    if len(features) > settings.ALERT_MAX_ZONES_PER_UPLOAD:
        raise ValidationError(_("The file has too many shapes (at most %(n)d).")
                              % {"n": settings.ALERT_MAX_ZONES_PER_UPLOAD})
    shapes = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        name = str(props.get(name_field) or "").strip()
        if not name:
            warnings.append(_("Shape %(n)d skipped: it has no “%(field)s” property.") % {"n": number, "field": name_field})
            continue
        try:
            geom, repaired = _feature_area(feature.get("geometry"), props)
        except ValidationError as exc:
            warnings.append(_("“%(name)s” skipped: %(why)s") % {"name": name, "why": " ".join(exc.messages)})
            continue
        name_en = str(props.get(f"{name_field}_en") or props.get("name_en") or "").strip()
        shapes.append(Shape(name=name[:120], name_en=name_en[:120], geometry=geom, repaired=repaired))
        if repaired:
            warnings.append(_("“%(name)s” had crossing edges and was repaired.") % {"name": name})
    if not shapes:
        raise ValidationError([_("The file contains no zone we can use.")] + warnings[:10])
    return shapes, warnings


def _feature_area(geometry, props: dict) -> tuple[BaseGeometry, bool]:
    if not isinstance(geometry, dict):
        raise ValidationError(_("it has no geometry."))
    if geometry.get("type") == "Point":
        radius = props.get("radius_m") or props.get("radius")
        try:
            lon, lat = (float(v) for v in geometry["coordinates"][:2])
            radius = float(radius)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValidationError(_("a point needs a “radius_m” property to be a zone.")) from exc
        if not 0 < radius <= settings.ALERT_MAX_RADIUS_KM * 1000:
            raise ValidationError(_("the radius must be between 1 m and %(km)d km.") % {"km": settings.ALERT_MAX_RADIUS_KM})
        return circle(lat, lon, radius), False
    if geometry.get("type") not in AREA_TYPES | {"GeometryCollection"}:
        raise ValidationError(_("only polygons (or points with a radius) can be zones, not %(type)s.")
                              % {"type": str(geometry.get("type"))[:40]})
    return clean_area(geometry)


class ZoneIndex:
    """Zones of one version, in an STRtree of prepared geometries."""

    def __init__(self, rows: list[tuple[int, dict]]):
        self.ids = [pk for pk, _geom in rows]
        self.geoms = [shape(geom) for _pk, geom in rows]
        for geom in self.geoms:
            prepare(geom)
        self.tree = STRtree(self.geoms)

    def containing(self, lat: float, lon: float) -> list[int]:
        hits = self.tree.query(Point(lon, lat), predicate="intersects")
        return [self.ids[i] for i in hits]

    def intersecting(self, area: BaseGeometry) -> list[int]:
        """Zones that share any part with `area` (an alert's whole area, not a point)."""
        return [self.ids[i] for i in self.tree.query(area, predicate="intersects")]

    def overlaps(self, area: BaseGeometry) -> list[tuple[int, float, float]]:
        """(zone id, share of `area` it covers, the zone's own area) for each zone touching `area`.
        The share is rounded so that "all of it" compares equal; areas are in squared degrees,
        enough to rank zones."""
        return [(self.ids[i], round(self.geoms[i].intersection(area).area / area.area, 3), self.geoms[i].area)
                for i in self.tree.query(area, predicate="intersects")]

    def containing_many(self, coords: list[tuple[float, float]]) -> list[tuple[int, int]]:
        """(point index, zone id) pairs for many (lat, lon) points at once."""
        if not coords or not self.ids:
            return []
        pts = points([(lon, lat) for lat, lon in coords])
        pairs = self.tree.query(pts, predicate="intersects")
        return [(int(p), self.ids[int(z)]) for p, z in zip(pairs[0], pairs[1], strict=True)]


_cache: dict = {}
_lock = threading.Lock()


def cached_zone_index() -> tuple[object, ZoneIndex] | None:
    """(token, index) as last built by this process, without asking the database whether the
    zones changed since: the caller checks the token itself (selectors reads it in the same
    statement as the recipients)."""
    with _lock:
        return _cache.get("zones")


def zone_index() -> ZoneIndex:
    """The index for the zones as they are now in the database (rebuilt only when they changed)."""
    from testigo.alerts.models import AlertsState, Zone

    version = AlertsState.objects.values_list("zones_token", flat=True).first()
    with _lock:
        cached = _cache.get("zones")
        if cached is not None and cached[0] == version:
            return cached[1]
    index = ZoneIndex(list(Zone.objects.filter(is_active=True).values_list("pk", "geometry")))
    with _lock:
        _cache["zones"] = (version, index)
    return index
