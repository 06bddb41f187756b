"""Importing paper records and other systems' exports (CSV / XLSX) as reports.

Rows are converted one by one (mapping.convert) and written in batches: one transaction, one
bulk insert and one audit event per batch, which is what makes 100,000 rows take seconds
instead of an afternoon. Each row's fingerprint (SHA-256 of the header and its cells) is stored,
so importing the same file again skips every row already imported. Every rejected row is kept
with its reason and its cells.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.geo import aggregates  # h3: map counts
from testigo.surveys import bulk, mapping, presets, tabular
from testigo.surveys.models import Import

BATCH = 5000  # rows per transaction: each commit rewrites the index pages it touched
MAX_KEPT_CELLS = 60  # a rejected row keeps this many cells for the report (the file keeps all)


def _require(actor) -> None:
    if actor is not None and not (roles.can(actor, roles.EDIT) and roles.can(actor, roles.MANAGE_CATEGORIES)):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def create_import(*, actor, name: str, data: bytes) -> Import:
    """Store an uploaded CSV/XLSX (kept as it arrived) and read its header."""
    _require(actor)
    if len(data) > settings.SURVEY_IMPORT_MAX_MB * 1024 * 1024:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.SURVEY_IMPORT_MAX_MB})
    imp = Import(original_name=name[:200], created_by=actor if actor is not None and actor.is_authenticated else None)
    imp.file.save(f"import{Path(name).suffix.lower()[:6] or '.csv'}", ContentFile(data), save=False)
    try:
        table = tabular.read_table(Path(imp.file.path))
    except Exception:  # a damaged spreadsheet or binary junk: refuse with a clear message
        imp.file.delete(save=False)
        raise ValidationError(_("This file cannot be read as CSV or XLSX.")) from None
    if not any(table.header):
        imp.file.delete(save=False)
        raise ValidationError(_("The file has no header row."))
    imp.encoding = table.encoding
    imp.mapping = presets.guess(table.header)
    imp.save()
    audit.record(action="import.uploaded", actor=actor, obj=imp, data={"name": imp.original_name})
    return imp


def header_of(imp: Import) -> list[str]:
    return tabular.read_table(Path(imp.file.path)).header


@transaction.atomic
def set_mapping(*, actor, imp: Import, mapping_json: dict) -> Import:
    """Save the column mapping after checking it against the file's header."""
    _require(actor)
    try:
        prepared = mapping.prepare(mapping_json, header_of(imp))
    except mapping.RowError as exc:
        raise ValidationError(str(exc)) from None
    imp.mapping, imp.survey = mapping_json, prepared.survey
    imp.save(update_fields=["mapping", "survey"])
    return imp


def preview(imp: Import, limit: int = 10) -> list[dict]:
    """The first rows as the import would see them: converted values or the reason for refusal."""
    table, first = tabular.preview(Path(imp.file.path), limit)
    prepared = mapping.prepare(imp.mapping, table.header)
    out = []
    for number, cells in first:
        try:
            result, error = mapping.convert(prepared, cells), ""
        except mapping.RowError as exc:
            result, error = None, str(exc)
        out.append({"row": number, "cells": cells, "result": result, "error": error})
    return out


@transaction.atomic
def start(*, actor, imp: Import) -> Import:
    """Queue the import (a Huey job runs it)."""
    _require(actor)
    from testigo.surveys.tasks import run_import_task

    imp.status = Import.Status.QUEUED
    imp.save(update_fields=["status"])
    audit.record(action="import.started", actor=actor, obj=imp, data={"mapping": imp.mapping})
    transaction.on_commit(lambda: run_import_task(imp.pk))
    return imp


def fingerprint(header: list[str], cells: list[str]) -> str:
    return _fingerprint(_header_key(tuple(header)), cells)


@functools.lru_cache(maxsize=8)
def _header_key(header: tuple[str, ...]) -> str:
    return "\x1f".join(h.strip() for h in header) + "\x1e"


def _fingerprint(header_key: str, cells: list[str]) -> str:
    body = header_key + "\x1f".join(map(str.strip, cells))
    return hashlib.sha256(body.rstrip("\x1f").encode("utf-8")).hexdigest()


