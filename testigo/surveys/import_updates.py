"""Updating reports from a newer export of the same records (mapping "update_by": "external_id").

Each imported row is remembered in ImportRow under a key: normally the row's fingerprint (the same
row is skipped), here its id in the other system within a scope ("ushahidi"), so a row whose id an
earlier import stored brings that report up to date instead of creating another.
"""

from __future__ import annotations

import hashlib

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core import roles
from testigo.reports import bulk, counts
from testigo.reports.models import Report
from testigo.reports.services import refresh_projection
from testigo.surveys.models import Import, ImportRow


def external_key(scope: str, external_id: str) -> str:
    """The ImportRow key of a record of another system (its id there, within `scope`): the same
    width as a fingerprint, so both live in one unique column."""
    return hashlib.sha256(f"external\x1f{scope}\x1f{external_id.strip()}".encode()).hexdigest()


# What a newer export of the same records changes in their reports.
UPDATED_FIELDS = ("title", "description", "occurred_at", "occurred_time_known", "lat", "lon", "place_name",
                  "status", "custom_values")


def update_reports(imp: Import, rows: list[tuple[int, tuple]]) -> tuple[list[str], list[dict]]:
    """Bring reports up to date with their rows (report id, batch row): only what differs is
    written, through the ORM so the map's counts and the public change stamp follow. A change
    the public would see needs the publish permission, as in the console: without it the row is
    refused with the reason. Returns (references updated, rows refused)."""
    actor = imp.created_by or roles.SYSTEM
    reports = Report.objects.in_bulk([pk for pk, _row in rows])
    links: dict[int, set[int]] = {}
    for report_id, category_id in Report.categories.through.objects.filter(
            report_id__in=list(reports)).values_list("report_id", "category_id"):
        links.setdefault(report_id, set()).add(category_id)
    updated, refused = [], []
    with counts.tracking(list(reports)):
        for pk, (number, _key, categories, _params, fields) in rows:
            report = reports.get(pk)
            if report is None:
                continue
            fields = {**fields, "custom_values": {**report.custom_values, **fields["custom_values"]}}
            changes = {name: value for name, value in fields.items() if getattr(report, name) != value}
            if set(categories) != links.get(pk, set()):
                changes["categories"] = categories
            if not changes:
                continue
            if roles.public_change_action(report, changes) == roles.PUBLISH and not roles.can(actor, roles.PUBLISH):
                refused.append({"row": number, "values": [], "reason": _(
                    "This row would change what the public sees of report %(reference)s; that needs the "
                    "permission to publish.") % {"reference": report.reference}})
                continue
            _apply(report, changes)
            updated.append(report.reference)
    return updated, refused


def _apply(report: Report, changes: dict) -> None:
    for name, value in changes.items():
        if name != "categories":
            setattr(report, name, value)
    if changes.get("status") == Report.Status.PUBLISHED and report.published_at is None:
        report.published_at = timezone.now()
    refresh_projection(report)
    report.save()
    if "categories" in changes:
        report.categories.set(changes["categories"])


def known_reports(keys: list[str]) -> dict[str, int | None]:
    """key -> report id (None when that report was deleted since) for the keys already imported."""
    if not keys:
        return {}
    with connection.cursor() as cursor:
        return dict(bulk.select_in(cursor, ImportRow._meta.db_table, "fingerprint", "report_id", keys))
