"""The public map answers from the public points held in memory (geo/memindex.py, issue #19): the
same cells, counts and ids as the count pyramid and as the raw GROUP BY, for random points and
random viewports; never an answer older than the database, whichever process or transaction
changed it; only public points of published public reports held, and never staff's."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from testigo.api import mapcache, queries
from testigo.api.auth import Caller
from testigo.geo import memindex
from testigo.geo.clustering import Viewport
from testigo.geo.tiles import KEY_ZOOM, MAX_LAT, lonlat_to_tile, tile_key, tile_to_lonlat
from testigo.reports import counts, services
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters

PUBLIC = Caller()


def _random_view(rng: random.Random, around: list[tuple[float, float]]) -> Viewport:
    """A viewport at a random zoom: centred on a point, on a tile corner (edges along cell
    borders), or across the antimeridian, of a random size; sometimes the whole world."""
    zoom = rng.randint(0, 22)
    kind = rng.random()
    if kind < 0.05:
        return Viewport(-180.0, -85.0, 180.0, 85.0, zoom)
    lat, lon = rng.choice(around)
    if kind < 0.3:  # edges exactly on tile borders of the view's level
        level = max(0, min(KEY_ZOOM, zoom + 2))
        x, y = lonlat_to_tile(lon, lat, level)
        west, north = tile_to_lonlat(x - rng.randint(0, 3), y - rng.randint(0, 3), level)
        east, south = tile_to_lonlat(x + rng.randint(1, 4), y + rng.randint(1, 4), level)
        return Viewport(max(-180.0, west), max(-85.0, south), min(180.0, east), min(85.0, north), zoom)
    width = rng.uniform(0.2, 3.0) * 1280 / 256 * 360 / 2 ** zoom
    height = min(170.0, width * 800 / 1280)
    west, east = lon - width / 2, lon + width / 2
    if width >= 360:
        west, east = -180.0, 180.0
    else:
        west, east = ((west + 540) % 360) - 180, ((east + 540) % 360) - 180
    return Viewport(west, max(-85.0, lat - height / 2), east, min(85.0, lat + height / 2), zoom)


def _brute(points, vp: Viewport) -> dict[int, tuple[int, int]]:
    """cell -> (count, sum of ids), with the selector's own test of the viewport."""
    shift = 2 * (KEY_ZOOM - vp.level)
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for key, lat, lon, rid in points:
        in_lon = vp.west <= lon <= vp.east if vp.west <= vp.east else (lon >= vp.west or lon <= vp.east)
        if vp.south <= lat <= vp.north and in_lon:
            found[key >> shift][0] += 1
            found[key >> shift][1] += rid
    return {cell: tuple(v) for cell, v in found.items()}


def test_the_index_equals_a_brute_force_count_for_random_points_and_viewports():
    """Without a database: points dense in a city, repeated (public points are shared), on tile
    borders, near the poles and both sides of the antimeridian; 600 viewports."""
    rng = random.Random(1919)
    base = [(rng.gauss(14.07, 0.03), rng.gauss(-87.19, 0.03)) for _ in range(300)]
    base += [(rng.uniform(-89.9, 89.9), rng.uniform(-180.0, 180.0)) for _ in range(200)]
    base += [(rng.uniform(-30, 30), rng.choice([rng.uniform(178, 180), rng.uniform(-180, -178)])) for _ in range(60)]
    for _ in range(40):  # exactly on tile corners of various levels
        level = rng.randint(2, 20)
        x, y = lonlat_to_tile(-87.19 + rng.uniform(-1, 1), 14.07 + rng.uniform(-1, 1), level)
        lon, lat = tile_to_lonlat(x, y, level)
        base.append((lat, lon))
    base += [(MAX_LAT + 1, 10.0), (-89.0, -180.0), (0.0, 180.0)]
    points = []
    for i, (lat, lon) in enumerate(rng.choice(base) for _ in range(2500)):
        points.append((tile_key(lat, lon), lat, lon, i + 1))
    index = memindex.PointIndex(points)
    assert index.size == len(points) and len(index.keys) < len(points)  # repeated points grouped
    views = [_random_view(rng, [(lat, lon) for _k, lat, lon, _i in points]) for _ in range(600)]
    views += [Viewport(-180.0, -85.0, 180.0, 85.0, 0), Viewport(170.0, -40.0, -170.0, 40.0, 3),
              Viewport(-87.3, 14.0, -87.1, 14.15, 22)]
    for vp in views:
        cells = index.cells(vp)
        assert [c.cell for c in cells] == sorted(c.cell for c in cells)
        assert {c.cell: (c.count, c.sum_id) for c in cells} == _brute(points, vp), vp
        for c in cells:
            assert c.first_id == (c.sum_id if c.count == 1 else None)
            assert -90.0 <= c.lat <= 90.0 and -180.0 <= c.lon <= 180.0


