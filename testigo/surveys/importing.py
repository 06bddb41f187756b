"""Importing paper records and other systems' exports (CSV / XLSX) as reports.

Rows are converted one by one (mapping.convert) and written in batches: one transaction, one
bulk insert and one audit event per batch, which is what makes 100,000 rows take seconds
instead of an afternoon. Each row's fingerprint (SHA-256 of the header and its cells) is stored,
so importing the same file again skips every row already imported. An Ushahidi export is keyed by
its posts' ids instead (mapping "update_by": "external_id"): a newer export of the same deployment
updates the reports the first one made (title, text, place, status, categories, date) and
creates only the new ones. Every rejected row is kept
with its reason and its cells. On a big file the converting runs in a forked second process
while this one writes (testigo/core/forked.py): the two halves of the work then share two cores.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from testigo.core import archives, audit, forked, gcpause, roles
from testigo.core import storage as stores
from testigo.reports import bulk, public_changes
from testigo.reports.models import Report
from testigo.surveys import dateorder, mapping, presets, tabular, ushahidi
from testigo.surveys import import_updates as updates
from testigo.surveys.models import Import, ImportRow

logger = logging.getLogger(__name__)

BATCH = 5000  # rows per transaction: each commit rewrites the index pages it touched
# Smaller files (some 2,000 rows) are converted in this process: forking costs more than it saves.
PARALLEL_MIN_BYTES = 256 * 1024
MAX_KEPT_CELLS = 60  # a rejected row keeps this many cells for the report (the file keeps all)


@transaction.atomic
def create_import(*, actor, name: str, data: bytes) -> Import:
    """Store an uploaded CSV/XLSX (kept as it arrived) and read its header."""
    roles.require(actor, roles.IMPORT_REPORTS)
    if len(data) > settings.SURVEY_IMPORT_MAX_MB * 1024 * 1024:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.SURVEY_IMPORT_MAX_MB})
    imp = Import(original_name=name[:200], created_by=roles.person(actor))
    imp.file.save(f"import{Path(name).suffix.lower()[:6] or '.csv'}", ContentFile(data), save=False)
    try:
        table = tabular.read_table(stores.local_path(imp.file))
    except archives.UnsafeArchive:  # a zip bomb: refused with the limit it passed
        stores.forget_local_copy(imp.file)
        imp.file.delete(save=False)
        raise
    except Exception:  # a damaged spreadsheet or binary junk: refuse with a clear message
        stores.forget_local_copy(imp.file)
        imp.file.delete(save=False)
        raise ValidationError(_("This file cannot be read as CSV, XLSX or Ushahidi JSON.")) from None
    if not any(table.header):
        stores.forget_local_copy(imp.file)
        imp.file.delete(save=False)
        raise ValidationError(_("The file has no header row."))
    imp.encoding = table.encoding
    imp.mapping = presets.guess(table.header)
    if table.encoding == "json":
        imp.mapping["version"] = ushahidi.JSON
    try:  # the file's dates decide day-first or month-first when they can; else the mapping page asks
        imp.mapping = dateorder.settle(imp.mapping, stores.local_path(imp.file))
    except dateorder.DateOrderError:
        pass  # undecided or mixed: the mapping page (or `testigo import --date-order`) says so
    imp.save()
    audit.record(action="import.uploaded", actor=actor, obj=imp, data={"name": imp.original_name})
    return imp


def header_of(imp: Import) -> list[str]:
    return tabular.read_table(stores.local_path(imp.file)).header


@transaction.atomic
def set_mapping(*, actor, imp: Import, mapping_json: dict) -> Import:
    """Save the column mapping after checking it against the file's header."""
    roles.require(actor, roles.IMPORT_REPORTS)
    try:
        prepared = mapping.prepare(mapping_json, header_of(imp))
    except mapping.RowError as exc:
        raise ValidationError(str(exc)) from None
    imp.mapping, imp.survey = mapping_json, prepared.survey
    imp.save(update_fields=["mapping", "survey"])
    return imp


def preview(imp: Import, limit: int = 10) -> list[dict]:
    """The first rows as the import would see them: converted values or the reason for refusal."""
    table, first = tabular.preview(stores.local_path(imp.file), limit)
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
    roles.require(actor, roles.IMPORT_REPORTS)
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


