"""The map's count pyramid: kept equal to a full rebuild by every write path, and answering
cluster requests exactly as the raw GROUP BY does (same cells, counts and ids)."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testigo.api.auth import Caller
from testigo.api.queries import cluster_cells
from testigo.geo import pyramid
from testigo.geo.clustering import Viewport
from testigo.geo.models import ClusterCount
from testigo.geo.tiles import tile_key
from testigo.reports import category_services, counts, services
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters
from tests.api.conftest import world  # noqa: F401 -- the fixture
from tests.conftest import examples
from tests.geo.test_clustering import _inside, viewports


def _rows() -> list[tuple]:
    return sorted((r.scope, r.level, r.category, r.part, r.cell, r.n, round(r.sum_lat, 6), round(r.sum_lon, 6),
                   r.sum_id) for r in ClusterCount.objects.all())


def assert_equals_rebuild() -> None:
    kept = _rows()
    counts.rebuild()
    assert kept == _rows()
    assert kept, "the pyramid should not be empty here"


@pytest.mark.django_db
def test_every_service_operation_keeps_the_pyramid_equal_to_a_rebuild(report_factory, admin_user, category):
    other = Category.objects.create(slug="otra", name_es="Otra", name_en="Other")
    a = report_factory(lat=14.07, lon=-87.19)
    b = report_factory(lat=15.5, lon=-88.0, categories=[category, other])
    c = report_factory(lat=None, lon=None)  # no location: not on the map
    assert_equals_rebuild()
    services.verify(report=a, actor=admin_user)
    services.publish(report=a, actor=admin_user)  # now public
    assert_equals_rebuild()
    assert ClusterCount.objects.filter(scope=counts.PUBLIC).exists()
    services.change_status(report=a, actor=admin_user, status="verified")  # unpublished
    assert_equals_rebuild()
    assert not ClusterCount.objects.filter(scope=counts.PUBLIC).exists()
    services.publish(report=a, actor=admin_user)
    services.update_report(report=a, actor=admin_user, lat=13.3, lon=-87.18)  # moved
    assert_equals_rebuild()
    services.update_report(report=a, actor=admin_user, visibility="confidential")
    assert_equals_rebuild()
    services.update_report(report=a, actor=admin_user, visibility="public", categories=[other])
    assert_equals_rebuild()
    services.update_report(report=c, actor=admin_user, lat=14.5, lon=-87.6)  # gains a location
    assert_equals_rebuild()
    services.redact(report=a, actor=admin_user, phrases=["Dos hombres"])
    assert_equals_rebuild()
    services.merge(duplicate=b, into=a, actor=admin_user)  # b archived, its categories go to a
    assert_equals_rebuild()
    category_services.update_category(actor=admin_user, category=other, parent=category.parent)  # re-parented
    assert_equals_rebuild()
    category.parent.reports.add(c)  # a category linked from its side, outside the services
    assert_equals_rebuild()
    c.categories.clear()
    assert_equals_rebuild()
    Report.objects.get(pk=b.pk).delete()
    assert_equals_rebuild()
    with counts.tracking([a.pk]):  # a bulk update outside the ORM's save()
        Report.objects.filter(pk=a.pk).update(status="archived")
    assert_equals_rebuild()


@pytest.mark.django_db
def test_demo_seed_and_bulk_import_keep_the_pyramid(admin_user, category, django_capture_on_commit_callbacks):
    from testigo.reports.seed import seed_reports
    from testigo.surveys import importing

    seed_reports(60)
    assert_equals_rebuild()
    data = ("Título,Lat,Lon,Categoría\nRobo,14.08,-87.2,Robo\nAsalto,14.09,-87.21,robo\nOtro,15.1,-86.2,\n"
            "Sin lugar,,,Robo\n").encode()
    imp = importing.create_import(actor=admin_user, name="d.csv", data=data)
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json={
        "columns": {"Título": "title", "Lat": "lat", "Lon": "lon", "Categoría": "category"}})
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    assert Report.objects.filter(source="import").count() == 4
    assert_equals_rebuild()


@pytest.mark.django_db
def test_rebuild_counts_command(report_factory):
    from django.core.management import call_command

    report_factory()
    kept = _rows()
    ClusterCount.objects.all().delete()
    call_command("map", "rebuild-counts", verbosity=0)
    assert _rows() == kept and kept


# --- Pyramid and raw query agree ---------------------------------------------------------------------

def _staff(make_user, role):
    from testigo.core import roles

    return Caller(user=make_user(getattr(roles, role), username=f"{role.lower()}-x"), scope="read", via="token")


def _compare(caller, filters, vp) -> list:
    raw = cluster_cells(caller, filters, vp, use_counts=False)
    counted = cluster_cells(caller, filters, vp)
    assert [(c.cell, c.count) for c in counted] == [(c.cell, c.count) for c in raw]
    assert [c.first_id for c in counted if c.count == 1] == [c.first_id for c in raw if c.count == 1]
    for a, b in zip(counted, raw, strict=True):
        assert a.lat == pytest.approx(b.lat, abs=1e-9) and a.lon == pytest.approx(b.lon, abs=1e-9)
    return raw


_RUNS: list[str] = []


def _world(rng: random.Random, tag: str, cats: list[Category]) -> list[tuple[float, float]]:
    points = [(rng.gauss(14, 0.5), rng.gauss(-87, 0.5)) for _ in range(40)]
    points += [(rng.gauss(14.07, 0.01), rng.gauss(-87.19, 0.01)) for _ in range(30)]  # a dense city
    points += [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(30)]
    points += [(90, 180), (-90, -180), (85.06, 179.999), (-85.06, -179.999), (0, 180), (0, -180)]
    points = [(max(-90, min(90, a)), max(-180, min(180, o))) for a, o in points]
    statuses = [s for s, _label in Report.Status.choices]
    reports = Report.objects.bulk_create([
        Report(reference=f"A-{i:04d}-{tag}", source=tag, title="t", description="d", status=rng.choice(statuses),
               visibility=rng.choice(["public", "public", "restricted", "confidential"]),
               received_at="2024-01-01T00:00Z", lat=lat, lon=lon, tile_key=tile_key(lat, lon),
               public_lat=lat, public_lon=lon, public_tile_key=tile_key(lat, lon))
        for i, (lat, lon) in enumerate(points)])
    through = Report.categories.through
    through.objects.bulk_create([through(report_id=r.pk, category_id=c.pk) for r in reports
                                 for c in rng.sample(cats, rng.choice([0, 1, 1, 2]))])
    counts.added([r.pk for r in reports])
    return points


@pytest.mark.django_db
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vp=viewports(), seed=st.integers(0, 10_000))
def test_pyramid_and_raw_give_identical_cells_that_add_up(vp, seed, make_user):
    tag = f"{len(_RUNS):04d}"
    _RUNS.append(tag)
    Report.objects.all().delete()  # each example starts from its own reports (signals keep the counts)
    assert not ClusterCount.objects.exists()
    rng = random.Random(seed)
    parent = Category.objects.get_or_create(slug="p", defaults={"name_es": "P", "name_en": "P"})[0]
    cats = [parent] + [Category.objects.get_or_create(slug=f"c{i}", defaults={
        "name_es": f"C{i}", "name_en": f"C{i}", "parent": parent if i < 2 else None})[0] for i in range(3)]
    points = _world(rng, tag, cats)
    public = Caller()
    raw = _compare(public, ReportFilters(), vp)
    public_rows = Report.objects.filter(status="published", visibility="public")
    expected = sum(1 for r in public_rows if _inside(vp, r.lat, r.lon))
    assert sum(c.count for c in raw) == expected
    for cat in cats:
        _compare(public, ReportFilters(categories=[cat.id]), vp)
    moderator, analyst = _staff(make_user, "MODERATOR"), _staff(make_user, "ANALYST")
    assert sum(c.count for c in _compare(moderator, ReportFilters(), vp)) == sum(
        1 for lat, lon in points if _inside(vp, lat, lon))
    _compare(analyst, ReportFilters(), vp)  # no confidential reports
    _compare(moderator, ReportFilters(statuses=["new", "published"], categories=[parent.id]), vp)
    _drop_users()  # users are made per example: free their names for the next one


@pytest.mark.django_db
def test_dense_edges_are_refined_then_read_exactly(make_user, monkeypatch):
    """A viewport whose edges cut a dense city: the edge is refined through the stored levels and
    finally read from the reports table; the result equals the raw query."""
    rng = random.Random(3)
    cats = [Category.objects.create(slug="k", name_es="K", name_en="K")]
    Report.objects.bulk_create([
        Report(reference=f"D-{i:05d}", title="t", description="d", status="published", visibility="public",
               received_at="2024-01-01T00:00Z", lat=(lat := rng.gauss(14.07, 0.02)), lon=(lon := rng.gauss(-87.19, 0.02)),
               tile_key=tile_key(lat, lon), public_lat=lat, public_lon=lon, public_tile_key=tile_key(lat, lon))
        for i in range(3000)])
    ids = list(Report.objects.values_list("id", flat=True))
    Report.categories.through.objects.bulk_create([Report.categories.through(report_id=i, category_id=cats[0].pk)
                                                   for i in ids[::2]])
    counts.added(ids)
    monkeypatch.setattr(pyramid, "RAW_EDGE_MAX", 50)  # force refinement down to the finest level
    reads: list[int] = []
    real = pyramid._read
    monkeypatch.setattr(pyramid, "_read", lambda *a: reads.append(a[3]) or real(*a))
    for zoom in (9, 11, 12, 13):
        vp = Viewport(west=-87.2, south=14.06, east=-87.17, north=14.09, zoom=zoom)
        reads.clear()
        for caller in (Caller(), _staff(make_user, "ADMIN")):
            for filters in (ReportFilters(), ReportFilters(categories=[cats[0].id])):
                assert sum(c.count for c in _compare(caller, filters, vp)) > 0
        assert counts.TOP in reads  # the refinement reached the finest stored level
        _drop_users()


def _drop_users() -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__endswith="-x").delete()


@pytest.mark.django_db
def test_category_filtered_clusters_over_the_api_equal_the_raw_query(client, world, category, monkeypatch):  # noqa: F811
    url = "/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=7&category=delitos"
    counted = client.get(url).json()
    monkeypatch.setattr("testigo.api.queries._pyramid_category", lambda filters: None)
    with connection.execute_wrapper(_no_pyramid):
        raw = client.get(url).json()
    assert counted == raw and counted["total"] == 2


def _no_pyramid(execute, sql, params, many, context):
    assert pyramid.TABLE not in sql or "INSERT" in sql or "DELETE" in sql
    return execute(sql, params, many, context)


@pytest.mark.django_db
def test_bulk_added_counts_equal_a_rebuild_for_ranges_and_scattered_ids(category):
    """`added()` counts in SQL: a contiguous batch as one id range, scattered ids in chunks. Public
    and staff scopes, parent categories and reports without a location all come out as a rebuild."""
    child = Category.objects.create(slug="hija", name_es="Hija", name_en="Child", parent=category)
    rng = random.Random(5)
    statuses = [s for s, _label in Report.Status.choices]
    reports = Report.objects.bulk_create([
        Report(reference=f"B-{i:04d}", title="t", description="d", status=rng.choice(statuses),
               visibility=rng.choice(["public", "restricted", "confidential"]), received_at="2024-01-01T00:00Z",
               **({} if i % 7 == 0 else {"lat": lat, "lon": lon, "tile_key": tile_key(lat, lon), "public_lat": lat,
                                          "public_lon": lon, "public_tile_key": tile_key(lat, lon)}))
        for i, (lat, lon) in enumerate((rng.gauss(14, 1), rng.gauss(-87, 1)) for _ in range(120))])
    through = Report.categories.through
    through.objects.bulk_create([through(report_id=r.pk, category_id=c.pk) for r in reports
                                 for c in rng.sample([category, child], rng.choice([0, 1, 2]))])
    ids = [r.pk for r in reports]
    counts.added(ids[:50])  # a contiguous range
    counts.added(ids[50::2])  # scattered ...
    counts.added(ids[51::2])  # ... and the rest
    assert ClusterCount.objects.filter(scope=counts.PUBLIC).exists()
    assert ClusterCount.objects.filter(category=child.pk).exists()
    assert_equals_rebuild()
