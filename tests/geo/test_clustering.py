"""Clustering: the Morton cover never misses a point and cluster counts add up exactly."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testigo.geo.clustering import MAX_RANGES, Viewport, cluster, morton_ranges
from testigo.geo.tiles import tile_key
from testigo.reports.models import Report
from tests.conftest import examples

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


def _inside(vp: Viewport, lat: float, lon: float) -> bool:
    in_lon = vp.west <= lon <= vp.east if vp.west <= vp.east else (lon >= vp.west or lon <= vp.east)
    return vp.south <= lat <= vp.north and in_lon


@st.composite
def viewports(draw):
    south, north = sorted([draw(lats), draw(lats)])
    return Viewport(west=draw(lons), south=south, east=draw(lons), north=north, zoom=draw(st.integers(0, 20)))


@settings(max_examples=examples(300), deadline=None)
@given(vp=viewports(), points=st.lists(st.tuples(lats, lons), max_size=30))
def test_morton_cover_contains_every_point_inside_the_viewport(vp, points):
    ranges = morton_ranges(vp)
    assert len(ranges) <= MAX_RANGES
    for lat, lon in points:
        if _inside(vp, lat, lon):
            key = tile_key(lat, lon)
            assert any(lo <= key <= hi for lo, hi in ranges), (lat, lon, key)


def test_antimeridian_viewport_covers_both_sides():
    vp = Viewport(west=170, south=-10, east=-170, north=10, zoom=5)
    ranges = morton_ranges(vp)
    for lat, lon in [(0, 175), (0, -175), (9.9, 179.99), (-9.9, -179.99)]:
        assert any(lo <= tile_key(lat, lon) <= hi for lo, hi in ranges)
    assert not any(lo <= tile_key(0, 0) <= hi for lo, hi in ranges)


def _bulk(points, tag):
    Report.objects.bulk_create([
        Report(reference=f"T-{i:04d}-{tag}", source=tag, title="t", description="d", status="published", visibility="public",
               received_at="2024-01-01T00:00Z", lat=lat, lon=lon, tile_key=tile_key(lat, lon),
               public_lat=lat, public_lon=lon, public_tile_key=tile_key(lat, lon))
        for i, (lat, lon) in enumerate(points)])


_RUNS: list[str] = []


@pytest.mark.django_db
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vp=viewports(), seed=st.integers(0, 10_000))
def test_cluster_counts_add_up_to_the_reports_in_the_viewport(vp, seed):
    tag = f"{len(_RUNS):04d}"
    _RUNS.append(tag)  # each example gets its own rows: hypothesis reuses the test's transaction
    rng = random.Random(seed)
    # Dense spots plus scattered points, including the poles and the antimeridian.
    points = [(rng.gauss(14, 0.5), rng.gauss(-87, 0.5)) for _ in range(40)]
    points += [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(40)]
    points += [(90, 180), (-90, -180), (85.06, 179.999), (-85.06, -179.999), (0, 180), (0, -180)]
    points = [(max(-90, min(90, a)), max(-180, min(180, o))) for a, o in points]
    _bulk(points, tag)
    qs = Report.objects.filter(source=tag, lat__gte=vp.south, lat__lte=vp.north)
    if vp.west <= vp.east:
        qs = qs.filter(lon__gte=vp.west, lon__lte=vp.east)
    else:
        qs = qs.filter(lon__gte=vp.west) | qs.filter(lon__lte=vp.east)
    cells = cluster(qs, vp, key="tile_key", lat="lat", lon="lon")
    expected = sum(1 for lat, lon in points if _inside(vp, lat, lon))
    assert sum(c.count for c in cells) == expected
    assert len({c.cell for c in cells}) == len(cells)
