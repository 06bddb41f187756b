"""The inbox table's rows, prepared once per page (issue #19).

At a million reports the inbox spent more time rendering its 50 rows than reading them: a
`{% url %}`, an `{% include %}`, a related manager, label lookups and three date filters per row
came to ~120 ms a page. Here every row gets plain strings: its link from a prefix reversed once,
its categories from one query over the link table, its labels from dicts built once per request,
and its dates formatted by the same functions the filters call. The template only prints them,
so a page says exactly what it said before (tests/console/
test_promise_the_inbox_renders_its_rows_without_per_row_lookups.py renders the old row beside it).
Measured at 100,000 reports (loaded machine, CPU per page): 50 rows took ~46 ms more than one row
before, ~10 ms after, ~8 ms of it the three dates. Those are now formatted once per report,
language and zone (`_when`), and the relative time keeps its translated pieces (`naturaltime`):
the same text, by tests/console/test_promise_the_inbox_formats_its_dates_once_and_says_what_django_says.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testigo.core import dates
from testigo.core.bilingual import in_language
from testigo.reports import duplicates
from testigo.reports.labels import SOURCE_LABELS, source_label
from testigo.reports.models import Report

# The columns a row shows (custom_values only with a survey's answer columns); the rest of a
# report (descriptions, contact, redactions, ...) is never read for the inbox.
ROW_FIELDS = ("id", "reference", "title", "status", "received_at", "place_name", "source", "lat", "merged_into",
              "merged_into__reference")
PLACEHOLDER = "REFERENCE"
# What reverse() leaves unquoted in a path argument (django.urls.resolvers): the same quoting here
# gives the same link.
_SAFE = "!$&'()*+,;=" + "/~:@"


@dataclass
class Row:
    """One inbox line, every value a ready string except the report itself."""

    report: Report
    url: str
    categories: list[tuple[str, str]] = field(default_factory=list)  # (name, colour)
    source_label: str = ""
    status_label: str = ""
    received_iso: str = ""
    received_when: str = ""
    received_ago: str = ""
    select_label: str = ""
    merged_label: str = ""
    duplicate_label: str = ""  # "possible duplicate" when an open candidate pair involves it

    def __getattr__(self, name):  # r.reference, r.title, r.answer_cells ... as on the report
        try:
            report = self.__dict__["report"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(report, name)


class _Translated:
    """A lazy translated string whose `%` results are kept per language and arguments: Django's
    naturaltime translates each of its pieces anew on every call (a catalogue lookup through the
    active language's thread-local each time), ~0.1 ms a date; the results never change."""

    def __init__(self, lazy) -> None:
        self.lazy, self.done = lazy, {}

    def __mod__(self, params: dict) -> str:
        key = (get_language(), *params.items())
        found = self.done.get(key)
        if found is None:
            if len(self.done) > 4096:
                self.done.clear()
            found = self.done[key] = str(self.lazy % params)
        return found

    def __str__(self) -> str:
        return self % {}


class _NaturalTime(NaturalTimeFormatter):
    """Django's naturaltime, word for word, with its translated pieces kept (_Translated)."""

    time_strings = {k: _Translated(v) for k, v in NaturalTimeFormatter.time_strings.items()}
    past_substrings = {k: _Translated(v) for k, v in NaturalTimeFormatter.past_substrings.items()}
    future_substrings = {k: _Translated(v) for k, v in NaturalTimeFormatter.future_substrings.items()}


def naturaltime(moment: datetime) -> str:
    """What the `naturaltime` filter says of `moment` ("5 days, 15 hours ago"), faster."""
    return str(_NaturalTime.string_for(moment))


@lru_cache(maxsize=8192)
def _when(language: str | None, zone: str, moment: datetime) -> tuple[str, str]:
    """(ISO moment, shown date) in the deployment's zone: the same report on every request of
    the same page is formatted once per language (dates.show reads the format and translates
    the month's name on every call)."""
    return dates.local(moment).isoformat(), dates.show(moment)


def page_queryset(reports: QuerySet, *, with_answers: bool) -> QuerySet:
    """`reports` reading only what the rows show, with no prefetch: categories come in rows()."""
    fields = ROW_FIELDS + (("custom_values",) if with_answers else ())
    return reports.select_related("merged_into").prefetch_related(None).only(*fields)


def report_url_maker():
    """A function reference -> the console:report URL, reversed once."""
    prefix, suffix = reverse("console:report", args=[PLACEHOLDER]).split(PLACEHOLDER)
    return lambda reference: iri_to_uri(prefix + quote(str(reference), safe=_SAFE) + suffix)


def categories_by_report(report_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, colour) of each report's categories in the categories' own order, one query."""
    links = (Report.categories.through.objects.filter(report_id__in=report_ids)
             .order_by("category__position", "category__name_es", "category_id")
             .values_list("report_id", "category__name_es", "category__name_en", "category__colour"))
    result: dict[int, list[tuple[str, str]]] = {}
    for report_id, name_es, name_en, colour in links:
        result.setdefault(report_id, []).append((in_language(name_es, name_en), colour))
    return result


def rows(reports: list[Report], *, user=None) -> list[Row]:
    """The page's reports as rows; two queries (categories, duplicate markers) whatever the page's length."""
    url = report_url_maker()
    sources = {code: str(label) for code, label in SOURCE_LABELS.items()}
    statuses = {value: str(label) for value, label in Report.Status.choices}
    select, merged = _("Select %(ref)s"), _("merged into %(ref)s")
    categories = categories_by_report([r.id for r in reports])
    language, zone = get_language(), timezone.get_default_timezone_name()
    possible, flagged = _("possible duplicate"), duplicates.flagged([r.id for r in reports], user=user)
    result = []
    for report in reports:
        received: datetime = report.received_at
        into = report.merged_into
        received_iso, received_when = _when(language, zone, received)
        result.append(Row(
            report=report, url=url(report.reference), categories=categories.get(report.id, []),
            source_label=sources.get(report.source) or source_label(report.source),
            status_label=statuses.get(report.status) or report.get_status_display(),
            received_iso=received_iso, received_when=received_when,
            received_ago=naturaltime(received), select_label=select % {"ref": report.reference},
            merged_label=merged % {"ref": into.reference} if into is not None else "",
            duplicate_label=possible if report.id in flagged else "",
        ))
    return result
