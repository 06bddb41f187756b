"""How a moment is shown: one short and one long format per language (testigo/formats/), always
in the deployment's time zone (TESTIGO_TIME_ZONE), whoever renders it: a template, the map's
JSON or an e-mail. The map list with JavaScript and the page without it then say the same thing.

A report whose time of day is unknown (Report.occurred_time_known) shows its date alone: its
stored "00:00" is a convention, not something the reporter said.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import dateformat, timezone, translation
from django.utils.formats import get_format

SHORT, LONG = "short", "long"
_FORMATS = {(SHORT, True): "SHORT_DATETIME_FORMAT", (SHORT, False): "SHORT_DATE_FORMAT",
            (LONG, True): "DATETIME_FORMAT", (LONG, False): "DATE_FORMAT"}


def local(moment: datetime) -> datetime:
    """`moment` in TIME_ZONE (not the current zone: no page switches zones, and none should)."""
    return timezone.localtime(moment, timezone.get_default_timezone()) if timezone.is_aware(moment) else moment


def show(moment: date | datetime | None, *, style: str = SHORT, with_time: bool = True) -> str:
    """`moment` in the active language's short or long format; "" for None."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = local(moment)
    else:
        with_time = False
    return _format(moment, get_format(_FORMATS[style if style in (SHORT, LONG) else SHORT, with_time]),
                   translation.get_language(), str(getattr(moment, "tzinfo", None) or ""))


@lru_cache(maxsize=4096)
def _format(moment: date | datetime, fmt: str, language: str | None, zone: str) -> str:
    """Formatting is a fifth of a map request's time (a date per point, issue #19), and the same
    reports' dates come back on every map move: kept per moment, format, language (month names are
    the language's) and zone — aware datetimes of one instant are equal whatever their zone, so
    without it a cache hit would show another zone's clock."""
    return dateformat.format(moment, fmt)


def _field(report, name: str):
    return report.get(name) if isinstance(report, dict) else getattr(report, name, None)


def show_occurred(report, *, style: str = SHORT) -> str:
    """When a report (a Report or a selector's row dict) happened; the date alone when its time
    is unknown; "" when it has no date."""
    known = _field(report, "occurred_time_known")
    return show(_field(report, "occurred_at"), style=style, with_time=known is not False)


def occurred_iso(report) -> str:
    """The machine-readable value for <time datetime="...">: the local date alone, or the moment
    with its offset."""
    moment = _field(report, "occurred_at")
    if moment is None:
        return ""
    moment = local(moment)
    return moment.date().isoformat() if _field(report, "occurred_time_known") is False else moment.isoformat()
