"""Filters of report lists, read from a query string: one parser for the API's lists, exports and
map clusters and the public and console map pages.

Every malformed value raises InvalidFilter naming the parameter, with a translated message: the
API answers it with a 400 `invalid_<param>`, the map pages show the message and ignore the value.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from testigo.geo.clustering import MAX_ZOOM, Viewport
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters

__all__ = ["InvalidFilter", "ReportFilters", "parse_bbox", "parse_categories", "parse_filters",
           "parse_updated_since", "parse_zoom", "viewport", "parse_area"]


class InvalidFilter(ValueError):
    """A query-string value that cannot be read; `param` names it, `message` is for people."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param, self.message = param, message


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """`w,s,e,n` in degrees; w > e means the box crosses the antimeridian."""
    if value in (None, ""):
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidFilter("bbox", _("bbox must be four numbers: west,south,east,north.")) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidFilter("bbox", _("bbox must be four numbers: west,south,east,north."))
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise InvalidFilter("bbox", _("bbox is out of range (longitude ±180, latitude ±90)."))
    if south > north:
        raise InvalidFilter("bbox", _("bbox south must not be greater than north."))
    return west, south, east, north


def parse_zoom(value: str | None) -> int:
    try:
        zoom = int(str(value))
    except (TypeError, ValueError):
        raise InvalidFilter("zoom", _("zoom must be an integer.")) from None
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidFilter("zoom", _("zoom must be between 0 and %(max)d.") % {"max": MAX_ZOOM})
    return zoom


def viewport(bbox: str | None, zoom: str | None) -> Viewport:
    box = parse_bbox(bbox)
    if box is None:
        raise InvalidFilter("bbox", _("bbox is required."))
    return Viewport(*box, zoom=parse_zoom(zoom))


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(name, _("Dates are written YYYY-MM-DD.")) from None


def parse_categories(value: str | None) -> list[int]:
    """Category ids or slugs, comma-separated. An unknown one is an error, not an empty result."""
    wanted = _csv(value)
    if not wanted:
        return []
    ids = {w for w in wanted if w.isascii() and w.isdigit() and len(w) < 19}  # "¹" is a digit too
    found = Category.objects.filter(id__in=[int(i) for i in ids]).values_list("id", "slug")
    found = list(found) + list(Category.objects.filter(slug__in=wanted).values_list("id", "slug"))
    known = {str(i) for i, _s in found} | {s for _i, s in found}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InvalidFilter("category", _("Unknown category: %(name)s.") % {"name": ", ".join(unknown[:5])})
    return sorted({i for i, _s in found})


def parse_filters(params) -> ReportFilters:
    """ReportFilters from a query dict (request.GET or a ninja Query schema's dict)."""
    statuses = _csv(params.get("status"))
    bad = [s for s in statuses if s not in Report.Status.values]
    if bad:
        raise InvalidFilter("status", _("Unknown status: %(name)s.") % {"name": ", ".join(bad[:5])})
    text = (params.get("q") or params.get("text") or "").strip()
    if len(text) > 200:
        raise InvalidFilter("q", _("The search text is too long."))
    return ReportFilters(statuses=statuses, categories=parse_categories(params.get("category")),
                         sources=_csv(params.get("source")), date_from=_date("date_from", params.get("date_from")),
                         date_to=_date("date_to", params.get("date_to")), text=text,
                         bbox=parse_bbox(params.get("bbox")), admin1=parse_area("admin1", params.get("admin1")),
                         admin2=parse_area("admin2", params.get("admin2")))


def parse_area(name: str, value: str | None) -> str:
    """A department (admin1) or municipality (admin2) name, matched exactly as the lists show it."""
    value = (value or "").strip()
    if len(value) > 100:
        raise InvalidFilter(name, _("The area name is too long."))
    return value


def parse_updated_since(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value) if len(value) > 10 else None
    if moment is None:
        parsed = _date("updated_since", value)
        moment = datetime.combine(parsed, datetime.min.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