def claim(import_id: int) -> bool:
    """Mark the import running, unless a worker (on this host or another) is running it now: one
    conditional UPDATE, so of two jobs for the same import only one runs it. A running import whose
    heartbeat is older than Import.STALLED_AFTER lost its worker and may be claimed again."""
    now = timezone.now()
    live = Q(status=Import.Status.RUNNING, heartbeat_at__gte=now - Import.STALLED_AFTER)
    return bool(Import.objects.filter(pk=import_id).exclude(live).update(status=Import.Status.RUNNING,
                                                                          heartbeat_at=now))


def run(*, import_id: int, progress: Callable[[Import], None] | None = None) -> Import:
    """Run an import to the end, saving counts after every batch (for the progress page)."""
    if not claim(import_id):
        logger.info("import %s is already running on another worker: not started twice", import_id)
        return Import.objects.get(pk=import_id)
    imp = Import.objects.get(pk=import_id)
    path = stores.local_path(imp.file)
    imp.status, imp.total_rows, imp.processed_rows = Import.Status.RUNNING, 0, 0
    imp.created_count = imp.duplicate_count = imp.rejected_count = imp.updated_count = 0
    imp.errors, imp.heartbeat_at, imp.summary = [], timezone.now(), {}
    imp.save()
    try:
        header = tabular.read_table(path).header
        prepared = mapping.prepare(imp.mapping, header)
        actor = imp.created_by or roles.SYSTEM  # no user: the command line
        prepared.may_publish = roles.can(actor, roles.PUBLISH)
        imp.summary = start_summary(imp, prepared, actor, path)
        columns = bulk.ReportColumns()
        with gcpause.frozen_heap(), _batches(imp, path, prepared, columns) as batches, bulk.import_connection():
            imp.total_rows = tabular.count_rows(path)  # while the first batch is converted
            imp.heartbeat_at = timezone.now()
            imp.save(update_fields=["total_rows", "heartbeat_at"])
            for batch in batches:
                _flush(imp, batch, columns, progress)
        imp.status = Import.Status.DONE
    except mapping.RowError as exc:  # the mapping no longer fits the file
        imp.status = Import.Status.FAILED
        imp.errors.append({"row": 0, "reason": str(exc), "values": []})
    except Exception as exc:  # a fault of ours or of the database: the batches written so far stay
        logger.exception("import %s stopped", imp.pk)
        imp.status = Import.Status.FAILED
        imp.errors.append({"row": 0, "values": [], "reason": ngettext(
            "The import stopped after %(n)s row because of an internal error (%(error)s). "
            "Run it again: the rows already imported are skipped.",
            "The import stopped after %(n)s rows because of an internal error (%(error)s). "
            "Run it again: the rows already imported are skipped.", imp.processed_rows) % {
            "n": imp.processed_rows, "error": type(exc).__name__}})
    imp.finished_at = timezone.now()
    imp.save()
    audit.record(action="import.finished", obj=imp, data={
        "created": imp.created_count, "updated": imp.updated_count, "duplicates": imp.duplicate_count,
        "rejected": imp.rejected_count})
    return imp


def start_summary(imp: Import, prepared: mapping.Prepared, actor, path: Path) -> dict:
    """What the run decides before the first row: the file's kind, where each column goes, and
    the categories the file names (created here when the mapping says "create" and the importer
    may manage categories; then matched by name like any other)."""
    summary = {"format": _format_of(imp), "columns": {prepared.header[i]: t for i, t in sorted(prepared.targets.items())},
               "categories_created": [], "categories_matched": None, "held_back": 0}
    category_column = next((i for i, t in prepared.targets.items() if t == "category"), None)
    if category_column is None or imp.mapping.get("unknown_categories") != "create":
        return summary  # only a mapping that creates categories reads the file for their names first
    names: dict[str, None] = {}
    for _number, cells in tabular.read_table(path).rows:
        if category_column < len(cells) and cells[category_column].strip():
            names.update(dict.fromkeys(mapping.category_names(cells[category_column], ushahidi_export=prepared.ushahidi,
                                                              known=prepared.categories)))
    if roles.can(actor, roles.MANAGE_CATEGORIES):
        with transaction.atomic():
            created = ushahidi.create_categories(actor=actor, names=list(names), known=prepared.categories)
        summary["categories_created"] = [c.name_es for c in created]
    summary["categories_matched"] = sum(1 for n in names if mapping.norm(n) in prepared.categories)
    return summary


