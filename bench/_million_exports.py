"""bench_million section: the streaming exports (/api/v1/reports.csv and .geojson, for the public
and for a logged-in staff member, as the console downloads them), timed to their FIRST BYTE and
to their first rows, not read whole (a whole export of a million reports takes seconds; its
total is bench_export.py's figure).

First byte: from the request until the first chunk of response.streaming_content (the header
line). First rows: until the first chunk holding reports. Target: first byte <= 200 ms.
"""

from __future__ import annotations

import time

import _seed
from bench_million import BUDGET_S, REQUESTS, pct

TARGET = "<= 200"
EXPORT_REQUESTS = min(REQUESTS, 30)  # each request still runs the export's query to its first rows


def _first(ctx, client, url: str) -> tuple[float, float]:
    """(ms to the first chunk, ms to the first chunk with rows) of one streamed export; the rest
    of the export is abandoned (closing the response closes the generator and its cursor)."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200 and response.streaming, (url, response.status_code)
    chunks = iter(response.streaming_content)
    next(chunks)  # the header line (CSV) or the collection's opening (GeoJSON)
    first_byte = time.perf_counter() - started
    for chunk in chunks:
        if chunk.strip(b"]}\n"):  # the first chunk of rows (an empty export ends without one)
            break
    first_rows = time.perf_counter() - started
    response.close()
    return first_byte * 1000, first_rows * 1000


def _time(ctx, name: str, urls, client) -> None:
    _first(ctx, client, urls(0))  # warm-up
    bytes_, rows = [], []
    budget_ends = time.perf_counter() + BUDGET_S
    for i in range(EXPORT_REQUESTS):
        if i >= 5 and time.perf_counter() > budget_ends:
            break
        first_byte, first_rows = _first(ctx, client, urls(i))
        bytes_.append(first_byte)
        rows.append(first_rows)
    for what, values in (("first_byte", bytes_), ("first_rows", rows)):
        for p in (50, 95):
            _seed.emit(f"{ctx.prefix}.export.{name}.{what}.p{p}", round(pct(values, p), 1), "ms",
                       target=TARGET if what == "first_byte" else None, n=len(values))


def run(ctx) -> None:
    categories = ctx.categories
    for fmt in ("csv", "geojson"):
        _time(ctx, f"public_{fmt}", lambda i, fmt=fmt: f"/api/v1/reports.{fmt}", ctx.client)
        _time(ctx, f"staff_{fmt}", lambda i, fmt=fmt: f"/api/v1/reports.{fmt}", ctx.staff_client)
    _time(ctx, "public_csv_category", lambda i: f"/api/v1/reports.csv?category={categories[i % len(categories)]}",
          ctx.client)
    _time(ctx, "public_csv_month", lambda i: f"/api/v1/reports.csv?date_from=2026-{1 + i % 10:02d}-01"
                                            f"&date_to=2026-{1 + i % 10:02d}-28", ctx.client)
    _time(ctx, "staff_csv_status", lambda i: f"/api/v1/reports.csv?status={('new', 'in_review', 'verified')[i % 3]}",
          ctx.staff_client)
    _time(ctx, "staff_csv_category", lambda i: f"/api/v1/reports.csv?category={categories[i % len(categories)]}",
          ctx.staff_client)
