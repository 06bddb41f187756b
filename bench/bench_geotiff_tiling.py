"""Aerial imagery overlays (issue #22): how long Testigo takes to tile an uploaded GeoTIFF into an
MBTiles overlay (testigo/geo/aerial.py: gdalwarp to EPSG:3857, gdal_translate -of MBTILES,
gdaladdo), the work the worker does after the upload.

The GeoTIFF is an uncompressed RGB photo-like raster (smooth gradients plus noise, so its PNG tiles
weigh what a kite photo's do) over a few km of Tegucigalpa at ~0.3 m pixels, built with Pillow and
placed with gdal_translate: ~100 MB (5,800 px square), or ~10 MB (1,830 px) when
TESTIGO_BENCH_QUICK=1 (under a minute). Prints JSON lines {"name","value","unit","target","n"}.
No database: tiling is GDAL and files only.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

QUICK = _seed.QUICK
SIDE = 1830 if QUICK else 5800  # RGB bytes: side * side * 3 ≈ 10 MB / 100 MB


def make_geotiff(folder: Path) -> Path:
    from PIL import Image

    noise = Image.effect_noise((SIDE, SIDE), 40)
    gradient = Image.linear_gradient("L").resize((SIDE, SIDE))
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_90)))
    png = folder / "photo.png"
    image.save(png, compress_level=1)
    tif = folder / "photo.tif"
    degrees = SIDE * 0.3 / 111_000  # 0.3 m pixels
    west, north = -87.22, 14.10
    subprocess.run(["gdal_translate", "-q", "-of", "GTiff", "-a_srs", "EPSG:4326", "-a_ullr", str(west), str(north),
                    str(west + degrees), str(north - degrees), str(png), str(tif)], check=True)
    png.unlink()
    return tif


def main() -> None:
    from django.conf import settings

    settings.configure(USE_I18N=False)
    from testigo.geo import aerial, tilesets

    with tempfile.TemporaryDirectory(prefix="bench-aerial-") as tmp:
        folder = Path(tmp)
        tif = make_geotiff(folder)
        megabytes = tif.stat().st_size / 1e6
        start = time.perf_counter()
        out = aerial.tile(tif, folder / "out.mbtiles", name="bench")
        seconds = time.perf_counter() - start
        info = tilesets.inspect_file(out)
        _seed.emit("geotiff_tiling_seconds", round(seconds, 2), "s", None, 1, input_mb=round(megabytes, 1),
                   zooms=f"{info.min_zoom}-{info.max_zoom}", output_mb=round(out.stat().st_size / 1e6, 1))
        _seed.emit("geotiff_tiling_mb_per_second", round(megabytes / seconds, 2), "MB/s", None, 1)


if __name__ == "__main__":
    main()
