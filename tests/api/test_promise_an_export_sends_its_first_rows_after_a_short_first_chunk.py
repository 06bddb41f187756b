"""Promise (issue #19): a streamed export sends its first rows after reading a short first chunk,
not a full one (at a million reports a full chunk of the sorted query took seconds before the
first row left), with the same bytes as before, and with a bounded number of queries: the
category slugs once, then one link query per chunk."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _rows(chunk: bytes | str) -> int:
    text = chunk.decode() if isinstance(chunk, bytes) else chunk
    return len(list(csv.reader(io.StringIO(text))))


@pytest.fixture
def many(world, report_factory, admin_user):
    from testigo.reports import services

    for i in range(10):
        report = report_factory(title=f"Robo {i}", lat=14.0 + i / 100, lon=-87.0)
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)
    return world


@pytest.mark.django_db
def test_the_api_export_streams_a_short_first_chunk_then_full_ones(client, many, monkeypatch):
    from testigo.reports import exporters

    monkeypatch.setattr(exporters, "EXPORT_CHUNK", 5)
    monkeypatch.setattr(exporters, "FIRST_CHUNK", 2, raising=False)
    response = client.get("/api/v1/reports.csv")
    chunks = list(response.streaming_content)
    assert chunks[0].startswith(b"reference,")  # the header line comes first, before any query
    assert [_rows(c) for c in chunks[1:]] == [2, 5, 5]  # 12 public reports: 2, then chunks of 5


@pytest.mark.django_db
def test_chunking_changes_no_byte_and_reads_categories_once(many, monkeypatch):
    from testigo.reports import exporters, selectors
    from testigo.reports.models import Report

    def whole(export, fmt: str) -> str:
        return "".join(export.csv() if fmt == "csv" else export.geojson())

    for fmt in ("csv", "geojson"):
        for qs, public in ((selectors.public_reports(), True), (Report.objects.order_by("-id"), False)):
            monkeypatch.setattr(exporters, "EXPORT_CHUNK", 10_000)
            monkeypatch.setattr(exporters, "FIRST_CHUNK", 10_000, raising=False)
            in_one = whole(exporters.Export(qs, public=public, with_contact=not public), fmt)
            monkeypatch.setattr(exporters, "EXPORT_CHUNK", 3)
            monkeypatch.setattr(exporters, "FIRST_CHUNK", 1, raising=False)
            with CaptureQueriesContext(connection) as queries:
                chunked = whole(exporters.Export(qs, public=public, with_contact=not public), fmt)
            assert chunked == in_one
            rows = qs.count()
            chunks = 1 + -(-(rows - 1) // 3)  # one row, then chunks of three
            category_reads = [q for q in queries if 'FROM "reports_category"' in q["sql"]]
            assert len(category_reads) == 1, category_reads  # the slug map, once per export
            # the slug map, the rows' query, one link query per chunk (and, on PostgreSQL, the
            # transaction and server-side cursor statements around them)
            link_reads = [q for q in queries if "reports_report_categories" in q["sql"]]
            assert len(link_reads) == chunks