FORMAT_LABELS = {"ushahidi-v2": gettext_lazy("Ushahidi 2 export (Download reports)"),
                 "ushahidi-v3": gettext_lazy("Ushahidi 3/5 export (Data → Export, CSV)"),
                 "ushahidi-json": gettext_lazy("Ushahidi 3/5 posts (JSON from the API)"),
                 "csv": gettext_lazy("CSV file"), "xlsx": gettext_lazy("Excel workbook (XLSX)")}


def summary_view(imp: Import) -> dict | None:
    """The run's summary for the progress page and the command line (None before a run)."""
    summary = imp.summary or {}
    if not summary:
        return None
    labels = mapping.TARGET_LABELS
    return {"format_label": FORMAT_LABELS.get(summary.get("format"), summary.get("format", "")),
            "columns": [(column, labels.get(target, target)) for column, target in summary.get("columns", {}).items()],
            "created": summary.get("categories_created", []), "matched": summary.get("categories_matched"),
            "held_back": summary.get("held_back", 0)}


def _format_of(imp: Import) -> str:
    if imp.mapping.get("preset") == "ushahidi":
        return f"ushahidi-{imp.mapping.get('version') or ushahidi.version(header_of(imp)) or 'v3'}"
    return "xlsx" if imp.encoding == "xlsx" else "csv"


