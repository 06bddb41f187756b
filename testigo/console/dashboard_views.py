"""The console dashboard (issue #24): charts drawn as SVG on the server, each with its numbers as
a table and a CSV download. Whoever may open the inbox may open the dashboard. Thin: the numbers
come from reports/dashboard.py, the drawings from core/charts.py."""

from __future__ import annotations

import csv
import io

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.alerts import selectors as alert_selectors
from testigo.channels import selectors as channel_selectors
from testigo.console import forms as console_forms
from testigo.console import selectors as console_selectors
from testigo.core import charts
from testigo.core.access import staff_required
from testigo.reports import dashboard, selectors
from testigo.reports.models import Report

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class DashboardFilterForm(forms.Form):
    """The inbox's filters (without text search and status), read from the query string."""

    date_from = forms.DateField(label=gettext_lazy("Received from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("Received until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.ChoiceField(label=gettext_lazy("Group by"), required=False,
                                 choices=[("", gettext_lazy("Automatic")), ("day", gettext_lazy("Day")),
                                          ("week", gettext_lazy("Week"))])
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)
    area = forms.CharField(label=gettext_lazy("Department / state"), required=False, max_length=100)

    def __init__(self, *args, sources: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        console_forms.category_and_source_choices(self, sources)

    def values(self) -> tuple[selectors.ReportFilters, dashboard.Period, str]:
        """The valid filters (an invalid field is left out and shown with its error), the period and the area."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters = selectors.ReportFilters(categories=[data["category"]] if data.get("category") else [],
                                          sources=[data["source"]] if data.get("source") else [])
        period = dashboard.period_of(data.get("date_from"), data.get("date_to"), data.get("interval") or "")
        return filters, period, (data.get("area") or "").strip()


def _tables(user, form: DashboardFilterForm, only: str = "") -> tuple[dashboard.Period, list[dashboard.Table], dict]:
    """Every table of the page, or `only` the one a CSV asks for (its figures alone are computed)."""
    filters, period, area = form.values()
    qs = dashboard.reports_in(user, filters, period, area)
    statuses = [(value, str(label)) for value, label in Report.Status.choices]
    keys, per_status = dashboard.over_time(qs, period) if only in ("", "over_time", "status") else ([], {})
    sources, areas = dashboard.by_source_and_area(qs) if only in ("", "source", "area") else ([], [])
    when = _("Week starting") if period.weekly else _("Day")
    builders = {
        "over_time": lambda: dashboard.Table(
            "over_time", _("Reports received over time, by status"), [when] + [s[1] for s in statuses] + [_("Total")],
            [[key.isoformat()] + [per_status[v][i] for v, _l in statuses] + [sum(per_status[v][i] for v, _l in statuses)]
             for i, key in enumerate(keys)]),
        "status": lambda: dashboard.Table("status", _("Reports by status"), [_("Status"), _("Reports")],
                                          [[label, sum(per_status[value])] for value, label in statuses
                                           if sum(per_status[value])]),
        "category": lambda: dashboard.Table("category", _("Reports by category"), [_("Category"), _("Reports")],
                                            [list(row) for row in dashboard.by_category(qs)]),
        "source": lambda: dashboard.Table("source", _("Reports by channel"), [_("Channel"), _("Reports")],
                                          [list(row) for row in sources]),
        "area": lambda: dashboard.Table("area", _("Top areas"), [_("Department / state"), _("Reports")],
                                        [list(row) for row in areas]),
        "timing": lambda: _timing(qs),
        "alerts": lambda: _alerts(period),
        "delivery": lambda: _deliveries(period),
    }
    tables = [build() for key, build in builders.items() if only in ("", key)]
    extra = {"series": [charts.Series(label, per_status[value], dashboard.STATUS_COLOURS.get(value, ""))
                        for value, label in statuses if sum(per_status.get(value, []))]}
    return period, tables, extra


def _timing(qs) -> dashboard.Table:
    return dashboard.Table("timing", _("Time to handle a report"),
                           [_("Step"), _("Reports measured"), _("Median (hours)"), _("90th percentile (hours)")],
                           [[t.label, t.measured, t.median_hours, t.p90_hours] for t in dashboard.timings(qs)
                            if t.measured])


def _alerts(period: dashboard.Period) -> dashboard.Table:
    sent, messages = alert_selectors.sent_in_period(period)
    return dashboard.Table("alerts", _("Alerts sent"), [_("Alerts sent"), _("Messages queued")],
                           [[sent, messages]] if sent else [])


def _deliveries(period: dashboard.Period) -> dashboard.Table:
    """Outgoing messages per channel (replies, alerts, confirmations) created in the period: not
    narrowed by the report filters, like the alerts."""
    start, stop = dashboard.bounds(period)
    return dashboard.Table("delivery", _("Outgoing messages by channel"),
                           [_("Channel"), _("Messages"), _("Waiting"), _("Sent"), _("Delivered"), _("Failed"),
                            _("Sent or delivered (%)")],
                           [[r.channel, r.total, r.waiting, r.sent, r.delivered, r.failed, r.success_percent]
                            for r in channel_selectors.deliveries_by_channel(start, stop)])


def _chart(table: dashboard.Table, period: dashboard.Period, extra: dict):
    if not table.rows or table.key in ("alerts",):
        return None
    desc = _("From %(start)s to %(end)s. The numbers are in the table below.") % {
        "start": period.start.isoformat(), "end": period.end.isoformat()}
    if table.key == "over_time":
        return charts.columns([row[0] for row in table.rows], extra["series"], ident=table.key, title=table.title,
                              desc=desc)
    if table.key == "delivery":
        rows = [(str(row[0]), row[6]) for row in table.rows if row[6] is not None]
        return charts.bars(rows, ident=table.key, title=_("Messages sent or delivered, % per channel"),
                           desc=desc) if rows else None
    if table.key == "timing":
        rows = [(f"{row[0]}, {_('median')}", row[2]) for row in table.rows]
        rows += [(f"{row[0]}, {_('90th percentile')}", row[3]) for row in table.rows]
        return charts.bars([(label, round(value)) for label, value in rows], ident=table.key, title=table.title,
                           desc=desc + " " + _("Hours."))
    return charts.bars([(str(row[0]), row[1]) for row in table.rows], ident=table.key, title=table.title, desc=desc)


@staff_required()
def dashboard_page(request):
    form = DashboardFilterForm(request.GET or None, sources=console_selectors.sources(request.user))
    period, tables, extra = _tables(request.user, form)
    total = sum(row[-1] for row in tables[0].rows)
    for table in tables:
        table.chart = _chart(table, period, extra) if total or table.key in ("alerts", "delivery") else None
    query = request.GET.copy()
    query.pop("table", None)
    return render(request, "console/dashboard.html", {
        "form": form, "period": period, "tables": tables, "total": total, "query": query.urlencode()})


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@staff_required()
def dashboard_csv(request, key: str):
    """One chart's table as CSV, with the page's filters."""
    form = DashboardFilterForm(request.GET or None, sources=console_selectors.sources(request.user))
    period, tables, _extra = _tables(request.user, form, only=key)
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        raise Http404
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in table.headers])
    writer.writerows([[_cell(v) for v in row] for row in table.rows])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="dashboard-{table.key}-{period.start.isoformat()}-'
                                       f'{period.end.isoformat()}.csv"')
    return response