@pytest.fixture
def reports(db):
    """Reports in every status and visibility, with categories, dense in one city and scattered
    elsewhere, whose public points differ from their true ones."""
    rng = random.Random(7)
    parent = Category.objects.create(slug="delitos-m", name_es="Delitos", name_en="Crime")
    cats = [Category.objects.create(slug="robo-m", name_es="Robo", name_en="Theft", parent=parent),
            Category.objects.create(slug="agua-m", name_es="Agua", name_en="Water")]
    points = [(rng.gauss(14.07, 0.02), rng.gauss(-87.19, 0.02)) for _ in range(300)]
    points += [(rng.uniform(12.9, 16.0), rng.uniform(-89.4, -83.1)) for _ in range(120)]
    points += [(rng.uniform(-30, 30), rng.choice([rng.uniform(175, 180), rng.uniform(-180, -175)])) for _ in range(40)]
    statuses = [s for s, _label in Report.Status.choices]
    made = []
    for i, (lat, lon) in enumerate(points):
        # public points shared by several reports, as the fuzz grid makes them
        plat, plon = round(lat + rng.uniform(-0.01, 0.01), 2), max(-180.0, min(180.0, round(lon, 2)))
        made.append(Report(
            reference=f"Q-{i:05d}", title="t", description="d", received_at="2024-01-01T00:00Z",
            status="published" if rng.random() < 0.6 else rng.choice(statuses),
            visibility=rng.choice(["public", "public", "public", "restricted", "confidential"]),
            published_at="2024-01-02T00:00Z", lat=lat, lon=lon, tile_key=tile_key(lat, lon),
            public_title=f"P {i}", public_lat=plat, public_lon=plon, public_tile_key=tile_key(plat, plon)))
    made = Report.objects.bulk_create(made)
    through = Report.categories.through
    through.objects.bulk_create([through(report_id=r.pk, category_id=c.pk) for r in made
                                 for c in rng.sample(cats, rng.choice([0, 1, 1, 2]))])
    counts.added([r.pk for r in made])
    return {"parent": parent, "child": cats[0], "other": cats[1], "reports": made, "points": points}


def test_the_endpoint_answers_as_the_pyramid_and_the_raw_count_for_random_viewports(reports):
    rng = random.Random(23)
    around = [(lat, lon) for lat, lon in reports["points"]]
    shapes = [ReportFilters(), ReportFilters(categories=[reports["parent"].id]),
              ReportFilters(categories=[reports["child"].id]), ReportFilters(categories=[reports["other"].id])]
    queries._POINT_INDEXES.clear()
    for _ in range(120):
        vp = _random_view(rng, around)
        for filters in shapes:
            memory = queries.cluster_cells(PUBLIC, filters, vp)
            pyramid = queries.cluster_cells(PUBLIC, filters, vp, use_memory=False)
            raw = queries.cluster_cells(PUBLIC, filters, vp, use_memory=False, use_counts=False)
            for other in (pyramid, raw):
                assert [(c.cell, c.count, c.first_id, c.sum_id) for c in memory] == \
                    [(c.cell, c.count, c.first_id, c.sum_id) for c in other], (vp, filters)
                for a, b in zip(memory, other, strict=True):
                    assert a.lat == pytest.approx(b.lat, abs=1e-9) and a.lon == pytest.approx(b.lon, abs=1e-9)
    assert len(queries._POINT_INDEXES) == len(shapes)  # it did answer from memory, once per shape


def _total(client, extra: str = "") -> int:
    return client.get(f"/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=6{extra}").json()["total"]


def _brute_total(category: Category | None = None) -> int:
    public = Report.objects.filter(status="published", visibility="public", public_lat__range=(10, 20),
                                   public_lon__range=(-90, -80))
    if category is not None:
        public = public.filter(categories__in=[category, *category.children.all()]).distinct()
    return public.count()


@pytest.fixture
def reload_at_once(monkeypatch):
    """Every change reloads the points at the next request (no spacing between reloads)."""
    monkeypatch.setattr(queries, "_RELOAD_SPACING", 0)


