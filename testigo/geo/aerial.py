"""Aerial imagery overlays (Grassroots Mapping, issue #22): a georeferenced GeoTIFF, or a JPEG/PNG
with its corner coordinates (north-up) or with control points (any rotation), becomes an MBTiles
overlay that Testigo serves like any tile set.

GDAL's command-line tools (Debian's gdal-bin) do the work, in a scratch folder:
  1. gdalinfo -json: the image must say where it is (a geotransform and a coordinate system), unless
     its four corners were given (then gdal_translate -a_ullr/-a_srs EPSG:4326 writes a VRT) or at
     least three ground control points, pixel -> lon/lat (gdal_translate -gcp writes a VRT);
  2. gdalwarp to EPSG:3857 (web map), with an alpha band so the outside of the image is see-through;
     control points are fitted with a first-order polynomial (-order 1: rotation, scale, shear), so
     a photo taken at any heading lands where its points say;
  3. gdal_translate -of MBTILES (PNG tiles, zoom chosen from the image's resolution);
  4. gdaladdo: the lower zoom levels.
A failure at any step is a ValidationError in the uploader's language; the scratch folder is removed
either way, so nothing half-made is kept. `progress(percent)` is called as GDAL reports it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Share of the whole job each step takes (gdalwarp is most of it), for the progress bar.
_STEPS = (("warp", 0, 60), ("translate", 60, 85), ("overviews", 85, 99))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ValidationError(_("GDAL (the gdal-bin package) is not installed on the server, so imagery cannot be tiled."),
                              code="no_gdal")
    return path


def _run(args: list[str], *, step: str, progress: Callable[[int], None] | None) -> None:
    """Run a GDAL tool, reporting its "0...10...20" progress mapped onto this step's share."""
    start, end = next((s, e) for name, s, e in _STEPS if name == step)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while True:
        chunk = proc.stdout.read(16)
        if not chunk:
            break
        seen += chunk
        numbers = re.findall(rb"(\d+)\.\.\.", seen[-64:])
        if numbers and progress:
            progress(start + (end - start) * min(int(numbers[-1]), 100) // 100)
    stderr = proc.stderr.read().decode("utf-8", "replace")
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, stderr=stderr)


def describe(path: str | Path) -> dict:
    """gdalinfo's JSON for the file, or a ValidationError when GDAL cannot read it as an image."""
    result = subprocess.run([_tool("gdalinfo"), "-json", str(path)], capture_output=True, text=True)
    try:
        info = json.loads(result.stdout) if result.returncode == 0 else None
    except ValueError:
        info = None
    if not info or not info.get("bands"):
        raise ValidationError(_("This file is not an image GDAL can read (use a GeoTIFF, or a JPEG or PNG with its corners)."),
                              code="unreadable")
    return info


def is_georeferenced(info: dict) -> bool:
    wkt = (info.get("coordinateSystem") or {}).get("wkt") or ""
    return bool(wkt.strip()) and ("geoTransform" in info or bool((info.get("gcps") or {}).get("gcpList")))


def check_corners(corners) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees, or a ValidationError."""
    try:
        west, south, east, north = (float(v) for v in corners)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Give the image's four corners as numbers: west, south, east, north."),
                              code="corners") from exc
    if not (-180 <= west < east <= 180 and -85.06 <= south < north <= 85.06):
        raise ValidationError(_("The corners must be west < east (between -180 and 180) and south < north (between -85 and 85)."),
                              code="corners")
    return west, south, east, north


MIN_GCPS, MAX_GCPS = 3, 50


def parse_gcps(text: str) -> list[tuple[float, float, float, float]]:
    """Control points typed one a line as "pixel_x pixel_y longitude latitude" (commas or spaces;
    pixels from the image's top-left corner, degrees WGS84), or a ValidationError."""
    points = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace(",", " ").replace(";", " ").split()
        try:
            px, py, lon, lat = (float(v) for v in parts)
        except ValueError as exc:
            raise ValidationError(_("Control point line %(line)d must be four numbers: pixel x, pixel y, longitude, latitude.")
                                  % {"line": number}, code="gcps") from exc
        if not (-180 <= lon <= 180 and -85.06 <= lat <= 85.06) or px < 0 or py < 0:
            raise ValidationError(_("Control point line %(line)d is off the map: pixels count from 0, longitude is "
                                    "between -180 and 180, latitude between -85 and 85.") % {"line": number}, code="gcps")
        points.append((px, py, lon, lat))
    if not MIN_GCPS <= len(points) <= MAX_GCPS:
        raise ValidationError(_("Give between %(min)d and %(max)d control points (one a line); %(count)d given.")
                              % {"min": MIN_GCPS, "max": MAX_GCPS, "count": len(points)}, code="gcps")
    return points


def _spread(points) -> float:
    """Twice the largest triangle's area among the points (0: all in a line, nothing to fit)."""
    best = 0.0
    for i, (ax, ay) in enumerate(points):
        for j in range(i + 1, len(points)):
            for k in range(j + 1, len(points)):
                (bx, by), (cx, cy) = points[j], points[k]
                best = max(best, abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)))
    return best


