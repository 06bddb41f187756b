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

from django.db.models import Count, Min
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.console.labels import source_label
from testigo.core.bilingual import in_language
from testigo.core.models import AuditEvent
from testigo.reports import selectors
from testigo.reports.models import Category, Report

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year by day or week: a few hundred groups, one period's reports read
WEEKLY_AFTER_DAYS = 62  # longer periods are drawn by week, so a chart keeps ≤ ~53 columns
TOP_AREAS = 10
TIMING_SAMPLE = 5000
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


def _bounds(period: Period) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    return start, timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))


def reports_in(user, filters: selectors.ReportFilters, period: Period, area: str = ""):
    """The reports the user may see that match the filters and were received in the period, unordered."""
    filters = replace(filters, date_from=None, date_to=None, text="")
    start, stop = _bounds(period)
    qs = selectors.staff_reports(user, filters).select_related(None).prefetch_related(None).order_by()
    qs = qs.filter(received_at__gte=start, received_at__lt=stop)
    return qs.filter(admin1=area) if area else qs


def _period_keys(period: Period) -> list[date]:
    day = period.start - timedelta(days=period.start.weekday()) if period.weekly else period.start
    step = timedelta(days=7 if period.weekly else 1)
    keys = []
    while day <= period.end:
        keys.append(day)
        day += step
    return keys


def over_time(qs, period: Period) -> tuple[list[date], dict[str, list[int]]]:
    """Per day (or week, starting Monday) and status: the periods in order and each status' counts."""
    trunc = TruncWeek if period.weekly else TruncDate
    keys = _period_keys(period)
    index = {key: i for i, key in enumerate(keys)}
    counts = {status: [0] * len(keys) for status in Report.Status.values}
    for bucket, status, n in (qs.annotate(bucket=trunc("received_at")).values_list("bucket", "status")
                              .annotate(n=Count("id")).order_by()):
        bucket = bucket.date() if isinstance(bucket, datetime) else bucket
        if bucket in index and status in counts:
            counts[status][index[bucket]] += n
    return keys, counts


def by_source(qs) -> list[tuple[str, int]]:
    rows = qs.values_list("source").annotate(n=Count("id")).order_by()
    return sorted(((source_label(source), n) for source, n in rows), key=lambda pair: (-pair[1], pair[0]))


def by_area(qs) -> list[tuple[str, int]]:
    """The TOP_AREAS departments/states with most reports; reports without one count as 'No area'."""
    rows = qs.values_list("admin1").annotate(n=Count("id")).order_by("-n", "admin1")[:TOP_AREAS]
    return [(area or _("No area"), n) for area, n in rows]


def by_category(qs) -> list[tuple[str, int]]:
    """Reports per category (a report in two categories counts in both); uncategorised not listed."""
    links = (Report.categories.through.objects.filter(report_id__in=qs.values("id"))
             .values_list("category_id").annotate(n=Count("report_id")).order_by())
    counts = dict(links)
    names = {c.pk: (in_language(c.name_es, c.name_en), c.parent_id) for c in Category.objects.filter(pk__in=counts)}
    rows = []
    for pk, n in counts.items():
        name, parent = names.get(pk, (str(pk), None))
        if parent in names:
            name = f"{names[parent][0]} › {name}"
        elif parent is not None:
            parent_row = Category.objects.filter(pk=parent).first()
            name = f"{parent_row.name} › {name}" if parent_row else name
        rows.append((name, n))
    return sorted(rows, key=lambda pair: (-pair[1], pair[0]))


def _percentile(hours: list[float], share: float) -> float | None:
    if not hours:
        return None
    ordered = sorted(hours)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _timing(label: str, pairs) -> Timing:
    hours = [max((later - received).total_seconds(), 0) / 3600 for received, later in pairs if later and received]
    return Timing(label, len(hours), _percentile(hours, 0.5), _percentile(hours, 0.9))


def timings(qs) -> list[Timing]:
    """Receipt to verification and to publication, over the most recent TIMING_SAMPLE of each."""
    published = (qs.filter(published_at__isnull=False).order_by("-received_at")
                 .values_list("received_at", "published_at")[:TIMING_SAMPLE])
    received = dict(qs.order_by("-received_at").values_list("id", "received_at")[:TIMING_SAMPLE])
    verified = (AuditEvent.objects.filter(action=f"report.{Report.Status.VERIFIED}", object_type="reports.report",
                                          object_id__in=[str(pk) for pk in received])
                .values_list("object_id").annotate(first=Min("at")).order_by())
    return [_timing(_("Receipt to verification"), [(received.get(int(pk)), at) for pk, at in verified]),
            _timing(_("Receipt to publication"), list(published))]


def alerts_sent(period: Period) -> tuple[int, int]:
    """(alerts sent, messages queued for them) in the period; alerts are not filtered by report."""
    from testigo.alerts.models import Alert, AlertDelivery

    start, stop = _bounds(period)
    sent = Alert.objects.filter(status=Alert.Status.SENT, sent_at__gte=start, sent_at__lt=stop)
    return sent.count(), AlertDelivery.objects.filter(alert__in=sent.values("id")).count()
