"""Make a small test copy of a real admin boundary file: ogr2ogr (GDAL, Debian's gdal-bin)
simplifies it and rounds its coordinates, keeping only the fields the tests read.

    python tools/simplify_boundary_file.py SOURCE.geojson tests/geo/boundaries/hnd_adm1.geojson \
        --fields shapeName,shapeISO --tolerance 0.003

Used for tests/geo/boundaries/hnd_adm1.geojson (see SOURCE.md beside it): a 2.5 MB national
file becomes ~110 KB. Each shape is simplified on its own (Douglas-Peucker keeping it valid), so two
neighbours' borders may differ by up to the tolerance (~300 m): tests use points farther from a border."""

from __future__ import annotations

import argparse
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--fields", default="shapeName,shapeISO", help="properties kept, comma-separated")
    parser.add_argument("--tolerance", default="0.003", help="simplification tolerance in degrees")
    args = parser.parse_args()
    command = ["ogr2ogr", "-f", "GeoJSON", "-overwrite", "-t_srs", "EPSG:4326", "-simplify", args.tolerance,
               "-select", args.fields, "-lco", "COORDINATE_PRECISION=5", "-lco", "RFC7946=YES",
               args.target, args.source]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
