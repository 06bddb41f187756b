"""Which department (admin1) and municipality (admin2) a point is in (docs/geo.md, "Admin areas").

Uploaded admin polygons first (geo/admin_polygons.py): the municipality polygon that holds the
point names both areas (its department from the file or from the department polygons), a
department polygon names the department. What no polygon answers is read from the gazetteer (geo/gazetteer.py): the nearest GeoNames town, or municipality centre,
within MAX_DISTANCE_M gives its department; the nearest one in that department that names a
municipality gives the municipality (GeoNames leaves it blank for many towns; uploaded places of
kind "municipality" fill the gaps). A point is so placed in the areas of the town it is nearest
to: right everywhere but near a border, where the nearest town may lie across it. Beyond
MAX_DISTANCE_M of every town (the sea, another country) the point has no area. Names found so
are spelled as the polygons spell them ("Atlantida" -> "Atlántida") when polygons are stored.

The index is built once per gazetteer (a grid of quarter-degree cells, a few milliseconds for a
country's ~2,000 towns) and kept while the gazetteer is current.
"""

from __future__ import annotations

import threading
from math import cos, floor, radians, sqrt

from testigo.geo import admin_polygons, gazetteer

# Farther than this from every town and municipality centre, a point is in no known area.
MAX_DISTANCE_M = 25_000
CELL_DEG = 0.25  # ~27 km: the 3x3 cells around a point hold every place within MAX_DISTANCE_M
AREA_KINDS = ("town", "municipality")
LEVELS = ("admin1", "admin2")

_lock = threading.Lock()
# The index of the current gazetteer, replaced whole (one assignment) when the gazetteer changes:
# a reader without the lock sees the old index or the new one, never a mix.
_held: dict = {"state": {"gazetteer": None, "grid": None, "near": {}, "memo": {}}}
# Points whose areas are remembered (public points: cell centres, shared by a town's reports).
MEMO_SIZE = 1 << 16


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return floor(lat / CELL_DEG), floor(lon / CELL_DEG)


def _grid(gaz: gazetteer.Gazetteer) -> dict[tuple[int, int], list[tuple[gazetteer.Place, str, str]]]:
    """cell -> [(place, admin1, admin2)] for every place that names the areas it is in."""
    grid: dict[tuple[int, int], list] = {}
    for place in gaz.places:
        if place.kind not in AREA_KINDS or not place.admin1:
            continue
        admin2 = place.name if place.kind == "municipality" else place.parent
        grid.setdefault(_cell(place.lat, place.lon), []).append((place, place.admin1[:100], admin2[:100]))
    return grid


def _current(gaz: gazetteer.Gazetteer | None = None) -> dict:
    gaz = gaz or gazetteer.current()
    state = _held["state"]
    if state["gazetteer"] is gaz:  # the usual case, without the lock
        return state
    with _lock:
        if _held["state"]["gazetteer"] is not gaz:
            _held["state"] = {"gazetteer": gaz, "grid": _grid(gaz), "near": {}, "memo": {}}
        return _held["state"]


def _near(held: dict, row: int, col: int) -> tuple:
    """(lat, lon, admin1, admin2) of the places in the 3x3 cells around (row, col), in the order
    area_at used to read the cells; made once per cell."""
    found = held["near"].get((row, col))
    if found is None:
        grid = held["grid"]
        found = tuple((place.lat, place.lon, admin1, admin2) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                      for place, admin1, admin2 in grid.get((row + dr, col + dc), ()))
        held["near"][(row, col)] = found
    return found