def check_gcps(gcps, info: dict) -> list[tuple[float, float, float, float]]:
    """The control points, checked against the image: inside it, and not all on one line."""
    points = parse_gcps(gcps) if isinstance(gcps, str) else [tuple(float(v) for v in p) for p in gcps]
    width, height = (info.get("size") or [0, 0])[:2]
    if any(px > width or py > height for px, py, _lon, _lat in points):
        raise ValidationError(_("A control point lies outside the image (%(width)d × %(height)d pixels).")
                              % {"width": width, "height": height}, code="gcps")
    pixels, ground = [(p[0], p[1]) for p in points], [(p[2], p[3]) for p in points]
    if _spread(pixels) < 1e-6 * max(width * height, 1) or _spread(ground) < 1e-14:
        raise ValidationError(_("The control points are all on one line (or on one spot): spread them over the "
                                "image, near its corners."), code="gcps")
    return points


def check_source(path: str | Path, corners=None, gcps=None) -> dict:
    """Refuse, before anything is stored or queued, an image that cannot be placed on the map."""
    info = describe(path)
    if corners is not None and gcps:
        raise ValidationError(_("Give either the corners or the control points, not both."), code="gcps")
    if gcps:
        check_gcps(gcps, info)
        return info
    if corners is None and not is_georeferenced(info):
        raise ValidationError(_("This image has no georeferencing (no coordinate system or position). "
                                "Upload a georeferenced GeoTIFF, or give the image's corner coordinates."),
                              code="not_georeferenced")
    if corners is not None:
        check_corners(corners)
        return info
    # The image's centre, through its own coordinate system to web map coordinates: fails (rc != 0 or
    # no numbers) for a coordinate system with no known way to EPSG:3857 (a local engineering grid).
    size = info.get("size") or [1, 1]
    result = subprocess.run([_tool("gdaltransform"), "-t_srs", "EPSG:3857", str(path)],
                            input=f"{size[0] / 2} {size[1] / 2}\n", capture_output=True, text=True)
    numbers = result.stdout.split()
    try:
        ok = result.returncode == 0 and len(numbers) >= 2 and all(abs(float(v)) < 2.1e7 for v in numbers[:2])
    except ValueError:
        ok = False
    if not ok:
        raise ValidationError(_("The image's coordinate system cannot be converted to web map coordinates "
                                "(EPSG:3857), so it cannot be placed on the map."), code="crs")
    return info


def tile(source: str | Path, destination: str | Path, *, corners=None, gcps=None, name: str = "",
         progress: Callable[[int], None] | None = None) -> Path:
    """Tile `source` into an MBTiles file at `destination` (written only when every step worked)."""
    info = check_source(source, corners, gcps)
    destination = Path(destination)
    with tempfile.TemporaryDirectory(prefix="aerial-", dir=destination.parent) as scratch:
        scratch = Path(scratch)
        src = str(source)
        if corners is not None:
            west, south, east, north = check_corners(corners)
            src = str(scratch / "placed.vrt")
            try:
                subprocess.run([_tool("gdal_translate"), "-q", "-of", "VRT", "-a_srs", "EPSG:4326",
                                "-a_ullr", repr(west), repr(north), repr(east), repr(south), str(source), src],
                               check=True, capture_output=True)
            except subprocess.CalledProcessError as exc:
                raise ValidationError(_("The image could not be placed at the given corners."), code="corners") from exc
        fit = []
        if gcps:
            src = str(scratch / "placed.vrt")
            args = [_tool("gdal_translate"), "-q", "-of", "VRT", "-a_srs", "EPSG:4326"]
            for px, py, lon, lat in check_gcps(gcps, info):
                args += ["-gcp", repr(px), repr(py), repr(lon), repr(lat)]
            try:
                subprocess.run([*args, str(source), src], check=True, capture_output=True)
            except subprocess.CalledProcessError as exc:
                raise ValidationError(_("The image could not be placed at the given control points."), code="gcps") from exc
            fit = ["-order", "1"]  # affine: any heading, scale and shear; what 3 points determine
        warped = scratch / "warped.tif"
        try:
            _run([_tool("gdalwarp"), *fit, "-t_srs", "EPSG:3857", "-r", "bilinear", "-dstalpha", "-of", "GTiff",
                  "-co", "TILED=YES", "-co", "BIGTIFF=IF_SAFER", "-multi", "-wo", "NUM_THREADS=2", src, str(warped)],
                 step="warp", progress=progress)
        except subprocess.CalledProcessError as exc:
            raise ValidationError(_("The image's coordinate system cannot be converted to web map coordinates "
                                    "(EPSG:3857), so it cannot be placed on the map."), code="crs") from exc
        tiles = scratch / "out.mbtiles"
        try:
            _run([_tool("gdal_translate"), "-of", "MBTILES", "-co", "TILE_FORMAT=PNG",
                  "-co", f"NAME={name or 'aerial'}", str(warped), str(tiles)], step="translate", progress=progress)
            _run([_tool("gdaladdo"), "-r", "average", str(tiles)], step="overviews", progress=progress)
        except subprocess.CalledProcessError as exc:
            raise ValidationError(_("GDAL could not tile this image: %(error)s")
                                  % {"error": ((exc.stderr or "").strip().splitlines() or ["?"])[-1]}, code="tiling") from exc
        shutil.move(str(tiles), destination)
    if progress:
        progress(100)
    return destination