def run(*, import_id: int, progress: Callable[[Import], None] | None = None) -> Import:
    """Run an import to the end, saving counts after every batch (for the progress page)."""
    imp = Import.objects.get(pk=import_id)
    path = Path(imp.file.path)
    imp.total_rows = tabular.count_rows(path)
    imp.status, imp.processed_rows = Import.Status.RUNNING, 0
    imp.created_count = imp.duplicate_count = imp.rejected_count = 0
    imp.errors = []
    imp.save()
    try:
        table = tabular.read_table(path)
        prepared = mapping.prepare(imp.mapping, table.header)
        columns = bulk.ReportColumns()
        with bulk.import_connection():
            for batch in _converted(table, prepared):
                _flush(imp, batch, columns, progress)
        imp.status = Import.Status.DONE
    except mapping.RowError as exc:  # the mapping no longer fits the file
        imp.status = Import.Status.FAILED
        imp.errors.append({"row": 0, "reason": str(exc), "values": []})
    imp.finished_at = timezone.now()
    imp.save()
    audit.record(action="import.finished", obj=imp, data={
        "created": imp.created_count, "duplicates": imp.duplicate_count, "rejected": imp.rejected_count})
    return imp


@dataclass
class _Batch:
    rows: list[tuple[int, str, dict]] = field(default_factory=list)  # (row number, fingerprint, converted)
    rejected: list[dict] = field(default_factory=list)  # {"row", "reason", "values"}


def _converted(table: tabular.Table, prepared: mapping.Prepared) -> Iterator[_Batch]:
    """The file's rows in batches: converted and fingerprinted, or rejected with the reason."""
    batch = _Batch()
    header_key = _header_key(tuple(table.header))
    for number, cells in table.rows:
        try:
            data = mapping.convert(prepared, cells)
        except mapping.RowError as exc:
            batch.rejected.append({"row": number, "reason": str(exc),
                                   "values": [c[:500] for c in cells[:MAX_KEPT_CELLS]]})
        else:
            batch.rows.append((number, _fingerprint(header_key, cells), data))
        if len(batch.rows) + len(batch.rejected) >= BATCH:
            yield batch
            batch = _Batch()
    yield batch


def _flush(imp: Import, batch: _Batch, columns: bulk.ReportColumns, progress) -> None:
    for attempt in range(3):
        try:
            with transaction.atomic():
                created, duplicates = _write(imp, batch, columns)
            break
        except IntegrityError:  # a concurrent import took a fingerprint, or a reference collided
            if attempt == 2:
                raise
    imp.created_count += created
    imp.duplicate_count += duplicates
    imp.rejected_count += len(batch.rejected)
    imp.errors.extend(batch.rejected)
    imp.processed_rows += len(batch.rows) + len(batch.rejected)
    Import.objects.filter(pk=imp.pk).update(
        processed_rows=imp.processed_rows, created_count=imp.created_count,
        duplicate_count=imp.duplicate_count, rejected_count=imp.rejected_count, total_rows=imp.total_rows)
    if progress:
        progress(imp)


def _write(imp: Import, batch: _Batch, columns: bulk.ReportColumns) -> tuple[int, int]:
    seen = bulk.known_fingerprints([item[1] for item in batch.rows])
    fresh = []
    for item in batch.rows:
        if item[1] not in seen:
            seen.add(item[1])
            fresh.append(item)
    # Only rows not imported before cost a projection (and a reference, drawn again on a retry).
    projection = bulk.projection_settings()
    rows = [bulk.report_row(_report_values(item[2], imp.created_by_id), reference, projection)
            for item, reference in zip(fresh, bulk.fast_references(len(fresh)), strict=True)]
    template = columns.stamp()
    ids = bulk.insert_reports(rows, columns, [columns.params(row, template) for row in rows])
    bulk.insert_links([(ids[row["reference"]], category.pk)
                       for row, item in zip(rows, fresh, strict=True) for category in item[2]["categories"]])
    bulk.insert_fingerprints([(item[1], imp.pk, ids[row["reference"]]) for row, item in zip(rows, fresh, strict=True)])
    aggregates.added(ids.values())  # h3: the map's count pyramid (testigo/geo/aggregates.py)
    if rows:
        audit.record(action="report.imported", actor=imp.created_by, obj=imp,
                     data={"references": [r["reference"] for r in rows], "rows": [i[0] for i in fresh]})
    return len(rows), len(batch.rows) - len(fresh)


def _report_values(data: dict, created_by_id: int | None) -> dict:
    custom = data["custom_values"]
    if data["unknown_categories"]:
        custom["_unmatched_categories"] = data["unknown_categories"]
    if data["external_id"]:
        custom["_external_id"] = data["external_id"]
    return {"title": data["title"], "description": data["description"], "occurred_at": data["occurred_at"],
            "lat": data["lat"], "lon": data["lon"], "place_name": data["place_name"], "admin1": data["admin1"],
            "admin2": data["admin2"], "source": "import", "reporter_name": data["reporter_name"],
            "reporter_contact": data["reporter_contact"], "custom_values": custom,
            "created_by_id": created_by_id}
