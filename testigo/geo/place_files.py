"""Reading an administrator's list of places: a CSV (name, lat, lon, kind, parent, department or
admin1, alternate_names) or a boundary file (GeoJSON, KML, KMZ, TopoJSON, zipped Shapefile) read by the
same reader as zones and layers (geo/files.py), each polygon becoming a place at its inside point
with a precision from its size. Refusals name the row or feature and say what to fix."""

from __future__ import annotations

import csv
import io
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import shape

from testigo.geo import files
from testigo.geo.gazetteer import KINDS

MAX_PLACES_BYTES = 10 * 1024 * 1024
MAX_PLACES = 100_000
NAME_KEYS = ("name", "nombre", "Name", "NAME", "NOMBRE", "shapeName")
KIND_ALIASES = {"neighbourhood": "colonia", "neighborhood": "colonia", "village": "aldea", "city": "town",
                "ciudad": "town", "pueblo": "town", "municipio": "municipality", "departamento": "department",
                "punto": "landmark", "lugar": "landmark"}


def clean_kind(value: str) -> str:
    kind = (value or "").strip().lower()
    kind = KIND_ALIASES.get(kind, kind)
    if not kind:
        return "colonia"
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind “%(kind)s”: use one of %(kinds)s.")
                              % {"kind": value[:40], "kinds": ", ".join(sorted(KINDS))})
    return kind


def split_names(value: str) -> list[str]:
    return [n.strip() for n in (value or "").replace(";", "|").split("|") if n.strip()][:20]


def read_places(filename: str, data: bytes) -> list[dict]:
    """Place dicts (name, lat, lon, kind, parent, admin1, alternate_names, precision_m) from an upload."""
    if len(data) > MAX_PLACES_BYTES:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": MAX_PLACES_BYTES // 2**20})
    if filename.lower().endswith((".csv", ".txt")):
        places = read_csv(data)
    else:
        places = read_features(files.read_geo_file(filename, data, purpose="layers"))
    if not places:
        raise ValidationError(_("The file contains no places."))
    if len(places) > MAX_PLACES:
        raise ValidationError(_("The file has more than %(n)d places; split it.") % {"n": MAX_PLACES})
    return places


def _column(header: list[str], *names: str) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def read_csv(data: bytes) -> list[dict]:
    """Rows read by column position (found once from the header): a dict per row took a third of a
    50,000-row upload (bench/bench_admin_areas.py)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sample = text[:4096]
    dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    header = [(h or "").strip().lower() for h in next(reader, [])]
    at = {"name": _column(header, "name", "nombre"), "lat": _column(header, "lat"), "lon": _column(header, "lon"),
          "kind": _column(header, "kind", "tipo"), "parent": _column(header, "parent", "municipio"),
          "admin1": _column(header, "admin1", "department", "departamento"),
          "alternates": _column(header, "alternate_names", "alternos")}
    if at["name"] is None or at["lat"] is None or at["lon"] is None:
        raise ValidationError(_("The CSV needs the columns name, lat and lon (and may have kind, parent, "
                                "department and alternate_names)."))
    width = len(header)
    kinds: dict[str, str] = {}
    places = []
    for line, row in enumerate(reader, start=2):
        if len(row) < width:
            row = row + [""] * (width - len(row))
        name = row[at["name"]].strip()
        if not name:
            continue
        try:
            lat, lon = float(row[at["lat"]].strip().replace(",", ".")), float(row[at["lon"]].strip().replace(",", "."))
        except ValueError:
            raise ValidationError(_("Row %(line)d (“%(name)s”): lat and lon must be numbers.")
                                  % {"line": line, "name": name[:80]}) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValidationError(_("Row %(line)d (“%(name)s”): the coordinates are outside the world "
                                    "(lat −90…90, lon −180…180).") % {"line": line, "name": name[:80]})
        written = row[at["kind"]] if at["kind"] is not None else ""
        kind = kinds.get(written)
        if kind is None:
            try:
                kind = kinds[written] = clean_kind(written)
            except ValidationError as error:
                raise ValidationError(_("Row %(line)d: %(error)s")
                                      % {"line": line, "error": error.messages[0]}) from None
        parent, admin1, alternates = (row[at[key]].strip() if at[key] is not None else ""
                                      for key in ("parent", "admin1", "alternates"))
        places.append({"name": name[:200], "lat": lat, "lon": lon, "kind": kind, "parent": parent[:200],
                       "admin1": admin1[:100], "alternate_names": split_names(alternates) if alternates else [],
                       "precision_m": None})
    return places


def read_features(collection: dict) -> list[dict]:
    places = []
    for number, feature in enumerate(collection["features"], start=1):
        props = feature.get("properties") or {}
        name = next((str(props[k]).strip() for k in NAME_KEYS if str(props.get(k) or "").strip()), "")
        if not name or feature.get("geometry") is None:
            continue
        geometry = shape(feature["geometry"])
        if geometry.is_empty:
            continue
        point = geometry.representative_point()
        precision = None
        if geometry.geom_type in files.AREA_TYPES:
            # Half the diagonal of the bounding box, in metres: a colonia ~500 m, a municipality ~10 km.
            minx, miny, maxx, maxy = geometry.bounds
            dx = (maxx - minx) * 111_320 * math.cos(math.radians(point.y))
            precision = max(100, round(math.hypot(dx, (maxy - miny) * 110_540) / 2))
        try:
            kind = clean_kind(str(props.get("kind") or props.get("tipo") or ""))
        except ValidationError as error:
            raise ValidationError(files.feature_label(number, props) + ": " + error.messages[0]) from None
        places.append({"name": name[:200], "lat": point.y, "lon": point.x, "kind": kind,
                       "parent": str(props.get("parent") or props.get("municipio") or "")[:200],
                       "admin1": str(props.get("admin1") or props.get("departamento") or "")[:100],
                       "alternate_names": split_names(str(props.get("alternate_names") or "")),
                       "precision_m": precision})
    return places
