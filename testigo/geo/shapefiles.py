"""A zipped ESRI Shapefile (.shp, .shx, .dbf, .prj, .cpg), the format most GIS offices hand out.

Read with pyshp (pure Python). The .prj (WKT) names the coordinate system, turned into an EPSG code
or WKT that pyproj understands; the attribute table (.dbf) is decoded with the .cpg code page, or
latin-1 when there is none: old Central American cadastre files are Windows-1252 or latin-1, and
latin-1 never fails to decode (a wrong guess shows odd accents, not an error).
"""

from __future__ import annotations

import codecs
import datetime
import decimal
import io
import struct

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _encoding(cpg: bytes | None) -> str:
    text = (cpg or b"").decode("ascii", "ignore").strip()
    if text.isdigit():
        text = {"65001": "utf-8", "88591": "latin-1"}.get(text, f"cp{text}")
    try:
        return codecs.lookup(text).name if text else "latin-1"
    except LookupError:
        return "latin-1"


def _value(value):
    if isinstance(value, datetime.date | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def read_shapefile_zip(names: dict, read, shp_members: list) -> tuple[dict, str | None]:
    """(FeatureCollection in the file's own coordinates, its CRS as WKT or None)."""
    import shapefile

    if len(shp_members) > 1:
        raise ValidationError(_("The .zip file holds several Shapefiles (%(names)s); upload one per file.")
                              % {"names": ", ".join(sorted(m.filename for m in shp_members)[:5])})
    stem = shp_members[0].filename.lower()[:-4]
    parts = {ext: names.get(stem + ext) for ext in (".shx", ".dbf", ".prj", ".cpg")}
    if parts[".dbf"] is None or parts[".shx"] is None:
        raise ValidationError(_("The Shapefile is incomplete: the .zip must hold the .shp, .shx and .dbf files "
                                "(and the .prj that names its coordinate system)."))
    prj = read(parts[".prj"]).decode("latin-1").strip() if parts[".prj"] else None
    encoding = _encoding(read(parts[".cpg"]) if parts[".cpg"] else None)
    features: list = []
    try:
        reader = shapefile.Reader(shp=io.BytesIO(read(shp_members[0])), shx=io.BytesIO(read(parts[".shx"])),
                                  dbf=io.BytesIO(read(parts[".dbf"])), encoding=encoding, encodingErrors="replace")
        fields = [f[0] for f in reader.fields[1:]]
        for item in reader.iterShapeRecords():
            props = {k: _value(v) for k, v in zip(fields, list(item.record), strict=False)}
            shape = item.shape
            geometry = None if shape.shapeType == shapefile.NULL or not shape.points else shape.__geo_interface__
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
    except (shapefile.ShapefileException, struct.error, ValueError, TypeError, IndexError, KeyError, AttributeError,
            OSError, EOFError) as exc:  # pyshp reads headers with struct: a damaged file fails in many ways
        raise ValidationError(_("The Shapefile cannot be read (shape %(n)d); export it again from your GIS.")
                              % {"n": len(features) + 1}) from exc
    return {"type": "FeatureCollection", "features": features}, prj
