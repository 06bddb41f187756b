"""The public map answers a viewport in a few plain statements, never rebuilding the selector's
query for each request, and what it answers is exact: per cell, the number of published public
reports whose public point lies in the viewport, counted by brute force here (issue #19)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testigo.geo.clustering import Viewport
from testigo.geo.tiles import KEY_ZOOM, lonlat_to_tile, morton, tile_key
from testigo.reports import counts, selectors
from testigo.reports.models import Category, Report

# (west, south, east, north, zoom): a country, a city with its edges through dense streets, a
# street, beyond the pyramid's finest level, and one across the antimeridian.
VIEWS = [(-90.0, 10.0, -80.0, 20.0, 6), (-87.3, 14.0, -87.1, 14.15, 11), (-87.2, 14.06, -87.18, 14.08, 15),
         (-87.2, 14.06, -87.19, 14.075, 18), (170.0, -20.0, -170.0, 20.0, 4), (-180.0, -85.0, 180.0, 85.0, 2)]


@pytest.fixture
def reports(db):
    """Reports in every status and visibility, dense in one city and scattered elsewhere, whose
    public points differ from their true ones (the map must count the public ones)."""
    rng = random.Random(19)
    parent = Category.objects.create(slug="delitos-x", name_es="Delitos", name_en="Crime")
    cats = [parent, Category.objects.create(slug="robo-x", name_es="Robo", name_en="Theft", parent=parent),
            Category.objects.create(slug="agua-x", name_es="Agua", name_en="Water")]
    points = [(rng.gauss(14.07, 0.02), rng.gauss(-87.19, 0.02)) for _ in range(400)]
    points += [(rng.uniform(12.9, 16.0), rng.uniform(-89.4, -83.1)) for _ in range(150)]
    points += [(rng.uniform(-30, 30), rng.choice([rng.uniform(165, 180), rng.uniform(-180, -165)])) for _ in range(50)]
    statuses = [s for s, _label in Report.Status.choices]
    made = []
    for i, (lat, lon) in enumerate(points):
        plat, plon = lat + rng.uniform(-0.01, 0.01), max(-180.0, min(180.0, lon + rng.uniform(-0.01, 0.01)))
        made.append(Report(
            reference=f"M-{i:05d}", title="t", description="d", received_at="2024-01-01T00:00Z",
            status="published" if rng.random() < 0.6 else rng.choice(statuses),
            visibility=rng.choice(["public", "public", "public", "restricted", "confidential"]),
            published_at="2024-01-02T00:00Z", lat=lat, lon=lon, tile_key=tile_key(lat, lon),
            public_title=f"P {i}", public_lat=plat, public_lon=plon, public_tile_key=tile_key(plat, plon)))
    made = Report.objects.bulk_create(made)
    through = Report.categories.through
    through.objects.bulk_create([through(report_id=r.pk, category_id=c.pk) for r in made
                                 for c in rng.sample(cats[1:], rng.choice([0, 1, 1, 2]))])
    counts.added([r.pk for r in made])
    return {"parent": parent, "reports": made}


def _url(view, extra: str = "") -> str:
    west, south, east, north, zoom = view
    return f"/api/v1/map/clusters?bbox={west},{south},{east},{north}&zoom={zoom}{extra}"


def _expected(view, category: Category | None) -> Counter:
    """cell -> count, by brute force over the published public reports' public points."""
    vp = Viewport(*view)
    shift = 2 * (KEY_ZOOM - vp.level)
    public = Report.objects.filter(status="published", visibility="public")
    if category is not None:
        public = public.filter(categories__in=[category, *category.children.all()]).distinct()
    found = Counter()
    for r in public:
        in_lon = vp.west <= r.public_lon <= vp.east if vp.west <= vp.east else (
            r.public_lon >= vp.west or r.public_lon <= vp.east)
        if vp.south <= r.public_lat <= vp.north and in_lon:
            found[r.public_tile_key >> shift] += 1
    return found


def _answered(body: dict, view) -> Counter:
    """cell -> count as the endpoint answered: clusters by their bounds, points by their report."""
    level = Viewport(*view).level
    shift = 2 * (KEY_ZOOM - level)
    found = Counter()
    for c in body["clusters"]:
        west, south, east, north = c["bounds"]
        found[morton(*lonlat_to_tile((west + east) / 2, (south + north) / 2, level))] += c["count"]
    keys = dict(Report.objects.values_list("reference", "public_tile_key"))
    for p in body["points"]:
        found[keys[p["url"].strip("/").split("/")[-1]] >> shift] += 1
    return found


@pytest.mark.django_db
def test_the_covering_indexes_exist_after_migrating():
    """Migration 0002 made them with raw SQL; on SQLite a later rebuild of reports_report dropped
    them, leaving the map's edge reads without any index on the public tile key."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'reports_report'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports_report'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"geo_report_public_cover", "geo_report_staff_cover"} <= names


@pytest.mark.parametrize("view", VIEWS)
def test_clusters_equal_a_brute_force_count_of_public_points(client, reports, view):
    parent = reports["parent"]
    for category, extra in ((None, ""), (parent, f"&category={parent.id}")):
        body = client.get(_url(view, extra)).json()
        expected = _expected(view, category)
        assert _answered(body, view) == expected
        assert body["total"] == sum(expected.values())
        # A lone report is a point, never a cluster of one (small counts as before).
        assert all(c["count"] > 1 for c in body["clusters"])


def test_points_are_public_points_of_public_reports_only(client, reports):
    by_reference = {r.reference: r for r in reports["reports"]}
    seen = 0
    for view in VIEWS:
        for p in client.get(_url(view)).json()["points"]:
            report = by_reference[p["url"].strip("/").split("/")[-1]]
            assert report.status == "published" and report.visibility == "public"
            assert (p["lat"], p["lon"]) == (report.public_lat, report.public_lon)
            assert p["title"] == report.public_title and "status" not in p
            seen += 1
    assert seen > 10


def test_a_viewport_costs_a_few_statements_and_no_query_building(client, reports, monkeypatch):
    """A public viewport: from the points held in memory, the token's look-up and one statement
    for the single points with their categories (test_promise_map_answers_from_memory_...); from
    the counts, one statement per stored level visited (one here), one for the reports on its
    edge, one for the single points. With a category, three more:
    the filter's parsing (two) and the category's children. After the first request of a filter
    shape the selector's query is not built again, only its viewport changes."""
    parent = reports["parent"]
    for view in VIEWS[:3]:
        client.get(_url(view))
        client.get(_url(view, f"&category={parent.id}"))
    built = []
    real = selectors.public_reports
    monkeypatch.setattr(selectors, "public_reports", lambda *a, **k: built.append(a) or real(*a, **k))
    rng = random.Random(5)
    for view in VIEWS[:3]:
        west, south, east, north, zoom = view
        moved = (west + rng.uniform(-0.01, 0.01), south, east + rng.uniform(-0.01, 0.01), north, zoom)
        for extra, most in (("", 3), (f"&category={parent.id}", 6)):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(_url(moved, extra)).status_code == 200
            assert len(queries) <= most, [q["sql"][:120] for q in queries]
    assert built == []
