"""Admin boundaries (departments, municipalities) uploaded as polygons: reading an upload, and the
in-memory index that says which area a point is in (docs/geo.md, "Admin areas").

Reading: any file the zone/layer reader takes (GeoJSON, KML/KMZ, TopoJSON, zipped Shapefile,
GeoPackage; geo/files.py), reprojected to WGS84. The uploader chooses the level and, when the file
has several name-like fields, the field that holds the names. Features sharing a name are joined
(a department with islands in several rows). Each shape is repaired (make_valid), simplified to
LOOKUP_TOLERANCE_DEG (~50 m: a national file of 5 MB becomes a few hundred KB) and rounded to
5 decimals, then stored with its bounding box (models.AdminArea).

Looking up: every process keeps an STRtree of the stored shapes, rebuilt when the table changes
(its row count and latest update are read per use, as for the gazetteer), so a point is tested
only against the few shapes whose box holds it, in C. bench/bench_admin_areas.py measures it.
"""

from __future__ import annotations

import json
import threading

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from testigo.geo import files, placenames

MAX_BYTES = 16 * 1024 * 1024
MAX_AREAS = 5_000
LOOKUP_TOLERANCE_DEG = 0.0005  # ~55 m: well inside a report's usual precision
DRAW_TOLERANCE_DEG = 0.004  # ~450 m: what the map draws at country scale; keeps the GeoJSON small
NAME_FIELDS = ("shapeName", "name", "Name", "NAME", "nombre", "NOMBRE", "ADM2_ES", "ADM1_ES", "ADM2_EN", "ADM1_EN",
               "NAME_2", "NAME_1", "municipio", "MUNICIPIO", "departamento", "DEPARTAMENTO")
LEVELS = ("admin1", "admin2")


# --- reading an upload ---------------------------------------------------------------------------

def _field(features: list[dict], chosen: str, defaults: tuple[str, ...], what) -> str:
    fields = sorted({k for f in features for k in f["properties"]})
    if chosen:
        if chosen not in fields:
            raise ValidationError(_("The file has no field “%(field)s”; its fields are: %(fields)s.")
                                  % {"field": chosen[:60], "fields": ", ".join(fields[:40]) or "—"})
        return chosen
    found = next((k for k in defaults if k in fields), "")
    if not found and what:
        raise ValidationError(_("Choose the field that holds the %(what)s; the file's fields are: %(fields)s.")
                              % {"what": what, "fields": ", ".join(fields[:40]) or "—"})
    return found


def read_areas(filename: str, data: bytes, *, level: str, name_field: str = "", admin1_field: str = "",
               crs: str | None = None) -> list[dict]:
    """[{name, admin1, geometry, min_lon, min_lat, max_lon, max_lat, point_count}] from an upload;
    refusals (ValidationError) say what to fix. `admin1` is "" when the file does not say (an
    admin2 area's department is then found from the stored departments by the caller)."""
    from shapely import make_valid, set_precision
    from shapely.errors import GEOSException
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    if level not in LEVELS:
        raise ValidationError(_("Choose the level: departments (admin1) or municipalities (admin2)."))
    features = files.read_geo_file(filename, data, crs=crs, purpose="zones", max_bytes=MAX_BYTES)["features"]
    features = [f for f in features if f["geometry"] and f["geometry"]["type"] in files.AREA_TYPES]
    if not features:
        raise ValidationError(_("The file contains no areas (polygons)."))
    name_key = _field(features, name_field, NAME_FIELDS, _("names"))
    parent_key = _field(features, admin1_field, (), "") if level == "admin2" else ""
    grouped: dict[tuple[str, str], list] = {}
    for number, feature in enumerate(features, start=1):
        props = feature["properties"]
        name = str(props.get(name_key) or "").strip()[:100]
        if not name:
            raise ValidationError(_("%(feature)s has no name in the field “%(field)s”.")
                                  % {"feature": files.feature_label(number, props), "field": name_key})
        admin1 = str(props.get(parent_key) or "").strip()[:100] if parent_key else ""
        try:
            grouped.setdefault((name, admin1), []).append(make_valid(shape(feature["geometry"])))
        except (GEOSException, ValueError, TypeError) as exc:
            raise ValidationError(_("The shape of %(feature)s cannot be read.")
                                  % {"feature": files.feature_label(number, props)}) from exc
    if len(grouped) > MAX_AREAS:
        raise ValidationError(_("The file has more than %(n)d areas; split it.") % {"n": MAX_AREAS})
    out = []
    for (name, admin1), parts in grouped.items():
        geometry = _polygonal(unary_union(parts) if len(parts) > 1 else parts[0])
        geometry = set_precision(geometry.simplify(LOOKUP_TOLERANCE_DEG, preserve_topology=True), 1e-5)
        if geometry.is_empty:
            continue
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        out.append({"name": name, "admin1": name if level == "admin1" else admin1, "geometry": mapping(geometry),
                    "min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat,
                    "point_count": _points(geometry)})
    return out


