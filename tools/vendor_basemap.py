"""Vendor the built-in fallback basemap (country boundaries) from the npm package `world-atlas`.

The map must draw something when no tile server answers (offline, blocked, TESTIGO_TILE_URL=none),
so Testigo ships country shapes under testigo/static/vendor/world-atlas-<version>/, like Leaflet:
committed, no CDN, no npm at run time. Two files, both TopoJSON (arcs shared between neighbours,
integers; a fifth of the GeoJSON's size):

- countries-110m.json: the whole world, coarse (the package's file as is, 38 KB gzipped);
- region-50m.json: the countries that touch REGION (lon/lat box, default Mexico to Colombia and
  the Caribbean) at 1:50m, cut out of the package's countries-50m.json (the whole 50m file is
  230 KB gzipped, over the page budget of 150 KB).

Run from the repository root (needs npm for `npm pack`; the registry is the only network use):

    python tools/vendor_basemap.py [--region W,S,E,N] [--version 2.0.2]

Natural Earth data is public domain; world-atlas's scripts are ISC (its LICENSE is copied).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = (-118.0, -5.0, -58.0, 33.0)


def arc_bbox(arcs: list, transform: dict | None) -> list[tuple[float, float, float, float]]:
    """Each arc's lon/lat box (arcs are delta-encoded integers when the topology is quantized)."""
    boxes = []
    for arc in arcs:
        x = y = 0
        xs, ys = [], []
        for point in arc:
            if transform:
                x, y = x + point[0], y + point[1]
                xs.append(x * transform["scale"][0] + transform["translate"][0])
                ys.append(y * transform["scale"][1] + transform["translate"][1])
            else:
                xs.append(point[0])
                ys.append(point[1])
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return boxes


def _arc_ids(arcs) -> list[int]:
    if isinstance(arcs, int):
        return [arcs if arcs >= 0 else ~arcs]
    return [i for part in arcs for i in _arc_ids(part)]


def _remap(arcs, new_index: dict[int, int]):
    if isinstance(arcs, int):
        return new_index[arcs] if arcs >= 0 else ~new_index[~arcs]
    return [_remap(part, new_index) for part in arcs]


def cut_region(topology: dict, region: tuple[float, float, float, float]) -> dict:
    """The countries whose shape touches `region`, with only the arcs they use."""
    boxes = arc_bbox(topology["arcs"], topology.get("transform"))
    w, s, e, n = region

    def touches(geometry) -> bool:
        return any(b[0] <= e and b[2] >= w and b[1] <= n and b[3] >= s for b in (boxes[i] for i in _arc_ids(geometry["arcs"])))

    kept = [g for g in topology["objects"]["countries"]["geometries"] if g.get("arcs") and touches(g)]
    used = sorted({i for g in kept for i in _arc_ids(g["arcs"])})
    new_index = {old: new for new, old in enumerate(used)}
    geometries = [{**g, "arcs": _remap(g["arcs"], new_index)} for g in kept]
    return {"type": "Topology", "transform": topology["transform"], "bbox": list(region),
            "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
            "arcs": [topology["arcs"][i] for i in used]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2.0.2")
    parser.add_argument("--region", default=",".join(str(v) for v in DEFAULT_REGION),
                        help="west,south,east,north in degrees")
    args = parser.parse_args()
    region = tuple(float(v) for v in args.region.split(","))
    out = ROOT / "testigo" / "static" / "vendor" / f"world-atlas-{args.version}"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"world-atlas@{args.version}", "--silent"], cwd=tmp, check=True)
        with tarfile.open(next(Path(tmp).glob("world-atlas-*.tgz"))) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(package / "countries-110m.json", out / "countries-110m.json")
        shutil.copy(package / "LICENSE", out / "LICENSE")
        region_topology = cut_region(json.loads((package / "countries-50m.json").read_text()), region)
    (out / "region-50m.json").write_text(json.dumps(region_topology, separators=(",", ":")))
    (out / "README").write_text(
        f"world-atlas {args.version} from the npm package 'world-atlas' (Natural Earth, public domain; scripts ISC, "
        f"see LICENSE). countries-110m.json as shipped; region-50m.json = countries-50m.json cut to {args.region} "
        "by tools/vendor_basemap.py.\n")
    print(f"wrote {out}: {len(region_topology['objects']['countries']['geometries'])} countries in the region")


if __name__ == "__main__":
    main()
