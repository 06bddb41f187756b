"""One reader for every boundary file an administrator may upload, for alert zones and map layers.

`read_geo_file` turns GeoJSON, KML, KMZ, TopoJSON, a zipped Shapefile, a GeoPackage or GPX into a GeoJSON
FeatureCollection in WGS84 longitude/latitude, each feature keeping its properties (and its name).
The format is found from the content, not the extension: a ".json" may be TopoJSON, a ".zip" a KMZ.

Why each rule (issue #18):
- Multi-part boundaries (a department with islands) stay MultiPolygon; a KML MultiGeometry of
  polygons becomes one MultiPolygon instead of a GeometryCollection the zone index cannot use.
- Coordinates in metres (UTM, a national grid) are reprojected when the file says its CRS (GeoJSON
  "crs" member, Shapefile .prj) or the uploader chose one; otherwise they are refused, for zones and
  for layers alike: a layer in metres was drawn thousands of kilometres away, silently.
- Archives are opened only after their declared sizes are checked, and members are read with a cap,
  so a zip bomb is refused before it fills the memory.
"""

from __future__ import annotations

import io
import math
import zipfile

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from testigo.core import untrusted
from testigo.geo.geopackage import is_geopackage, read_geopackage
from testigo.geo.gpx import gpx_to_geojson
from testigo.geo.kml import kml_to_geojson
from testigo.geo.shapefiles import read_shapefile_zip
from testigo.geo.topojson import topojson_to_geojson

