"""Every write to reports. Keyword-only, validated, transactional and audited."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core import audit, roles
from testigo.geo import areas
from testigo.geo.fuzz import fuzz
from testigo.geo.tiles import tile_key
from testigo.reports import counts, sensitive
from testigo.reports.media import sanitise_image
from testigo.reports.models import Category, HeldRecording, Media, Note, Report
from testigo.reports.photos import store_media
from testigo.reports.references import new_reference

Status = Report.Status

# Allowed status changes. Publishing needs a verified report; anything can be archived.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_REVIEW, Status.VERIFIED, Status.REJECTED, Status.ARCHIVED},
    Status.IN_REVIEW: {Status.NEW, Status.VERIFIED, Status.REJECTED, Status.ARCHIVED},
    Status.VERIFIED: {Status.IN_REVIEW, Status.PUBLISHED, Status.REJECTED, Status.ARCHIVED},
    Status.PUBLISHED: {Status.VERIFIED, Status.ARCHIVED},
    Status.REJECTED: {Status.IN_REVIEW, Status.ARCHIVED},
    Status.ARCHIVED: {Status.IN_REVIEW},
}
# Which writes need the publish permission (anything the public would notice) is decided by
# core.roles.public_change_action(); every write below asks it through roles.require_public_change().

FUTURE_TOLERANCE = timedelta(minutes=10)
REDACTED = "[█]"


def validate_location(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError(_("Give both latitude and longitude, or neither."))
    if lat is not None and not (-90 <= lat <= 90):
        raise ValidationError(_("Latitude must be between -90 and 90."))
    if lon is not None and not (-180 <= lon <= 180):
        raise ValidationError(_("Longitude must be between -180 and 180."))


def when_it_happened(value: date | datetime | None) -> tuple[datetime | None, bool]:
    """(occurred_at, occurred_time_known) for what a reporter or a file gave: a date alone is the
    start of that day in TIME_ZONE with the time unknown, so no page shows a made-up "00:00"."""
    if value is None or isinstance(value, datetime):
        return value, True
    return timezone.make_aware(datetime.combine(value, time.min), timezone.get_default_timezone()), False


def validate_occurred_at(occurred_at: datetime | None) -> None:
    if occurred_at is not None and occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(_("The date cannot be in the future."))


def redact_text(text: str, redactions: list[str]) -> str:
    for phrase in sorted(redactions, key=len, reverse=True):
        if phrase.strip():
            text = re.sub(re.escape(phrase), REDACTED, text, flags=re.IGNORECASE)
    return text


def refresh_projection(report: Report, *, radius_m: int | None = None, secret: str | None = None,
                       gaz=None, polygons=True) -> None:
    """Recompute the public columns (fuzzed location, its areas, redacted text) from the source fields.
    `radius_m`, `secret`, `gaz` (the gazetteer) and `polygons` (the admin areas' index) default to
    the settings and the current ones (a bulk import reads them once per batch)."""
    report.tile_key = tile_key(report.lat, report.lon)
    if report.lat is not None and report.lon is not None:
        report.public_lat, report.public_lon = fuzz(
            lat=report.lat, lon=report.lon, radius_m=settings.FUZZ_RADIUS_M if radius_m is None else radius_m,
            secret=secret or settings.SECRET_KEY,
        )
        report.public_tile_key = tile_key(report.public_lat, report.public_lon)
        # The public point's areas, never the exact point's: near a border they may differ.
        report.public_admin1, report.public_admin2 = areas.area_at(report.public_lat, report.public_lon, gaz=gaz,
                                                                   remember=True, polygons=polygons)
    else:
        report.public_lat = report.public_lon = report.public_tile_key = None
        report.public_admin1, report.public_admin2 = report.admin1, report.admin2  # typed: public already
    report.public_title = redact_text(report.title, report.redactions)
    report.public_description = redact_text(report.description, report.redactions)


@transaction.atomic
def create_report(
    *,
    title: str,
    description: str,
    categories: list[Category] | None = None,
    occurred_at: date | datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    precision_m: int | None = None,
    place_name: str = "",
    admin1: str = "",
    admin2: str = "",
    source: str = "web",
    language: str = "es",
    reporter_name: str = "",
    reporter_contact: str = "",
    custom_values: dict | None = None,
    photos: list[tuple[str, bytes]] | None = None,
    actor=None,
    received_at: datetime | None = None,
    place_region: str = "",
) -> Report:
    """Create a report (status new) with its sanitised photos in one transaction and audit it.

    `occurred_at` may be a date alone when the time is unknown (see when_it_happened).
    Raises ValidationError naming the first problem; nothing is written in that case.
    A report without a location is read for place names by the worker once committed
    (reports/placing.py); `place_region` (a channel's department or town) settles shared names.
    """
    validate_location(lat, lon)
    occurred_at, occurred_time_known = when_it_happened(occurred_at)
    validate_occurred_at(occurred_at)
    sanitised = [sanitise_image(name=name, data=data) for name, data in (photos or [])]
    report = Report(
        reference=new_reference(), title=title.strip(), description=description.strip(),
        occurred_at=occurred_at, occurred_time_known=occurred_time_known,
        received_at=received_at or timezone.now(), lat=lat, lon=lon,
        precision_m=precision_m, place_name=place_name.strip(), admin1=admin1, admin2=admin2,
        source=source, language=language, reporter_name=reporter_name.strip(),
        reporter_contact=reporter_contact.strip(), custom_values=custom_values or {},
        created_by=roles.person(actor),
    )
    if sensitive.any_sensitive(categories):  # the survivor pathway: confidential from the start
        report.visibility = Report.Visibility.CONFIDENTIAL
    if lat is not None and not admin1 and not admin2:
        report.admin1, report.admin2 = areas.area_at(lat, lon)
    refresh_projection(report)
    report.full_clean(exclude=["categories", "reference"])
    with counts.tracking():  # the map's counts: once for the row and its categories
        _save_new(report, categories)
    for item in sanitised:
        store_media(report=report, clean=item)
    audit.record(action="report.created", actor=actor, obj=report,
                 data={"reference": report.reference, "source": source,
                       "media_sha256": [m.sha256 for m in sanitised]})
    if source not in NOT_PLACED_FROM_TEXT:
        place_from_text_later(report=report, region=place_region)
    return report


# Tip-line reports are written by staff from a tip: where it happened is theirs to decide.
NOT_PLACED_FROM_TEXT = {"tipline"}


def place_from_text_later(*, report: Report, region: str = "", more_text: str = "") -> None:
    """Once the transaction commits, have the worker read the report's text (and `more_text`, a
    later message of the same conversation) for place names, if it still has no location
    (reports/placing.py)."""
    if report.lat is not None or not settings.PLACES_FROM_TEXT:
        return

    def queue() -> None:
        from testigo.reports import tasks  # tasks -> placing -> services: imported when used

        tasks.locate_from_text(report_id=report.pk, region=region, more_text=more_text)

    transaction.on_commit(queue)


def _save_new(report: Report, categories: list[Category] | None) -> None:
    for attempt in range(5):
        try:
            with transaction.atomic():
                report.save()
            break
        except IntegrityError:  # reference collision: astronomically rare, retry with a new one
            if attempt == 4:
                raise
            report.reference = new_reference()
            refresh_projection(report)
    if categories:
        report.categories.set(categories)


EDITABLE_FIELDS = ["title", "description", "occurred_at", "lat", "lon", "precision_m", "place_name",
                   "admin1", "admin2", "visibility", "custom_values", "location_from_text", "place_suggestions"]


@transaction.atomic
def update_report(*, report: Report, actor, categories: list[Category] | None = None, **changes) -> Report:
    """Edit a report's fields; records which fields changed (old and new values) in the audit trail.

    Changing what the public sees (a published report's public fields, its visibility) needs the
    publish permission; refused, nothing is written. A new `occurred_at` given as a date alone
    marks the time unknown; a new datetime marks it known."""
    roles.require(actor, roles.EDIT)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "occurred_at" in changes:
        changes["occurred_at"], known = when_it_happened(changes["occurred_at"])
        if changes["occurred_at"] != report.occurred_at:  # an unchanged moment keeps its flag
            changes["occurred_time_known"] = known
    _keep_sensitive_private(report, categories, changes)
    if changes.get("visibility") == Report.Visibility.CONFIDENTIAL or report.visibility == Report.Visibility.CONFIDENTIAL:
        roles.require(actor, roles.VIEW_CONFIDENTIAL)
    report = Report.objects.select_for_update().get(pk=report.pk)
    validate_location(changes.get("lat", report.lat), changes.get("lon", report.lon))
    validate_occurred_at(changes.get("occurred_at", report.occurred_at))
    diff = _diff(report, categories, changes)
    if {"lat", "lon"} & diff.keys() and "location_from_text" not in changes and report.location_from_text:
        diff["location_from_text"] = [True, False]  # a person moved it: no longer a reading of the text
    if ({"lat", "lon"} & diff.keys() and not {"admin1", "admin2"} & changes.keys()
            and changes.get("lat", report.lat) is not None):
        # A new point without areas given with it: its areas are the point's (geo/areas.py).
        found = areas.area_at(changes.get("lat", report.lat), changes.get("lon", report.lon))
        for field, value in zip(("admin1", "admin2"), found, strict=True):
            if getattr(report, field) != value:
                diff[field] = [getattr(report, field), value]
    roles.require_public_change(actor, report, {field: new for field, (_old, new) in diff.items()})
    if diff:
        with counts.tracking([report.pk]):  # the map's counts: once for fields and categories
            _apply_update(report, actor, categories, diff)
    return report


def _keep_sensitive_private(report: Report, categories: list[Category] | None, changes: dict) -> None:
    """A report in a survivor-pathway category is never public: asking for it is refused with the
    reason; filing a public report under such a category makes it confidential."""
    if categories is not None:
        flagged = sensitive.sensitive_ids(c.pk for c in categories)
        if not flagged:
            return
        names = ", ".join(c.name for c in categories if c.pk in flagged)
    elif sensitive.is_sensitive(report):
        names = sensitive.sensitive_names(report)
    else:
        return
    if changes.get("visibility") == Report.Visibility.PUBLIC:
        raise sensitive.refuse_public(names)
    if "visibility" not in changes and report.visibility == Report.Visibility.PUBLIC:
        changes["visibility"] = Report.Visibility.CONFIDENTIAL


def _diff(report: Report, categories: list[Category] | None, changes: dict) -> dict[str, list]:
    """field -> [old, new] for what really changes (categories as sorted id lists)."""
    diff = {field: [getattr(report, field), value] for field, value in changes.items()
            if getattr(report, field) != value}
    if categories is not None:
        old_ids = sorted(report.categories.values_list("id", flat=True))
        new_ids = sorted(c.id for c in categories)
        if old_ids != new_ids:
            diff["categories"] = [old_ids, new_ids]
    return diff


def _apply_update(report: Report, actor, categories: list[Category] | None, diff: dict) -> None:
    for field, (_old, value) in diff.items():
        if field != "categories":
            setattr(report, field, value)
    if "categories" in diff:
        report.categories.set(categories)
    refresh_projection(report)
    report.full_clean(exclude=["categories"])
    report.save()
    audit.record(action="report.edited", actor=actor, obj=report, data={"changes": diff})
    from testigo.reports.signals import report_updated

    fields = sorted(diff)
    transaction.on_commit(lambda: report_updated.send(sender=Report, report=report, fields=fields))


@transaction.atomic
def change_status(*, report: Report, actor, status: str) -> Report:
    """Move a report through the workflow; refuses transitions not in TRANSITIONS. Publishing,
    rejecting, and any move away from published (unpublish, archive) need the publish permission."""
    roles.require(actor, roles.EDIT)
    report = Report.objects.select_for_update().get(pk=report.pk)
    roles.require_public_change(actor, report, {"status": status} if status != report.status else {})
    if status == Status.PUBLISHED and sensitive.is_sensitive(report):
        raise sensitive.refuse_public(sensitive.sensitive_names(report))
    if status not in TRANSITIONS.get(report.status, set()):
        raise ValidationError(
            _("A report that is “%(old)s” cannot become “%(new)s”.")
            % {"old": Report.Status(report.status).label, "new": Report.Status(status).label}
        )
    old = report.status
    report.status = status
    if status == Status.PUBLISHED:
        report.published_at = timezone.now()
    report.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(action=f"report.{status}", actor=actor, obj=report, data={"from": old, "to": status})
    if status == Status.PUBLISHED:
        from testigo.reports.signals import report_published

        transaction.on_commit(lambda: report_published.send(sender=Report, report=report))
    if status == Status.VERIFIED:
        from testigo.reports.signals import report_verified

        transaction.on_commit(lambda: report_verified.send(sender=Report, report=report))
    return report


def verify(*, report: Report, actor) -> Report:
    return change_status(report=report, actor=actor, status=Status.VERIFIED)


def publish(*, report: Report, actor) -> Report:
    """Publish a verified report. The public projection then shows it (fuzzed, redacted)."""
    return change_status(report=report, actor=actor, status=Status.PUBLISHED)


# Publishing is never refused for a missing location (a report can matter without one), but
# whoever publishes is told, in the console and in the API's answer.
NO_LOCATION_WARNING = gettext_lazy("Published, but it has no location: it will not appear on the map. "
                                   "Add a location (latitude and longitude, under Edit) to show it there.")


def publish_warnings(report: Report) -> list[dict[str, str]]:
    """What a user who just changed this report's status should know: [{"code", "message"}]."""
    if report.published_off_map:
        return [{"code": "no_location", "message": str(NO_LOCATION_WARNING)}]
    return []


def reject(*, report: Report, actor) -> Report:
    return change_status(report=report, actor=actor, status=Status.REJECTED)


@transaction.atomic
def add_note(*, report: Report, actor, text: str) -> Note:
    roles.require(actor, roles.EDIT)
    text = text.strip()
    if not text:
        raise ValidationError(_("The note is empty."))
    note = Note(report=report, author=roles.person(actor), text=text)
    note.full_clean()
    note.save()
    audit.record(action="report.note_added", actor=actor, obj=report, data={"note_id": note.pk})
    return note


@transaction.atomic
def redact(*, report: Report, actor, phrases: list[str]) -> Report:
    """Set the phrases hidden from the public text (names, addresses...). The staff view keeps
    the original; the public projection shows each phrase as a block."""
    roles.require(actor, roles.PUBLISH)
    report = Report.objects.select_for_update().get(pk=report.pk)
    cleaned = sorted({p.strip() for p in phrases if p.strip()})
    if cleaned != report.redactions:
        audit.record(action="report.redacted", actor=actor, obj=report,
                     data={"count": len(cleaned), "before": len(report.redactions)})
        report.redactions = cleaned
        refresh_projection(report)
        report.save()
    return report


@transaction.atomic
def merge(*, duplicate: Report, into: Report, actor) -> Report:
    """Mark `duplicate` as a duplicate of `into`: it is archived, points to `into`, and its
    categories and photos are added to `into`. Nothing is deleted. Needs the publish permission
    when the public would notice: a public duplicate disappears, or a public report gains
    categories or public photos."""
    roles.require(actor, roles.EDIT)
    if duplicate.pk == into.pk:
        raise ValidationError(_("A report cannot be merged into itself."))
    target = into
    while target.merged_into_id is not None:  # follow to the surviving report
        target = target.merged_into
        if target.pk == duplicate.pk:
            raise ValidationError(_("These reports are already merged the other way round."))
    duplicate = Report.objects.select_for_update().get(pk=duplicate.pk)
    _check_merge(actor, duplicate, target)
    with counts.tracking([duplicate.pk, target.pk]):
        _merge(duplicate, target, actor)
    return target


def _check_merge(actor, duplicate: Report, target: Report) -> None:
    """A merge changes two reports: each change is checked by the one public-change gate."""
    archived = {"merged": target.reference}
    if duplicate.status != Status.ARCHIVED:
        archived["status"] = Status.ARCHIVED
    roles.require_public_change(actor, duplicate, archived)
    gained = {}
    target_categories = target.categories.values_list("id", flat=True)
    if duplicate.categories.exclude(id__in=list(target_categories)).exists():
        gained["categories"] = duplicate.reference
    # A photo marked public on a restricted duplicate becomes public on a public target.
    if Media.objects.filter(report=duplicate, is_public=True).exists():
        gained["media"] = duplicate.reference
    roles.require_public_change(actor, target, gained)


def _merge(duplicate: Report, target: Report, actor) -> None:
    # What moves is written in the audit event, so unmerge() can move exactly that back.
    gained = list(duplicate.categories.exclude(id__in=list(target.categories.values_list("id", flat=True)))
                  .values_list("id", flat=True))
    moved = list(Media.objects.filter(report=duplicate).values_list("id", flat=True))
    target.categories.add(*duplicate.categories.all())
    if target.visibility == Report.Visibility.PUBLIC and sensitive.is_sensitive(target):
        target.visibility = Report.Visibility.CONFIDENTIAL  # it gained a survivor-pathway category
        target.save(update_fields=["visibility", "updated_at"])
    Media.objects.filter(report=duplicate).update(report=target)
    HeldRecording.objects.filter(report=duplicate).update(report=target)  # still with the worker: lands there
    duplicate.merged_into = target
    duplicate.status = Status.ARCHIVED
    duplicate.save(update_fields=["merged_into", "status", "updated_at"])
    Report.objects.filter(merged_into=duplicate).update(merged_into=target)
    audit.record(action="report.merged", actor=actor, obj=duplicate,
                 data={"into": target.reference, "from": duplicate.reference, "media": moved,
                       "categories_gained": gained})


@transaction.atomic
def unmerge(*, duplicate: Report, actor) -> Report:
    """Undo merge(): the report stands on its own again (in review), the photos and files it
    brought go back to it, and the categories the survivor gained from it only are removed
    (unless another of its duplicates brought them too). Audited; returns the report."""
    from testigo.core.models import AuditEvent

    roles.require(actor, roles.EDIT)
    duplicate = Report.objects.select_for_update().get(pk=duplicate.pk)
    if duplicate.merged_into_id is None:
        raise ValidationError(_("This report is not merged into another one."))
    target = duplicate.merged_into
    event = (AuditEvent.objects.filter(action="report.merged", object_id=str(duplicate.pk))
             .order_by("-seq").values_list("data", flat=True).first()) or {}
    others = Report.objects.filter(merged_into=target).exclude(pk=duplicate.pk)
    kept = set(Report.categories.through.objects.filter(report__in=others).values_list("category_id", flat=True))
    removed = [pk for pk in event.get("categories_gained", []) if pk not in kept]
    lost = {"categories": duplicate.reference} if removed else {}
    if Media.objects.filter(report=target, pk__in=event.get("media", []), is_public=True).exists():
        lost["media"] = duplicate.reference  # a public photo leaves a public report
    roles.require_public_change(actor, target, lost)
    roles.require_public_change(actor, duplicate, {"status": Status.IN_REVIEW})
    with counts.tracking([duplicate.pk, target.pk]):
        target.categories.remove(*removed)
        Media.objects.filter(report=target, pk__in=event.get("media", [])).update(report=duplicate)
        duplicate.merged_into, duplicate.status = None, Status.IN_REVIEW
        duplicate.save(update_fields=["merged_into", "status", "updated_at"])
    audit.record(action="report.unmerged", actor=actor, obj=duplicate,
                 data={"from": target.reference, "media": event.get("media", []), "categories_removed": removed})
    return duplicate


@transaction.atomic
def set_media_public(*, media: Media, actor, is_public: bool) -> Media:
    roles.require(actor, roles.PUBLISH)
    if is_public and media.kind == Media.Kind.DOCUMENT:
        raise ValidationError(_("Documents are for staff only: they cannot be made public."))
    media.is_public = is_public
    media.save(update_fields=["is_public"])
    audit.record(action="media.public" if is_public else "media.private", actor=actor, obj=media.report,
                 data={"sha256": media.sha256})
    return media
