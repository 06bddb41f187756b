"""Turning a tip into a report: a new report carries only what staff chose to write."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from testigo.core import audit, roles
from testigo.reports import services as report_services
from testigo.reports.models import Report
from testigo.tipline import filemeta, storage, vault
from testigo.tipline.models import Tip, TipFile


def tip_to_report(*, actor, org_private: bytes, tip: Tip, title: str, description: str, language: str,
                  occurred_on: date | None = None, place_name: str = "", categories=None,
                  photo_ids: list[int] | None = None) -> Report:
    """Create a report (source "tipline") from staff-redacted text and chosen metadata-free photos.

    No codename, source id, tip id, label or original file name is carried into the report;
    the audit event links the two for staff only. The public sees the source as "web"
    (reports.selectors.PUBLIC_SOURCE_ALIASES): only staff know a report began as a tip. The date
    is stored as the public form stores a date given without a time: that day, time unknown."""
    vault.require_key_holder(actor, roles.EDIT)
    box_key = vault.open_for_org(org_private, bytes(tip.key_for_org))
    photos = []
    chosen = TipFile.objects.filter(message__tip=tip, kind=TipFile.Kind.IMAGE, pk__in=photo_ids or [])
    for index, item in enumerate(chosen, start=1):
        data = filemeta.open_content(box_key, item, storage.read(item.view_path))
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}[item.content_type]
        photos.append((f"photo-{index}.{ext}", data))
    with transaction.atomic():
        report = report_services.create_report(
            title=title, description=description, categories=categories or [], source="tipline",
            occurred_at=occurred_on, place_name=place_name, language=language, photos=photos, actor=actor)
        audit.record(action="tipline.to_report", actor=actor, obj=tip, data={"report": report.reference})
    return report