# Uncompressed bytes we accept from one archive (KMZ or zipped Shapefile): four times the largest
# upload; a real boundary file compresses 3-10 times, a zip bomb thousands of times.
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_ZIP_MEMBERS = 100
# Points decoded from one file: TopoJSON arcs can be reused, so a small file could expand a lot.
MAX_POINTS = 3_000_000
AREA_TYPES = {"Polygon", "MultiPolygon"}
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}
WGS84_NAMES = {"EPSG:4326", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"}


def refuse(message) -> ValidationError:
    return ValidationError(capfirst(str(message)))


def feature_label(number: int, props: dict | None) -> str:
    """How a refusal names a feature: its name when it has one, always its number."""
    props = props or {}
    name = next((str(props[k]).strip() for k in ("name", "Name", "NAME", "nombre", "NOMBRE", "shapeName")
                 if str(props.get(k) or "").strip()), "")
    if name:
        return _("feature %(n)d (“%(name)s”)") % {"n": number, "name": name[:80]}
    return _("feature %(n)d") % {"n": number}


def clean_crs(value: str | None) -> str | None:
    """The coordinate system typed at upload: an EPSG code ("32616", "EPSG:32616") or nothing."""
    text = (value or "").strip().upper().removeprefix("EPSG:").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise refuse(_("The coordinate system must be an EPSG code (a number such as 32616 for UTM 16N), "
                       "or left empty for longitude/latitude."))
    return text


def read_geo_file(filename: str, data: bytes, *, crs: str | int | None = None, purpose: str = "zones",
                  max_bytes: int | None = None) -> dict:
    """A FeatureCollection in WGS84 lon/lat from an uploaded boundary file; refusals say what to do.

    `crs` is the coordinate system chosen at upload (an EPSG code), used when the file does not
    name its own. `purpose` is "zones" or "layers" (GPX tracks can only be layers)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise refuse(_("The file is too large (at most %(mb)d MB).") % {"mb": max_bytes // 2**20})
    kind = sniff(filename, data)
    file_crs = None
    if kind == "zip":
        collection, file_crs = _read_zip(data)
    elif kind == "gpkg":
        collection, file_crs = read_geopackage(data)
    elif kind == "kml":
        collection = kml_to_geojson(data)
    elif kind == "gpx":
        if purpose == "zones":
            raise refuse(_("A GPX file holds tracks and points, not areas: upload it as a map layer, or upload "
                           "the zones as GeoJSON, KML, TopoJSON or a zipped Shapefile."))
        collection = gpx_to_geojson(data)
    elif kind == "json":
        collection, file_crs = _read_json(data)
    elif filename.lower().endswith((".shp", ".shx", ".dbf", ".prj")):
        raise refuse(_("A Shapefile is several files: put the .shp, .shx, .dbf and .prj in one .zip and upload "
                       "the .zip."))
    else:
        raise refuse(_("Upload a GeoJSON, KML, KMZ, TopoJSON, zipped Shapefile (.zip), GeoPackage or GPX file."))
    features = as_features(collection)
    return {"type": "FeatureCollection", "features": to_wgs84(features, file_crs or crs)}


def sniff(filename: str, data: bytes) -> str:
    """"zip", "gpkg", "kml", "gpx", "json" or "" from the first bytes (the extension only breaks ties)."""
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if is_geopackage(data):
        return "gpkg"
    head = data[:2048]
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom):].decode(codec, "ignore").encode("utf-8", "ignore")
            break
    else:
        if b"\x00" in head[:4]:  # UTF-16/32 without a byte order mark
            head = head.replace(b"\x00", b"")
    text = head.lstrip().lower()
    if text.startswith((b"{", b"[")):
        return "json"
    if text.startswith(b"<"):
        if b"<gpx" in text:
            return "gpx"
        return "kml"
    name = filename.lower()
    if name.endswith((".kml",)):
        return "kml"
    if name.endswith((".geojson", ".json", ".topojson")):
        return "json"
    return ""


def _read_json(data: bytes) -> tuple[dict, str | None]:
    try:
        obj = untrusted.loads(data.decode("utf-8-sig"))  # nesting-limited: a deep file is not a 500
    except (UnicodeDecodeError, ValueError) as exc:
        raise refuse(_("The file is not valid GeoJSON.")) from exc
    if isinstance(obj, dict) and obj.get("type") == "Topology":
        return topojson_to_geojson(obj, max_points=MAX_POINTS), None
    return obj, _geojson_crs(obj)


def _geojson_crs(obj) -> str | None:
    """The legacy GeoJSON (2008) "crs" member, as ogr2ogr and QGIS still write it."""
    if not isinstance(obj, dict) or not isinstance(obj.get("crs"), dict):
        return None
    props = obj["crs"].get("properties")
    name = props.get("name") if isinstance(props, dict) else None
    return str(name)[:200] if name else None


def as_features(obj) -> list[dict]:
    """The features of a FeatureCollection, Feature or bare geometry (properties always a dict)."""
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj]}
    elif isinstance(obj, dict) and obj.get("type") in GEOMETRY_TYPES:
        obj = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": obj, "properties": {}}]}
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection" or not isinstance(obj.get("features"), list):
        raise refuse(_("The file is not valid GeoJSON: it holds no FeatureCollection, Feature or geometry."))
    features = []
    for feature in obj["features"]:
        if not isinstance(feature, dict):
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        features.append({"type": "Feature", "geometry": feature.get("geometry"), "properties": props})
    return features


# --- coordinates: tidy, check, reproject --------------------------------------------------------

def tidy(geometry, label: str) -> dict | None:
    """A 2-D GeoJSON geometry with float coordinates, multi-parts kept; collections flattened, and a
    collection of polygons made a MultiPolygon (of lines a MultiLineString, of points a MultiPoint)."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict):
        raise refuse(_("The geometry of %(feature)s cannot be read.") % {"feature": label})
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = [tidy(g, label) for g in _leaves(geometry, label)]
        parts = [p for p in parts if p]
        return _merge(parts)
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
             "MultiPolygon": 3}.get(kind)
    if depth is None:
        raise refuse(_("%(feature)s has a geometry of unknown type “%(type)s”.")
                     % {"feature": label, "type": str(kind)[:40]})
    try:
        coords = _positions(geometry.get("coordinates"), depth)
    except (TypeError, ValueError) as exc:
        raise refuse(_("%(feature)s has invalid coordinates (numbers expected: longitude, latitude).")
                     % {"feature": label}) from exc
    return {"type": kind, "coordinates": coords} if coords else None


def _leaves(collection: dict, label: str, depth: int = 0) -> list:
    if depth > 10:
        raise refuse(_("%(feature)s nests geometry collections more than 10 levels deep.") % {"feature": label})
    out = []
    for g in collection.get("geometries") or []:
        if isinstance(g, dict) and g.get("type") == "GeometryCollection":
            out.extend(_leaves(g, label, depth + 1))
        else:
            out.append(g)
    return out


def _merge(parts: list[dict]) -> dict | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    families = {"Polygon": "MultiPolygon", "MultiPolygon": "MultiPolygon", "LineString": "MultiLineString",
                "MultiLineString": "MultiLineString", "Point": "MultiPoint", "MultiPoint": "MultiPoint"}
    multi = {families[p["type"]] for p in parts}
    if len(multi) > 1:
        return {"type": "GeometryCollection", "geometries": parts}
    kind = multi.pop()
    coords = []
    for p in parts:
        coords.extend(p["coordinates"] if p["type"].startswith("Multi") else [p["coordinates"]])
    return {"type": kind, "coordinates": coords}


