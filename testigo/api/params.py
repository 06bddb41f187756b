"""Query-string parsing shared by the list, export and cluster endpoints and the map pages.

Every malformed value becomes an ApiError 400 with a stable code naming the parameter.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from testigo.api.errors import bad_param
from testigo.core import untrusted
from testigo.geo.clustering import MAX_ZOOM, Viewport
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters

MAX_LIMIT = 100


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """`w,s,e,n` in degrees; w > e means the box crosses the antimeridian."""
    if value in (None, ""):
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise bad_param("bbox", _("bbox must be four numbers: west,south,east,north.")) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise bad_param("bbox", _("bbox must be four numbers: west,south,east,north."))
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise bad_param("bbox", _("bbox is out of range (longitude ±180, latitude ±90)."))
    if south > north:
        raise bad_param("bbox", _("bbox south must not be greater than north."))
    return west, south, east, north


def parse_zoom(value: str | None) -> int:
    try:
        zoom = int(str(value))
    except (TypeError, ValueError):
        raise bad_param("zoom", _("zoom must be an integer.")) from None
    if not 0 <= zoom <= MAX_ZOOM:
        raise bad_param("zoom", _("zoom must be between 0 and %(max)d.") % {"max": MAX_ZOOM})
    return zoom


def viewport(bbox: str | None, zoom: str | None) -> Viewport:
    box = parse_bbox(bbox)
    if box is None:
        raise bad_param("bbox", _("bbox is required."))
    return Viewport(*box, zoom=parse_zoom(zoom))


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_param(name, _("Dates are written YYYY-MM-DD.")) from None


def parse_categories(value: str | None) -> list[int]:
    """Category ids or slugs, comma-separated. An unknown one is an error, not an empty result."""
    wanted = _csv(value)
    if not wanted:
        return []
    ids = {w for w in wanted if w.isdigit() and len(w) < 19}
    found = Category.objects.filter(id__in=[int(i) for i in ids]).values_list("id", "slug")
    found = list(found) + list(Category.objects.filter(slug__in=wanted).values_list("id", "slug"))
    known = {str(i) for i, _s in found} | {s for _i, s in found}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise bad_param("category", _("Unknown category: %(name)s.") % {"name": ", ".join(unknown[:5])})
    return sorted({i for i, _s in found})


def parse_filters(params) -> ReportFilters:
    """ReportFilters from a query dict (request.GET or a ninja Query schema's dict)."""
    statuses = _csv(params.get("status"))
    bad = [s for s in statuses if s not in Report.Status.values]
    if bad:
        raise bad_param("status", _("Unknown status: %(name)s.") % {"name": ", ".join(bad[:5])})
    text = (params.get("q") or params.get("text") or "").strip()
    if len(text) > 200:
        raise bad_param("q", _("The search text is too long."))
    return ReportFilters(statuses=statuses, categories=parse_categories(params.get("category")),
                         sources=_csv(params.get("source")), date_from=_date("date_from", params.get("date_from")),
                         date_to=_date("date_to", params.get("date_to")), text=text,
                         bbox=parse_bbox(params.get("bbox")))


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


def parse_limit(value) -> int:
    try:
        limit = int(value) if value not in (None, "") else 50
    except (TypeError, ValueError):
        raise bad_param("limit", _("limit must be an integer.")) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_param("limit", _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT})
    return limit


# The longest tie-breaker a cursor may carry: a report reference ("T-XXXX-XXXX") on the public side.
MAX_CURSOR_KEY = 32


def encode_cursor(sort_value: datetime | None, key: int | str) -> str:
    """An opaque cursor: the last row's sort value and tie-breaker (the public side's is the
    report's reference, never its id: an id would tell how many reports were created between
    two published ones)."""
    raw = json.dumps([sort_value.isoformat() if sort_value else None, key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None, *, key_type: type = int) -> tuple[datetime | None, int | str] | None:
    """(sort value, tie-breaker) of a cursor from encode_cursor; the tie-breaker must be of
    `key_type` (a staff cursor is refused on the public side and the other way round)."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        sort_value, key = untrusted.loads(raw)  # nesting-limited (a ValueError): a forged deep cursor is a 400
        moment = parse_datetime(sort_value) if sort_value else None
        if type(key) is not key_type or (key_type is str and len(key) > MAX_CURSOR_KEY):
            raise ValueError
        if sort_value and moment is None:
            raise ValueError
        return moment, key
    except (ValueError, TypeError, UnicodeDecodeError):
        raise bad_param("cursor", _("The cursor is not valid; start again without it.")) from None
