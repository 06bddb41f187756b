"""Upgrading recomputes every stored public point with the cell-keyed fuzz, and the map's counts
with them: points stored by the old per-report offsets would otherwise stay averageable."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection

from testigo.geo import fuzz
from testigo.geo.models import ClusterCount
from testigo.geo.tiles import tile_key
from testigo.reports import counts
from testigo.reports.models import Report

migration = importlib.import_module("testigo.reports.migrations.0004_public_points_by_fuzz_cell")


@pytest.mark.django_db
def test_migration_recomputes_stored_public_points_and_the_counts(published_report, report_factory):
    unplaced = report_factory(lat=None, lon=None)
    # What the old scheme left behind: a point of the report's own.
    Report.objects.filter(pk=published_report.pk).update(public_lat=14.08, public_lon=-87.2,
                                                         public_tile_key=tile_key(14.08, -87.2))
    counts.rebuild()
    migration.recompute_public_points(None, SimpleNamespace(connection=connection))
    report = Report.objects.get(pk=published_report.pk)
    expected = fuzz.fuzz(lat=report.lat, lon=report.lon, radius_m=settings.FUZZ_RADIUS_M, secret=settings.SECRET_KEY)
    assert (report.public_lat, report.public_lon) == expected
    assert report.public_tile_key == tile_key(*expected)
    assert Report.objects.get(pk=unplaced.pk).public_lat is None
    top = ClusterCount.objects.get(scope=counts.PUBLIC, level=counts.TOP, category=counts.ALL)
    assert (top.sum_lat, top.sum_lon) == pytest.approx(expected)