def _polygonal(geometry):
    """Only the polygons of a repaired shape (make_valid may leave slivers as lines or points)."""
    from shapely.geometry import MultiPolygon

    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    polygons = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    flat = [p for g in polygons for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
    return MultiPolygon(flat)


def _points(geometry) -> int:
    import shapely

    return int(shapely.get_num_coordinates(geometry))


# --- the index -----------------------------------------------------------------------------------

class AreaIndex:
    """The stored areas of both levels, an STRtree per level, and the names' keys (so a name the
    nearest-town fallback gives, "Atlantida" or "Bay Islands", is told in the polygons' own
    spelling, "Atlántida" or "Islas de la Bahía", and one area is never counted under two names)."""

    def __init__(self, rows: list[tuple[str, str, str, dict]], aliases: dict[str, str] | None = None):
        from shapely import STRtree, prepare
        from shapely.geometry import shape

        self.rows: dict[str, list[tuple[str, str]]] = {level: [] for level in LEVELS}
        self.shapes: dict[str, list] = {level: [] for level in LEVELS}
        self.names: dict[tuple[str, str], str] = {}
        for level, name, admin1, geometry in rows:
            geom = shape(geometry)
            prepare(geom)
            self.rows[level].append((admin1, name))
            self.shapes[level].append(geom)
            self.names.setdefault((level, placenames.key(name)), name)
        for alias, target in (aliases or {}).items():  # "islas de la bahia" -> "Bay Islands"
            for level in LEVELS:
                canonical = self.names.get((level, placenames.key(alias)))
                if canonical:
                    self.names.setdefault((level, placenames.key(target)), canonical)
        self.trees = {level: STRtree(self.shapes[level]) for level in LEVELS if self.shapes[level]}
        self._drawn: dict[str, dict] = {}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.trees)

    def has(self, level: str) -> bool:
        return level in self.trees

    def find(self, level: str, lon: float, lat: float) -> tuple[str, str] | None:
        """(admin1, name) of the area of `level` that holds the point, or None."""
        from shapely import Point

        tree = self.trees.get(level)
        if tree is None:
            return None
        hits = tree.query(Point(lon, lat), predicate="intersects")
        if not len(hits):
            return None
        return self.rows[level][int(min(hits))]  # on a shared border: the first stored, every time

    def spelled(self, level: str, name: str) -> str:
        """`name` as the polygons spell it, when an area of that level has the same name."""
        return self.names.get((level, placenames.key(name)), name) if name else name

    def inside_points(self, level: str) -> dict[tuple[str, str], tuple[float, float]]:
        """{(admin1, name): (lat, lon)} of a point inside each area (where a label or count goes)."""
        out = {}
        for key, geom in zip(self.rows[level], self.shapes[level], strict=True):
            point = geom.representative_point()
            out[key] = (round(point.y, 5), round(point.x, 5))
        return out

    def drawn(self, level: str) -> dict[tuple[str, str], str]:
        """{(admin1, name): GeoJSON geometry as JSON text}, simplified further for drawing; built
        once per index (the map's choropleth reads it for every request)."""
        from shapely import set_precision
        from shapely.geometry import mapping

        with self._lock:
            if level not in self._drawn:
                self._drawn[level] = {
                    key: json.dumps(mapping(set_precision(geom.simplify(DRAW_TOLERANCE_DEG, preserve_topology=True),
                                                          1e-4)), separators=(",", ":"))
                    for key, geom in zip(self.rows[level], self.shapes[level], strict=True)}
            return self._drawn[level]


_cache: dict = {"stamp": None, "index": None}
_cache_lock = threading.Lock()


def current() -> AreaIndex | None:
    """The stored areas' index, or None when no area was uploaded; rebuilt when the table changed,
    so every process agrees with the database."""
    from django.db.models import Count, Max

    from testigo.geo import gazetteer
    from testigo.geo.models import AdminArea

    seen = AdminArea.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    if not seen["n"]:
        return None
    stamp = (seen["n"], seen["latest"], tuple(gazetteer.countries()))
    with _cache_lock:
        if _cache["stamp"] != stamp:
            aliases = {}
            for code in gazetteer.countries():
                aliases.update(gazetteer.ALIASES.get(code, {}))
            rows = list(AdminArea.objects.order_by("level", "id").values_list("level", "name", "admin1", "geometry"))
            _cache["index"], _cache["stamp"] = AreaIndex(rows, aliases), stamp
        return _cache["index"]