@dataclass
class _Batch:
    # (row number, key, category ids, the report's column values from ReportColumns.params,
    # the fields an update may change). The key is the row's fingerprint, or its external id's
    # key when the mapping updates by external id.
    rows: list[tuple[int, str, list[int], list, dict | None]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {"row", "reason", "values"}
    known: int = 0  # rows this import stored on an earlier run: recognised, not converted again
    held_back: int = 0  # rows published in the source that arrive verified (the importer may not publish)

    def __len__(self) -> int:
        return len(self.rows) + len(self.rejected) + self.known


def _batches(imp: Import, path: Path, prepared: mapping.Prepared,
             columns: bulk.ReportColumns) -> AbstractContextManager[Iterator[_Batch]]:
    """The file's batches, converted in a second process when the file is big enough to gain
    from it (testigo/core/forked.py): this one meanwhile writes the batches already converted."""
    known = set(ImportRow.objects.filter(source_import=imp).values_list("fingerprint", flat=True))
    produce = functools.partial(_converted, path, prepared, columns, known, imp.created_by_id)
    if path.stat().st_size >= PARALLEL_MIN_BYTES and forked.available():
        return forked.iterate(produce)
    return nullcontext(produce())


def _converted(path: Path, prepared: mapping.Prepared, columns: bulk.ReportColumns, known: set[str],
               created_by_id: int | None) -> Iterator[_Batch]:
    """The file's rows in batches: each converted to the report's column values (reference
    drawn, public projection computed) or rejected with the reason. No database access: this
    may run in a forked child."""
    table = tabular.read_table(path)
    header_key = _header_key(tuple(table.header))
    projection = bulk.projection_settings()
    batch, pending = _Batch(), []
    by_external_id = prepared.update_by_external_id
    for number, cells in table.rows:
        fingerprint = _fingerprint(header_key, cells)
        if fingerprint in known:
            batch.known += 1
        else:
            try:
                data = mapping.convert(prepared, cells)
            except mapping.RowError as exc:
                batch.rejected.append({"row": number, "reason": str(exc),
                                       "values": [c[:500] for c in cells[:MAX_KEPT_CELLS]]})
            else:
                batch.held_back += bool(data.get("held_back"))
                key = updates.external_key(prepared.id_scope, data["external_id"]) \
                    if by_external_id and data["external_id"] else fingerprint
                values = _report_values(data, created_by_id)
                pending.append((number, key, [c.pk for c in data["categories"]], values,
                                {name: values[name] for name in updates.UPDATED_FIELDS} if by_external_id else None))
        if len(batch) + len(pending) >= BATCH:
            yield _finished(batch, pending, columns, projection)
            batch, pending = _Batch(), []
    yield _finished(batch, pending, columns, projection)


def _finished(batch: _Batch, pending: list[tuple], columns: bulk.ReportColumns, projection: dict) -> _Batch:
    template = columns.stamp()
    batch.rows = [(number, key, categories, columns.params(bulk.report_row(values, reference, projection), template),
                   fields)
                  for (number, key, categories, values, fields), reference
                  in zip(pending, bulk.new_references(len(pending)), strict=True)]
    return batch


def _flush(imp: Import, batch: _Batch, columns: bulk.ReportColumns, progress) -> None:
    """Write a batch and the import's counts in one transaction: the counts the progress page
    shows are always those of the rows committed (and one commit per batch, not two)."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                created, updated, duplicates, refused = _write(imp, batch, columns)
                totals = {"processed_rows": imp.processed_rows + len(batch),
                          "created_count": imp.created_count + created,
                          "updated_count": imp.updated_count + updated,
                          "duplicate_count": imp.duplicate_count + duplicates,
                          "rejected_count": imp.rejected_count + len(batch.rejected) + len(refused)}
                imp.summary["held_back"] = imp.summary.get("held_back", 0) + batch.held_back
                Import.objects.filter(pk=imp.pk).update(total_rows=imp.total_rows, heartbeat_at=timezone.now(),
                                                        summary=imp.summary, **totals)
            break
        except IntegrityError:  # a concurrent import took a fingerprint, or a reference collided
            if attempt == 2:
                raise
            imp.summary["held_back"] -= batch.held_back
            columns.redraw([row[3] for row in batch.rows], bulk.projection_settings())
    for name, value in totals.items():
        setattr(imp, name, value)
    imp.errors.extend(batch.rejected + refused)
    if progress:
        progress(imp)


def _write(imp: Import, batch: _Batch, columns: bulk.ReportColumns) -> tuple[int, int, int, list[dict]]:
    """Insert the batch's rows not imported before, and update the reports of rows an earlier
    import keyed by the same external id; returns (created, updated, duplicates, rows refused)."""
    existing = updates.known_reports([row[1] for row in batch.rows])
    fresh, again, seen = [], [], set()
    for row in batch.rows:
        if row[1] in seen:
            continue  # the same record twice in one batch: the first one counts
        seen.add(row[1])
        (again if row[1] in existing else fresh).append(row)
    ids = bulk.insert_reports([row[3] for row in fresh], columns, [row[2] for row in fresh])
    _place_from_text([pk for row, pk in zip(fresh, ids, strict=True) if row[3][columns.position["lat"]] is None])
    insert_fingerprints([(row[1], imp.pk, pk) for row, pk in zip(fresh, ids, strict=True)])
    updated, refused = [], []
    if imp.mapping.get("update_by") == "external_id" and again:
        updated, refused = updates.update_reports(imp, [(existing[row[1]], row) for row in again if existing[row[1]]])
    if fresh or updated:
        audit.record(action="report.imported", actor=imp.created_by, obj=imp, data={
            "references": [columns.reference(row[3]) for row in fresh], "rows": [row[0] for row in fresh],
            "updated": updated})
    return len(fresh), len(updated), len(batch.rows) - len(fresh) - len(updated) - len(refused) + batch.known, refused


def _place_from_text(report_ids: list[int]) -> None:
    """Rows without coordinates are read for place names by the worker once the batch is committed."""
    if report_ids and settings.PLACES_FROM_TEXT:
        from testigo.reports import tasks

        transaction.on_commit(lambda: tasks.locate_imported(report_ids=report_ids))


def insert_fingerprints(rows: list[tuple[str, int, int]]) -> None:
    """(fingerprint, import id, report id) for each imported row; inserted in fingerprint order,
    which its unique index takes faster than random order."""
    with connection.cursor() as cursor:
        bulk.insert_rows(cursor, ImportRow._meta.db_table, ["fingerprint", "source_import_id", "report_id"], sorted(rows))


def _report_values(data: dict, created_by_id: int | None) -> dict:
    custom = data["custom_values"]
    if data["unknown_categories"]:
        custom["_unmatched_categories"] = data["unknown_categories"]
    if data["external_id"]:
        custom["_external_id"] = data["external_id"]
    if data["media"]:
        custom[mapping.MEDIA_KEY] = " ".join(data["media"])
    published = {"published_at": timezone.now(), "public_updated_at": public_changes.stamp()} \
        if data["status"] == Report.Status.PUBLISHED else {}
    return {"title": data["title"], "description": data["description"], "occurred_at": data["occurred_at"],
            "status": data["status"], **published, "occurred_time_known": data["occurred_time_known"],
            "lat": data["lat"], "lon": data["lon"], "place_name": data["place_name"], "admin1": data["admin1"],
            "admin2": data["admin2"], "source": "import", "reporter_name": data["reporter_name"],
            "reporter_contact": data["reporter_contact"], "custom_values": custom,
            "created_by_id": created_by_id}
