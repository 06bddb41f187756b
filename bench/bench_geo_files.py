"""Boundary files: reading and storing a ~10 MB national boundary file as alert zones and as a map
layer, in GeoJSON, in the KML ogr2ogr writes (MultiGeometry) and as a zipped Shapefile.

The file is the real Natural Earth country set of tests/geo/files (257 KB), densified with shapely's
segmentize until its GeoJSON weighs about 9.5 MB (the zone upload cap is 10 MB): the same shapes
with as many vertices as a detailed department file. Map layers are capped at 5 MB on upload; the
layer rows here lift that cap to measure the same file (the "layer_cap_mb" field says so).

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: the 257 KB file as it
is, under 20 s.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

QUICK = _seed.QUICK
SOURCE = _seed.ROOT / "tests" / "geo" / "files" / "world_countries.geojson"
TARGET_BYTES = 9_500_000


def boundary_file() -> bytes:
    """The real file, densified to about TARGET_BYTES (or as it is, when QUICK)."""
    data = SOURCE.read_bytes()
    if QUICK:
        return data
    import shapely
    from shapely.geometry import mapping, shape

    collection = json.loads(data)
    step = 0.5
    while True:
        dense = {"type": "FeatureCollection", "features": [
            {**f, "geometry": mapping(shapely.segmentize(shape(f["geometry"]), step))} for f in collection["features"]]}
        out = json.dumps(dense, separators=(",", ":")).encode()
        if len(out) >= TARGET_BYTES * 0.9 or step < 0.005:
            return out if len(out) <= TARGET_BYTES * 1.05 else _trim(dense)
        step *= (len(out) / TARGET_BYTES) ** 0.9


def _trim(collection: dict) -> bytes:
    """Round coordinates to 6 decimals (about 10 cm) when densifying overshot the cap."""
    def r(v):
        return [r(x) for x in v] if isinstance(v, list) else round(v, 6)
    for f in collection["features"]:
        f["geometry"]["coordinates"] = r(f["geometry"]["coordinates"])
    return json.dumps(collection, separators=(",", ":")).encode()


def variants(geojson: bytes, work: Path) -> dict[str, tuple[str, bytes]]:
    files = {"geojson": ("world.geojson", geojson)}
    if not shutil.which("ogr2ogr"):
        _seed.emit("geo_files.ogr2ogr", None, "", skipped="ogr2ogr is not installed: KML and Shapefile rows skipped")
        return files
    (work / "src.geojson").write_bytes(geojson)
    subprocess.run(["ogr2ogr", "-f", "KML", str(work / "w.kml"), str(work / "src.geojson")], check=True,
                   capture_output=True)
    files["kml"] = ("world.kml", (work / "w.kml").read_bytes())
    (work / "shp").mkdir()
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(work / "shp" / "w.shp"), str(work / "src.geojson")],
                   check=True, capture_output=True)
    with zipfile.ZipFile(work / "w.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in (work / "shp").iterdir():
            archive.write(part, part.name)
    files["shapefile"] = ("world.zip", (work / "w.zip").read_bytes())
    return files


def measure(fmt: str, filename: str, data: bytes) -> None:
    from testigo.alerts import zones
    from testigo.alerts.models import Zone
    from testigo.core import roles
    from testigo.geo import files, services
    from testigo.geo.models import Layer

    start = time.perf_counter()
    collection = files.read_geo_file(filename, data, purpose="layers")
    elapsed = time.perf_counter() - start
    n = len(collection["features"])
    _seed.emit(f"geo_files_read_{fmt}", round(elapsed, 2), "s", 5, n, mb=round(len(data) / 1e6, 1),
               features_per_s=round(n / elapsed))

    start = time.perf_counter()
    created, _warnings = zones.import_zones(actor=roles.SYSTEM, filename=filename, data=data)
    elapsed = time.perf_counter() - start
    _seed.emit(f"geo_files_zones_{fmt}", round(elapsed, 2), "s", 10, len(created), mb=round(len(data) / 1e6, 1),
               features_per_s=round(len(created) / elapsed))
    Zone.objects.all().delete()

    cap = services.MAX_LAYER_BYTES
    services.MAX_LAYER_BYTES = max(cap, len(data) + 1)
    try:
        start = time.perf_counter()
        layer = services.create_layer(actor=roles.SYSTEM, name_es="Países", name_en="Countries", filename=filename,
                                      data=data)
        elapsed = time.perf_counter() - start
    finally:
        services.MAX_LAYER_BYTES = cap
    _seed.emit(f"geo_files_layer_{fmt}", round(elapsed, 2), "s", 10, layer.feature_count,
               mb=round(len(data) / 1e6, 1), features_per_s=round(layer.feature_count / elapsed),
               layer_cap_mb=cap // 2**20)
    Layer.objects.all().delete()


def main() -> None:
    _seed.setup_django()
    from django.conf import settings

    settings.ALERT_MAX_UPLOAD_MB = max(settings.ALERT_MAX_UPLOAD_MB, 12)  # a KML of the same shapes weighs more
    geojson = boundary_file()
    with tempfile.TemporaryDirectory() as work:
        for fmt, (filename, data) in variants(geojson, Path(work)).items():
            measure(fmt, filename, data)


if __name__ == "__main__":
    main()
