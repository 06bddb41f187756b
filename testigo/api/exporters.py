"""Row builders and streaming writers for CSV and GeoJSON, shared by the API and `testigo export`.

Rows are read with `.values().iterator(chunk_size=...)` and categories fetched per chunk, so an
export of a million reports runs in constant memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet

from testigo.reports.models import Report

CHUNK = 2000
_FORMULA = re.compile(r"[A-Za-z(|!]")

PUBLIC_COLUMNS = ["reference", "title", "description", "categories", "occurred_at", "published_at", "lat", "lon",
                  "place_name", "admin1", "admin2", "source", "url"]
STAFF_COLUMNS = ["reference", "title", "description", "status", "visibility", "categories", "occurred_at",
                 "received_at", "updated_at", "published_at", "lat", "lon", "precision_m", "place_name",
                 "admin1", "admin2", "source", "language", "merged_into"]
CONTACT_COLUMNS = ["reporter_name", "reporter_contact"]

_STAFF_VALUES = ["id", "reference", "title", "description", "status", "visibility", "occurred_at", "received_at",
                 "updated_at", "published_at", "lat", "lon", "precision_m", "place_name", "admin1", "admin2",
                 "source", "language", "merged_into__reference"]


def report_url(reference: str) -> str:
    return f"/r/{reference}/"


def _category_slugs(ids: list[int]) -> dict[int, list[str]]:
    slugs: dict[int, list[str]] = {i: [] for i in ids}
    links = (Report.categories.through.objects.filter(report_id__in=ids)
             .values_list("report_id", "category__slug").order_by("report_id", "category__slug"))
    for report_id, slug in links:
        slugs[report_id].append(slug)
    return slugs


def _chunked(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def public_row(row: dict, slugs: list[str]) -> dict:
    """A public_reports() dict in its published shape."""
    return {"reference": row["reference"], "title": row["public_title"], "description": row["public_description"],
            "categories": slugs, "occurred_at": row["occurred_at"], "published_at": row["published_at"],
            "lat": row["public_lat"], "lon": row["public_lon"], "place_name": row["place_name"],
            "admin1": row["admin1"], "admin2": row["admin2"], "source": row["source"],
            "url": report_url(row["reference"])}


def staff_row(row: dict, slugs: list[str], with_contact: bool) -> dict:
    out = {col: row.get(col) for col in STAFF_COLUMNS}
    out["categories"] = slugs
    out["merged_into"] = row.get("merged_into__reference")
    if with_contact:
        out["reporter_name"], out["reporter_contact"] = row["reporter_name"], row["reporter_contact"]
    return out


def public_rows_from(batch: list[dict]) -> Iterator[dict]:
    slugs = _category_slugs([r["id"] for r in batch])
    for row in batch:
        yield public_row(row, slugs[row["id"]])


def public_rows(qs: QuerySet) -> Iterator[dict]:
    """`qs` is public_reports(...) (dicts of PUBLIC_FIELDS)."""
    for batch in _chunked(qs.iterator(chunk_size=CHUNK)):
        yield from public_rows_from(batch)


def staff_values(qs: QuerySet, with_contact: bool) -> QuerySet:
    fields = _STAFF_VALUES + (["reporter_name", "reporter_contact"] if with_contact else [])
    return qs.select_related(None).prefetch_related(None).values(*fields)


def staff_rows(qs: QuerySet, *, with_contact: bool) -> Iterator[dict]:
    """`qs` is a Report queryset already restricted to what the reader may see."""
    for batch in _chunked(staff_values(qs, with_contact).iterator(chunk_size=CHUNK)):
        yield from staff_rows_from(batch, with_contact)


def staff_rows_from(batch: list[dict], with_contact: bool) -> Iterator[dict]:
    slugs = _category_slugs([r["id"] for r in batch])
    for row in batch:
        yield staff_row(row, slugs[row["id"]], with_contact)


_RISKY = frozenset("=@\t\r+-")


def _cell(value) -> str:
    # Hot path of a million-row export: the common types first, no regex unless needed.
    if value.__class__ is str:
        # A leading = @ (or + - followed by a function call) makes spreadsheets run the cell as
        # a formula (CSV injection); phone numbers such as "+504 9999-0000" stay as they are.
        if value and value[0] in _RISKY and (value[0] not in "+-" or _FORMULA.search(value)):
            return "'" + value
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return _cell(str(value)) if not isinstance(value, int | float) else str(value)


def csv_stream(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(row.get(c)) for c in columns])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def feature(row: dict) -> dict:
    props = {k: v for k, v in row.items() if k not in ("lat", "lon")}
    geometry = None
    if row.get("lat") is not None and row.get("lon") is not None:
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def geojson_stream(rows: Iterable[dict]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    parts: list[str] = []
    first = True
    for row in rows:
        parts.append(("" if first else ",") + json.dumps(feature(row), default=_json_default, ensure_ascii=False))
        first = False
        if len(parts) >= 500:
            yield "".join(parts)
            parts = []
    parts.append("]}\n")
    yield "".join(parts)
