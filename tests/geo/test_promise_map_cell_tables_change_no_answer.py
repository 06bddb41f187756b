"""The in-memory map's table of ready cells per level (geo/memindex.py, issue #19) changes no
answer: for random points and random viewports (the antimeridian, tile borders, the whole world),
the cells with the tables equal the cells without them and a brute-force count, and the walk
never hands out a table's shared cell twice."""

from __future__ import annotations

import random
from collections import defaultdict

from testigo.geo import memindex
from testigo.geo.clustering import Viewport
from testigo.geo.tiles import KEY_ZOOM, lonlat_to_tile, tile_key, tile_to_lonlat


def _views(rng: random.Random, around: list[tuple[float, float]]):
    for _ in range(400):
        zoom = rng.randint(0, 20)
        if rng.random() < 0.05:
            yield Viewport(-180.0, -85.0, 180.0, 85.0, zoom)
            continue
        lat, lon = rng.choice(around)
        if rng.random() < 0.3:  # edges on tile borders
            level = max(0, min(KEY_ZOOM, zoom + 2))
            x, y = lonlat_to_tile(lon, lat, level)
            west, north = tile_to_lonlat(x - rng.randint(0, 3), y - rng.randint(0, 3), level)
            east, south = tile_to_lonlat(x + rng.randint(1, 4), y + rng.randint(1, 4), level)
            yield Viewport(max(-180.0, west), max(-85.0, south), min(180.0, east), min(85.0, north), zoom)
            continue
        width = min(359.0, rng.uniform(0.2, 3.0) * 1280 / 256 * 360 / 2 ** zoom)
        west, east = ((lon - width / 2 + 540) % 360) - 180, ((lon + width / 2 + 540) % 360) - 180
        height = min(170.0, width * 800 / 1280)
        yield Viewport(west, max(-85.0, lat - height / 2), east, min(85.0, lat + height / 2), zoom)


def _brute(points, vp: Viewport) -> dict[int, tuple[int, int]]:
    shift = 2 * (KEY_ZOOM - vp.level)
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for key, lat, lon, rid in points:
        in_lon = vp.west <= lon <= vp.east if vp.west <= vp.east else (lon >= vp.west or lon <= vp.east)
        if vp.south <= lat <= vp.north and in_lon:
            found[key >> shift][0] += 1
            found[key >> shift][1] += rid
    return {cell: tuple(v) for cell, v in found.items()}


def test_cells_with_and_without_tables_equal_a_brute_force_count(monkeypatch):
    rng = random.Random(2019)
    base = [(rng.gauss(14.07, 0.05), rng.gauss(-87.19, 0.05)) for _ in range(400)]
    base += [(rng.uniform(-84, 84), rng.uniform(-180.0, 180.0)) for _ in range(200)]
    base += [(rng.uniform(-30, 30), rng.choice([rng.uniform(179, 180), rng.uniform(-180, -179)])) for _ in range(40)]
    points = [(tile_key(lat, lon), lat, lon, i + 1) for i, (lat, lon) in enumerate(rng.choice(base) for _ in range(3000))]
    views = list(_views(rng, base))
    with_tables = memindex.PointIndex(points)
    answers = [with_tables.cells(vp) for vp in views]
    monkeypatch.setattr(memindex, "TABLE_MAX_CELLS", 0)  # tables are built on first use: none now
    without = memindex.PointIndex(points)
    for vp, a in zip(views, answers, strict=True):
        b = without.cells(vp)
        assert [(c.cell, c.count, c.sum_id, c.first_id) for c in a] == [(c.cell, c.count, c.sum_id, c.first_id)
                                                                       for c in b], vp
        assert {c.cell: (c.count, c.sum_id) for c in a} == _brute(points, vp), vp
        assert len({id(c) for c in a}) == len(a)
    assert any(t is not None for t in with_tables._tables.values())
    assert all(t is None for t in without._tables.values())
