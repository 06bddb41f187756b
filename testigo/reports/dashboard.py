"""The console dashboard's numbers (issue #24): what came in over a period, and how fast it was handled.

Every figure is read from what the user may see (reports.selectors.visible_to, so confidential
reports only for roles allowed them) with the inbox's filters, by GROUP BY over the period's
received_at range — the (status, received_at) and (status, source, received_at) indexes serve it —
never by loading reports. The period is bounded (DEFAULT_DAYS unless chosen, at most MAX_DAYS), so a
page reads one period's reports, not a million.

Times to verification and publication are medians and 90th percentiles over the period's most
recent TIMING_SAMPLE handled reports (the page says how many were measured): an exact percentile
over every report of a long period would read them all for a figure that a sample states as well.
Verification times come from the audit trail (the first `report.verified` event of each report).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, F, FloatField, Func, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core.bilingual import in_language
from testigo.core.models import AuditEvent
from testigo.reports import selectors
from testigo.reports.labels import source_label
from testigo.reports.models import Category, Report

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year by day or week: a few hundred groups, one period's reports read
WEEKLY_AFTER_DAYS = 62  # longer periods are drawn by week, so a chart keeps ≤ ~53 columns
TOP_AREAS = 10
TIMING_SAMPLE = 1000
STATUS_COLOURS = {"new": "#56B4E9", "in_review": "#E69F00", "verified": "#009E73", "published": "#0072B2",
                  "rejected": "#D55E00", "archived": "#999999"}


@dataclass
class Period:
    start: date
    end: date  # inclusive
    weekly: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_of(date_from: date | None, date_to: date | None, interval: str = "") -> Period:
    """The period asked for, bounded: the last DEFAULT_DAYS when not given, never longer than MAX_DAYS
    (the start moves up to fit), ends swapped when reversed."""
    end = date_to or timezone.localdate()
    start = date_from or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days + 1 > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    weekly = interval == "week" or (interval != "day" and (end - start).days + 1 > WEEKLY_AFTER_DAYS)
    return Period(start, end, weekly)


@dataclass
class Table:
    """One chart's numbers: headers and rows of plain values, what the page prints and the CSV holds."""

    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Timing:
    label: str
    measured: int
    median_hours: float | None
    p90_hours: float | None


def bounds(period: Period) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    return start, timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))


def reports_in(user, filters: selectors.ReportFilters, period: Period, area: str = ""):
    """The reports the user may see that match the filters and were received in the period, unordered."""
    filters = replace(filters, date_from=None, date_to=None, text="")
    start, stop = bounds(period)
    # paged=True: a category is then a correlated EXISTS on the link table, checked for the
    # period's reports only; the plain IN (...) first reads every link of the category, all time.
    qs = selectors.staff_reports(user, filters, paged=True).select_related(None).prefetch_related(None).order_by()
    qs = qs.filter(received_at__gte=start, received_at__lt=stop)
    return qs.filter(admin1=area) if area else qs


def period_keys(period: Period) -> list[date]:
    day = period.start - timedelta(days=period.start.weekday()) if period.weekly else period.start
    step = timedelta(days=7 if period.weekly else 1)
    keys = []
    while day <= period.end:
        keys.append(day)
        day += step
    return keys


def bucket(period: Period, field: str = "received_at"):
    """The index of each report's day (or week) in the period, as a CASE over the local midnights
    that start them: compared in the database, where a date truncation in the local time zone is a
    Python function call per report on SQLite (~80 µs each: a quarter of a million-report
    deployment took seconds)."""
    starts = period_keys(period)
    edges = [timezone.make_aware(datetime.combine(day, time.min)) for day in starts[1:]]
    return Case(*(When(**{f"{field}__lt": edge}, then=Value(i)) for i, edge in enumerate(edges)),
                default=Value(len(edges)), output_field=IntegerField())


def over_time(qs, period: Period) -> tuple[list[date], dict[str, list[int]]]:
    """Per day (or week, starting Monday) and status: the periods in order and each status' counts."""
    keys = period_keys(period)
    counts = {status: [0] * len(keys) for status in Report.Status.values}
    for index, status, n in (qs.annotate(bucket=bucket(period)).values_list("bucket", "status")
                             .annotate(n=Count("id")).order_by()):
        if status in counts:
            counts[status][index] += n
    return keys, counts


def by_source_and_area(qs) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Reports per channel, and the TOP_AREAS departments/states with most reports (reports without
    one count as 'No area'): one pass over the period's reports for both."""
    sources: dict[str, int] = {}
    areas: dict[str, int] = {}
    for source, area, n in qs.values_list("source", "admin1").annotate(n=Count("id")).order_by():
        label = source_label(source)
        sources[label] = sources.get(label, 0) + n
        areas[area] = areas.get(area, 0) + n
    by_count = lambda pair: (-pair[1], pair[0])  # noqa: E731
    top = sorted(areas.items(), key=by_count)[:TOP_AREAS]
    return sorted(sources.items(), key=by_count), [(area or _("No area"), n) for area, n in top]


def by_category(qs) -> list[tuple[str, int]]:
    """Reports per category (a report in two categories counts in both); uncategorised not listed."""
    links = (Report.categories.through.objects.filter(report_id__in=qs.values("id"))
             .values_list("category_id").annotate(n=Count("report_id")).order_by())
    counts = dict(links)
    names = {c.pk: (in_language(c.name_es, c.name_en), c.parent_id)
             for c in Category.objects.only("name_es", "name_en", "parent_id")}  # a few dozen rows
    rows = []
    for pk, n in counts.items():
        name, parent = names.get(pk, (str(pk), None))
        rows.append((f"{names[parent][0]} › {name}" if parent in names else name, n))
    return sorted(rows, key=lambda pair: (-pair[1], pair[0]))


def _percentile(hours: list[float], share: float) -> float | None:
    if not hours:
        return None
    ordered = sorted(hours)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


class HoursBetween(Func):
    """Hours from one timestamp column to another, computed in the database: reading both and
    subtracting in Python parsed two datetimes per report (most of the page's time on SQLite)."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s)) * 24",
                           arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s)) / 3600",
                           arg_joiner=" - ", **extra)


def _timing(label: str, hours: list[float]) -> Timing:
    hours = [max(h, 0.0) for h in hours if h is not None]
    return Timing(label, len(hours), _percentile(hours, 0.5), _percentile(hours, 0.9))


def timings(qs) -> list[Timing]:
    """Receipt to verification and to publication, over the most recent TIMING_SAMPLE of each."""
    published = (qs.filter(published_at__isnull=False).order_by("-received_at")
                 .annotate(hours=HoursBetween("published_at", "received_at")).values_list("hours", flat=True))
    ids = [str(pk) for pk in qs.order_by("-received_at").values_list("id", flat=True)[:TIMING_SAMPLE]]
    first = (AuditEvent.objects.filter(action=f"report.{Report.Status.VERIFIED}", object_type="reports.report",
                                       object_id=OuterRef("object_id")).order_by("seq").values("at")[:1])
    received = Report.objects.filter(pk=Cast(OuterRef("object_id"), IntegerField())).values("received_at")[:1]
    verified = (AuditEvent.objects.filter(action=f"report.{Report.Status.VERIFIED}", object_type="reports.report",
                                          object_id__in=ids)
                .filter(at=Subquery(first))
                .annotate(hours=HoursBetween(F("at"), Subquery(received))).values_list("hours", flat=True))
    return [_timing(_("Receipt to verification"), list(verified)),
            _timing(_("Receipt to publication"), list(published[:TIMING_SAMPLE]))]