def area_at(lat: float | None, lon: float | None, *, gaz: gazetteer.Gazetteer | None = None,
            remember: bool = False, polygons: admin_polygons.AreaIndex | None | bool = True) -> tuple[str, str]:
    """(admin1, admin2) of the point, or ("", "") when it has none or is far from every town.
    `remember`: keep the answer for this exact point (public points, which many reports share;
    an import asks for each of 100,000 rows) while the gazetteer and the polygons stay the same.
    `polygons`: an index already read (bulk callers read it once), None for none, True to read it."""
    if lat is None or lon is None:
        return "", ""
    held = _current(gaz)
    index = admin_polygons.current() if polygons is True else polygons
    if remember:
        memo = held["memo"]
        if held.get("memo_index") is not index:  # other polygons: other answers
            memo.clear()
            held["memo_index"] = index
        found = memo.get((lat, lon))
        if found is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            found = memo[(lat, lon)] = _areas(held, lat, lon, index)
        return found
    return _areas(held, lat, lon, index)


def _areas(held: dict, lat: float, lon: float, index) -> tuple[str, str]:
    admin1 = admin2 = ""
    if index:
        found = index.find("admin2", lon, lat)
        if found:
            admin1, admin2 = found
        in_admin1 = index.find("admin1", lon, lat)
        if in_admin1:
            admin1 = in_admin1[1]  # the department polygon beats a municipality file's own column
        if admin1 and admin2:
            return admin1, admin2
    near_admin1, near_admin2 = _nearest(held, lat, lon, admin1=admin1, index=index)
    return admin1 or near_admin1, admin2 or near_admin2


def _nearest(held: dict, lat: float, lon: float, *, admin1: str, index) -> tuple[str, str]:
    """The nearest towns' areas (within MAX_DISTANCE_M), in the department `admin1` when known."""
    near = []
    # gazetteer.distance_m(here, place), inlined (the same arithmetic, so the same distances):
    # an import places every row, and the call cost more than the arithmetic.
    for place_lat, place_lon, a1, a2 in _near(held, *_cell(lat, lon)):
        x = radians(place_lon - lon) * cos(radians((lat + place_lat) / 2))
        d = 6_371_000 * sqrt(x * x + radians(place_lat - lat) ** 2)
        if d <= MAX_DISTANCE_M:
            if index:
                a1, a2 = index.spelled("admin1", a1), index.spelled("admin2", a2)
            near.append((d, a1, a2))
    if not near:
        return "", ""
    near.sort()
    admin1 = admin1 or near[0][1]
    # Many GeoNames towns name no municipality: the nearest one in the same department that does.
    admin2 = next((a2 for _d, a1, a2 in near if a2 and a1 == admin1), "")
    return admin1, admin2


def area_of_place(place: dict | gazetteer.Place) -> tuple[str, str]:
    """(admin1, admin2) a gazetteer place (or its as_dict()) names itself: a department names only
    admin1; a municipality is its own admin2; a town's admin2 is its parent. Neighbourhoods'
    parents may be a town, so they are placed by their point instead ("", "" here)."""
    get = place.get if isinstance(place, dict) else lambda k, d="": getattr(place, k, d)
    kind, admin1 = get("kind", ""), (get("admin1", "") or "")[:100]
    if kind == "department":
        return (get("name", "") or "")[:100], ""
    if kind == "municipality":
        return admin1, (get("name", "") or "")[:100]
    if kind == "town":
        return admin1, (get("parent", "") or "")[:100]
    return "", ""


def centres(level: str, *, gaz: gazetteer.Gazetteer | None = None) -> dict:
    """Where to draw each area's count: {department: (lat, lon)} at level admin1,
    {(department, municipality): (lat, lon)} at admin2: a point inside the uploaded polygon, else
    the gazetteer's centre (the mean of its towns for GeoNames areas, or the uploaded place's point)."""
    gaz = gaz or gazetteer.current()
    kind = "department" if level == "admin1" else "municipality"
    out = {}
    index = admin_polygons.current()
    if index and index.has(level):
        for (admin1, name), (lat, lon) in index.inside_points(level).items():
            out[name if level == "admin1" else (admin1, name)] = (lat, lon)
    for place in gaz.places:
        if place.kind == kind:
            key = place.name if level == "admin1" else (place.admin1, place.name)
            out.setdefault(key, (round(place.lat, 5), round(place.lon, 5)))
    return out
