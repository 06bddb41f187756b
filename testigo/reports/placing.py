"""Placing reports that came without a location from the places their text names (docs/geo.md).

Runs in the worker after the report is committed (tasks.locate_from_text), never in the request
or webhook that received it. Promises:
- a location a person gave is never overwritten, nor one staff set meanwhile (checked under lock);
- a confident reading (extraction.LOCATE) sets the location with the place's size as precision and
  marks it "located from text"; every reading at or above extraction.SUGGEST is kept, staff-only,
  as a suggestion a moderator accepts with one key;
- the place's name is not copied into `place_name`, which the public sees: what the text says
  reaches the public only through the (redactable) text itself.
"""

from __future__ import annotations

import logging

from django.db import transaction

from testigo.core import audit, roles
from testigo.geo import areas, extraction, gazetteer
from testigo.reports import services
from testigo.reports.models import Report

log = logging.getLogger(__name__)
MAX_SUGGESTIONS = 5


def text_of(report: Report) -> str:
    """The words to read: the description, and the title when it says something more."""
    if report.title and report.title.strip(" .…") not in report.description:
        return f"{report.title}\n{report.description}"
    return report.description


def locate_from_text(*, report_id: int, region: str = "", more_text: str = "") -> Report | None:
    """Read the report's text for places; locate it when confident, keep the suggestions either way.
    `region`: the channel's region (a department or town name) that settles shared names;
    `more_text`: a later message of the conversation, read with the report's own text."""
    report = Report.objects.filter(pk=report_id).only("id", "title", "description", "lat").first()
    if report is None or report.lat is not None:
        return None
    text = f"{text_of(report)}\n{more_text}" if more_text else text_of(report)
    found = extraction.extract(text, gazetteer.current(), region=region)
    suggestions = [c.as_dict() for c in found if c.confidence >= extraction.SUGGEST][:MAX_SUGGESTIONS]
    if not suggestions:
        return None
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.lat is not None:  # a person placed it while we read
            return None
        lead = found[0]
        changes = {"place_suggestions": suggestions}
        if lead.confidence >= extraction.LOCATE:
            changes.update(lat=lead.place.lat, lon=lead.place.lon, precision_m=lead.place.precision_m,
                           location_from_text=True, **_areas_named(lead.place))
        report = services.update_report(report=report, actor=roles.SYSTEM, **changes)
        if report.location_from_text:
            audit.record(action="report.located_from_text", actor=roles.SYSTEM, obj=report,
                         data={"place": lead.place.label, "confidence": round(lead.confidence, 2),
                               "matched": lead.matched})
    return report


def _areas_named(place) -> dict:
    """The admin areas a department, municipality or town names itself (a department's centre
    lies in some municipality it does not mean); {} for a neighbourhood, landmark or a town
    without a municipality, which is then placed in the areas of its point (services.update_report, geo/areas.py)."""
    admin1, admin2 = areas.area_of_place(place)
    kind = place.get("kind") if isinstance(place, dict) else place.kind
    if admin1 and (admin2 or kind == "department"):
        return {"admin1": admin1, "admin2": admin2}
    return {}  # a town GeoNames files under no municipality: its point's areas


@transaction.atomic
def accept_suggestion(*, report: Report, actor, index: int = 0) -> Report:
    """A moderator takes the text's `index`-th suggested place as the report's location (staff
    who may edit; a location a person gave stays unless they move it themselves in the editor)."""
    roles.require(actor, roles.EDIT)
    report = Report.objects.select_for_update().get(pk=report.pk)
    suggestions = report.place_suggestions or []
    if not 0 <= index < len(suggestions):
        raise IndexError(index)
    chosen = suggestions[index]
    report = services.update_report(
        report=report, actor=actor, lat=chosen["lat"], lon=chosen["lon"], precision_m=chosen["precision_m"],
        location_from_text=True, place_suggestions=[], **_areas_named(chosen))
    audit.record(action="report.place_suggestion_accepted", actor=actor, obj=report,
                 data={"place": chosen.get("label", ""), "confidence": chosen.get("confidence")})
    return report


@transaction.atomic
def dismiss_suggestions(*, report: Report, actor) -> Report:
    """The text's suggestions are wrong: forget them (the location is untouched)."""
    return services.update_report(report=report, actor=actor, place_suggestions=[])


def locate_many(report_ids: list[int], *, region: str = "", more_text: str = "") -> int:
    """Place each report of an import; one failure is logged and skips only that report."""
    done = 0
    for report_id in report_ids:
        try:
            done += locate_from_text(report_id=report_id, region=region, more_text=more_text) is not None
        except Exception:
            log.exception("report %s could not be placed from its text", report_id)
    return done