def test_a_publication_or_unpublication_shows_on_the_next_request(client, reports, report_factory, admin_user,
                                                                 reload_at_once):
    """Nothing tells the process holding the points: the token in the database does, as it would
    for a change made by another server process."""
    parent = reports["parent"]
    before, before_category = _total(client), _total(client, f"&category={parent.id}")
    assert (before, before_category) == (_brute_total(), _brute_total(parent))
    report = report_factory(lat=14.5, lon=-87.5, categories=[reports["child"]])
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    assert _total(client) == before + 1 == _brute_total()
    assert _total(client, f"&category={parent.id}") == before_category + 1
    services.change_status(report=report, actor=admin_user, status=Report.Status.VERIFIED)  # unpublish
    assert _total(client) == before
    assert _total(client, f"&category={parent.id}") == before_category
    # Moving a published report's pin moves its public point, and the map follows.
    moved = reports["reports"][0]
    moved.refresh_from_db()
    if moved.status == "published" and moved.visibility == "public":
        services.update_report(report=moved, actor=admin_user, lat=40.0, lon=10.0)
        assert _total(client) == before - 1 == _brute_total()


def test_a_rolled_back_change_is_never_served_after_another_change(client, reports, report_factory, admin_user,
                                                                   reload_at_once):
    """Inside a transaction the map shows its own change, and the index is reloaded for it; after
    the rollback and a different change, the rolled-back one must not come back (a counter would
    return to the same number; the token is random)."""
    first = report_factory(lat=14.5, lon=-87.5)
    second = report_factory(lat=15.5, lon=-86.5)
    for r in (first, second):
        services.verify(report=r, actor=admin_user)
    before = _total(client)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        services.publish(report=first, actor=admin_user)
        assert _total(client) == before + 1
        raise Undo
    services.publish(report=second, actor=admin_user)
    body = client.get("/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=14").json()
    assert body["total"] == before + 1 == _brute_total()
    references = {p["url"].strip("/").split("/")[-1] for p in body["points"]}
    assert second.reference in references and first.reference not in references
    assert all(c["count"] > 1 for c in body["clusters"])  # no cell left for the rolled-back report


def test_the_index_holds_only_public_points_of_published_public_reports(client, reports, staff_client):
    queries._POINT_INDEXES.clear()
    staff_client.get("/api/v1/map/clusters?bbox=-180,-85,180,85&zoom=3")
    assert queries._POINT_INDEXES == {}  # staff (true locations) never go into memory
    assert client.get("/api/v1/map/clusters?bbox=-180,-85,180,85&zoom=3").status_code == 200
    [(_token, index, *_when)] = queries._POINT_INDEXES.values()
    public = Report.objects.filter(status="published", visibility="public", public_lat__isnull=False)
    expected = sorted((r.public_tile_key, r.public_lat, r.public_lon) for r in public)
    held = []
    for i, (key, lat, lon) in enumerate(zip(index.keys, index.lats, index.lons, strict=True)):
        held += [(key, lat, lon)] * (index.run_n[i + 1] - index.run_n[i])
    assert held == expected
    assert index.run_id[-1] == sum(r.id for r in public)
    true_points = {(r.lat, r.lon) for r in Report.objects.all()}
    assert not true_points & set(zip(index.lats, index.lons, strict=True))


@pytest.fixture
def staff_client(admin_user):
    from django.test import Client

    staff = Client()
    staff.force_login(admin_user)
    return staff


def test_a_viewport_from_memory_costs_the_token_and_the_single_points(client, reports):
    """With the index current: one look-up of the token, one statement for the single points'
    rows (none when the view has no single point)."""
    client.get("/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=6")
    with CaptureQueriesContext(connection) as queries_run:
        body = client.get("/api/v1/map/clusters?bbox=-87.3,14.0,-87.1,14.15&zoom=11").json()
    assert body["total"] > 0
    assert len(queries_run) == (2 if body["points"] else 1), [q["sql"][:100] for q in queries_run]
    assert memindex.TABLE in queries_run[0]["sql"]


def test_changes_faster_than_reloads_are_answered_by_the_counts_exactly(client, reports, report_factory, admin_user,
                                                                      monkeypatch):
    """Right after a reload, a change is answered by the count pyramid (exact), not by reloading
    the points again; once the spacing has passed, the points are reloaded."""
    clock = [1000.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    queries._POINT_INDEXES.clear()
    before = _total(client)
    [(shape, held)] = queries._POINT_INDEXES.items()
    held = queries._POINT_INDEXES[shape] = (*held[:3], 10.0)  # as if loading had taken 10 s
    loads = []
    real_load = memindex.load
    monkeypatch.setattr(memindex, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    report = report_factory(lat=14.5, lon=-87.5)
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    assert _total(client) == before + 1 == _brute_total()
    assert loads == [] and list(queries._POINT_INDEXES.values()) == [held]
    clock[0] += 10 * queries._RELOAD_SPACING
    mapcache.clear()  # the same request's answer is kept (api/mapcache.py): let this one reach the index
    assert _total(client) == before + 1
    assert loads == [1] and list(queries._POINT_INDEXES.values())[0][0] != held[0]
