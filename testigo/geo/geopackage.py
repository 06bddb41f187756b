"""A GeoPackage (.gpkg, OGC 12-128r18): the SQLite file QGIS and most GIS offices now hand out.

Read with the standard library's sqlite3 and shapely: no GDAL. The upload is opened in memory
(`deserialize`), never written to disk, with `trusted_schema` off, and only tables that
`gpkg_contents` names as features *and* that are real tables are read (a view or trigger in an
uploaded file runs nothing). Each geometry is a GeoPackage blob: an 8-byte header ("GP", version,
flags, srs id), an optional envelope, then standard (or ISO) WKB, which shapely reads.
"""

from __future__ import annotations

import sqlite3
import struct

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAGIC = b"SQLite format 3\x00"
ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
MAX_FEATURES = 200_000


def is_geopackage(data: bytes) -> bool:
    return data[:16] == MAGIC


def read_geopackage(data: bytes) -> tuple[dict, str | None]:
    """(FeatureCollection in the file's own coordinates, its CRS as "EPSG:n" or WKT, or None).
    Every feature table is read (a file of departments and one of municipalities is one upload
    each: the uploader picks the level)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        connection.execute("PRAGMA trusted_schema = OFF")
        tables = connection.execute(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c "
            "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
            "JOIN sqlite_master m ON m.name = c.table_name AND m.type = 'table' "
            "WHERE c.data_type = 'features' ORDER BY c.table_name").fetchall()
        if not tables:
            raise ValidationError(_("The GeoPackage holds no table of features."))
        features, crs = [], None
        for table, column, srs_id in tables:
            crs = crs or _crs(connection, srs_id)
            features.extend(_features(connection, table, column))
            if len(features) > MAX_FEATURES:
                raise ValidationError(_("The file has more than %(n)d shapes; split it.") % {"n": MAX_FEATURES})
    except sqlite3.DatabaseError as exc:
        raise ValidationError(_("The GeoPackage cannot be read; export it again from your GIS.")) from exc
    finally:
        connection.close()
    return {"type": "FeatureCollection", "features": features}, crs


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _crs(connection, srs_id) -> str | None:
    row = connection.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                             "WHERE srs_id = ?", (srs_id,)).fetchone()
    if row is None or srs_id in (0, -1):  # 0 and -1: "undefined" geographic / cartesian
        return None
    organization, code, definition = row
    if str(organization or "").upper() == "EPSG" and code:
        return f"EPSG:{int(code)}"
    return str(definition) if definition and str(definition).strip().lower() != "undefined" else None


def _features(connection, table: str, column: str) -> list[dict]:
    cursor = connection.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608 - a name from the file, quoted
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor:
        props, geometry = {}, None
        for name, value in zip(names, row, strict=True):
            if name == column:
                geometry = _geometry(value, len(out) + 1)
            elif not isinstance(value, bytes | memoryview):
                props[name] = value
        out.append({"type": "Feature", "geometry": geometry, "properties": props})
    return out


def _geometry(blob, number: int) -> dict | None:
    """GeoJSON geometry of a GeoPackage blob; None when empty."""
    if blob is None:
        return None
    from shapely import wkb
    from shapely.errors import GEOSException

    blob = bytes(blob)
    try:
        if blob[:2] != b"GP":
            raise ValueError("not a GeoPackage geometry")
        flags = blob[3]
        if flags & 0b10000:  # the empty-geometry flag
            return None
        start = 8 + ENVELOPE_BYTES[(flags >> 1) & 0b111]
        shape = wkb.loads(blob[start:])
    except (ValueError, KeyError, IndexError, struct.error, GEOSException) as exc:
        raise ValidationError(_("The GeoPackage's shape %(n)d cannot be read; export it again from your GIS.")
                              % {"n": number}) from exc
    return None if shape.is_empty else shape.__geo_interface__