def _positions(value, depth: int):
    if depth == 0:
        if not isinstance(value, list | tuple) or len(value) < 2:
            raise ValueError("position")
        x, y = float(value[0]), float(value[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("not finite")
        return [x, y]
    if not isinstance(value, list | tuple):
        raise TypeError("list expected")
    return [p for p in (_positions(v, depth - 1) for v in value) if p != []]


def _each_position(geometry: dict):
    def walk(value):
        if value and isinstance(value[0], float):
            yield value
        else:
            for v in value:
                yield from walk(v)
    if geometry["type"] == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from _each_position(g)
    else:
        yield from walk(geometry["coordinates"])


def to_wgs84(features: list[dict], crs) -> list[dict]:
    """Tidy every geometry and reproject it to WGS84; refuse coordinates that cannot be lon/lat."""
    transformer = _transformer(crs)
    out = []
    for number, feature in enumerate(features, start=1):
        label = feature_label(number, feature["properties"])
        geometry = tidy(feature["geometry"], label)
        if geometry is not None:
            if transformer is not None:
                _reproject(geometry, transformer, label)
            _check_lonlat(geometry, label, reprojected=transformer is not None)
        out.append({"type": "Feature", "geometry": geometry, "properties": feature["properties"]})
    return out


def _transformer(crs):
    if crs in (None, ""):
        return None
    text = str(crs).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    if text in WGS84_NAMES or text.upper() in {"EPSG:4326", "CRS84", "WGS84"}:
        return None
    import pyproj

    try:
        source = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise refuse(_("The coordinate system “%(crs)s” is unknown; give its EPSG code, e.g. 32616 for UTM 16N.")
                     % {"crs": text[:80]}) from exc
    if source.is_geographic and source.equals(pyproj.CRS("EPSG:4326"), ignore_axis_order=True):
        return None
    return pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)


def _reproject(geometry: dict, transformer, label: str) -> None:
    positions = list(_each_position(geometry))
    xs, ys = transformer.transform([p[0] for p in positions], [p[1] for p in positions])
    for p, x, y in zip(positions, xs, ys, strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise refuse(_("%(feature)s cannot be placed on the map in the chosen coordinate system; check its "
                           "EPSG code.") % {"feature": label})
        p[0], p[1] = round(x, 7), round(y, 7)


def _check_lonlat(geometry: dict, label: str, *, reprojected: bool) -> None:
    for x, y in _each_position(geometry):
        if -180 <= x <= 180 and -90 <= y <= 90:
            continue
        if reprojected:
            raise refuse(_("%(feature)s falls outside the Earth once reprojected; check the coordinate system "
                           "chosen.") % {"feature": label})
        raise refuse(_("%(feature)s: this file seems to use a projected coordinate system (metres); choose its "
                       "EPSG code, e.g. 32616 for UTM 16N, and upload it again.") % {"feature": label})


# --- archives ----------------------------------------------------------------------------------

def _read_zip(data: bytes) -> tuple[dict, str | None]:
    """(collection, crs) from a KMZ or a zipped Shapefile; the crs is the Shapefile's .prj."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise refuse(_("The .zip file is damaged and cannot be opened.")) from exc
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise refuse(_("The .zip file expands to more than %(mb)d MB or %(n)d files; upload the boundary file alone.")
                     % {"mb": MAX_UNZIPPED_BYTES // 2**20, "n": MAX_ZIP_MEMBERS})
    names = {m.filename.lower(): m for m in members if not m.is_dir()}
    kml = [m for n, m in names.items() if n.endswith(".kml")]
    shp = [m for n, m in names.items() if n.endswith(".shp")]
    if shp:
        return read_shapefile_zip(names, lambda m: unzip(archive, m), shp)
    if kml:
        # Google Earth puts everything in doc.kml; ogr2ogr's LIBKML driver writes a doc.kml that links
        # to one layers/<name>.kml per layer: read every KML in the archive, doc.kml first.
        features = []
        for member in sorted(kml, key=lambda m: (m.filename.lower() != "doc.kml", m.filename.count("/"), m.filename)):
            features.extend(kml_to_geojson(unzip(archive, member))["features"])
        return {"type": "FeatureCollection", "features": features}, None
    raise refuse(_("The .zip file holds neither a KML (KMZ) nor a Shapefile (.shp with its .shx, .dbf and .prj)."))


def unzip(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than MAX_UNZIPPED_BYTES whatever its header claims."""
    try:
        with archive.open(member) as handle:
            data = handle.read(MAX_UNZIPPED_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise refuse(_("The .zip file is damaged or encrypted and cannot be opened.")) from exc
    if len(data) > MAX_UNZIPPED_BYTES:
        raise refuse(_("The .zip file expands to more than %(mb)d MB or %(n)d files; upload the boundary file alone.")
                     % {"mb": MAX_UNZIPPED_BYTES // 2**20, "n": MAX_ZIP_MEMBERS})
    return data
