"""Promise: `testigo search rebuild` leaves the SQLite text indexes in one merged segment each
(FTS5 'optimize'), so a query reads each word's list once rather than once per segment; the
index still finds what it found before. (PostgreSQL's REINDEX builds the GIN index whole.)"""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.db import connection

from testigo.reports import search
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def _segments(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT segid) FROM {table}_idx")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 segments are SQLite's")
def test_a_rebuild_of_much_text_ends_in_one_segment_per_index():
    rng = random.Random(5)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(4000)]
    # More text than FTS5 holds in memory at once (~1 MB): a refill writes it in several segments.
    Report.objects.bulk_create([
        Report(reference=f"S-{i:05d}", title=f"Extorsión {i}", place_name="Tegucigalpa", received_at="2024-01-01T00:00Z",
               description=" ".join(rng.choice(vocabulary) for _ in range(220)), public_title=f"Extorsión {i}",
               public_description=" ".join(rng.choice(vocabulary) for _ in range(220)))
        for i in range(2500)])
    call_command("search", "rebuild", verbosity=0)
    for table in search.TABLES.values():
        assert _segments(table) == 1, table
    found = search.apply(Report.objects.all(), "extorsion", public=False).count()
    assert found == 2500
