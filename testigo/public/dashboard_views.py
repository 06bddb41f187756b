"""The optional public dashboard (issue #24): published reports over a period, by category, channel
and area, drawn like the console's. Off unless TESTIGO_PUBLIC_DASHBOARD is set (a 404 then).

Privacy: every figure is read from `reports.selectors.public_base()`, the public selector, and only
from fields the public already sees on each published report (published_at, categories, admin1 and
the public source, where a tip reads as "web"); nothing about unpublished, restricted or
confidential reports, and no handling times (they would need the staff-only time of receipt)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Value, When
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from testigo.core import charts
from testigo.core.bilingual import in_language
from testigo.reports import dashboard, selectors
from testigo.reports.labels import source_label
from testigo.reports.models import Category, Report


def _published_in(period: dashboard.Period):
    start, stop = dashboard.bounds(period)
    return selectors.public_base().filter(published_at__gte=start, published_at__lt=stop).order_by()


def _tables(period: dashboard.Period) -> list[dashboard.Table]:
    qs = _published_in(period)
    keys = dashboard.period_keys(period)
    per_bucket = [0] * len(keys)
    for index, n in (qs.annotate(bucket=dashboard.bucket(period, "published_at")).values_list("bucket")
                     .annotate(n=Count("id")).order_by()):
        per_bucket[index] += n
    public_source = Case(*(When(source=hidden, then=Value(alias))
                           for hidden, alias in selectors.PUBLIC_SOURCE_ALIASES.items()),
                         default=F("source"), output_field=CharField())
    sources: dict[str, int] = {}
    areas: dict[str, int] = {}
    for source, area, n in (qs.annotate(public_source=public_source).values_list("public_source", "admin1")
                            .annotate(n=Count("id")).order_by()):
        sources[source_label(source)] = sources.get(source_label(source), 0) + n
        areas[area] = areas.get(area, 0) + n
    names = {c.pk: in_language(c.name_es, c.name_en) for c in Category.objects.only("name_es", "name_en")}
    links = (Report.categories.through.objects.filter(report_id__in=qs.values("id"))
             .values_list("category_id").annotate(n=Count("report_id")).order_by())
    by_count = lambda pair: (-pair[1], pair[0])  # noqa: E731
    when = _("Week starting") if period.weekly else _("Day")
    return [
        dashboard.Table("over_time", _("Reports published over time"), [when, _("Reports")],
                        [[key.isoformat(), per_bucket[i]] for i, key in enumerate(keys)]),
        dashboard.Table("category", _("Reports by category"), [_("Category"), _("Reports")],
                        [[names.get(pk, str(pk)), n] for pk, n in sorted(links, key=by_count)]),
        dashboard.Table("source", _("Reports by channel"), [_("Channel"), _("Reports")],
                        [list(row) for row in sorted(sources.items(), key=by_count)]),
        dashboard.Table("area", _("Top areas"), [_("Department / state"), _("Reports")],
                        [[area or _("No area"), n] for area, n in sorted(areas.items(), key=by_count)
                         [:dashboard.TOP_AREAS]]),
    ]


def public_dashboard(request):
    if not settings.PUBLIC_DASHBOARD:
        raise Http404
    period = dashboard.period_of(None, None)
    tables = _tables(period)
    total = sum(row[1] for row in tables[0].rows)
    desc = _("From %(start)s to %(end)s. The numbers are in the table below.") % {
        "start": period.start.isoformat(), "end": period.end.isoformat()}
    for table in tables:
        table.chart = None
        if total and table.rows and table.key == "over_time":
            series = [charts.Series(_("Reports"), [row[1] for row in table.rows])]
            table.chart = charts.columns([row[0] for row in table.rows], series, ident=table.key,
                                         title=table.title, desc=desc)
        elif total and table.rows:
            table.chart = charts.bars([(str(r[0]), r[1]) for r in table.rows], ident=table.key, title=table.title,
                                      desc=desc)
    return render(request, "public/dashboard.html", {"period": period, "tables": tables, "total": total})
