"""Every non-trivial read of reports, including who may see what.

`public_reports()` is the one door through which reports reach the public (pages and API):
published + public visibility, fuzzed location, redacted text, no contact, no notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from testigo.core import paging, roles
from testigo.core.paging import CappedCount, capped_count
from testigo.reports import search
from testigo.reports.models import Category, Media, Report

# The only columns the public may ever receive. `public_source` is `source` as the public may
# know it (see PUBLIC_SOURCE_ALIASES); the true source is never among these.
PUBLIC_FIELDS = ("id", "reference", "public_title", "public_description", "occurred_at", "occurred_time_known",
                 "published_at", "public_lat", "public_lon", "place_name", "public_admin1", "public_admin2",
                 "public_source")
# The public order: newest publication first, ties broken by the (random) reference, never by the
# internal id, so a public page cursor built from it says nothing of how many reports exist.
PUBLIC_ORDER = (F("published_at").desc(nulls_last=True), F("reference").desc())
# Sources the public never sees by name, and the name it sees instead. A report made from an
# anonymous tip must not be told apart from one sent through the web form: saying "tipline"
# would tell whoever is looking for the tipster that one exists. So publicly it is "web" in
# every row, export and `?source=` filter; staff still see and filter the true source.
PUBLIC_SOURCE_ALIASES = {"tipline": "web"}


@dataclass
class ReportFilters:
    statuses: list[str] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    admin1: str = ""  # department; public lists match the public point's area
    admin2: str = ""  # municipality

    def category_ids_with_children(self) -> list[int]:
        if not self.categories:
            return []
        children = Category.objects.filter(parent_id__in=self.categories).values_list("id", flat=True)
        return sorted(set(self.categories) | set(children))


def _aware(d: date, end: bool) -> datetime:
    moment = datetime.combine(d, time.min) + (timedelta(days=1) if end else timedelta())
    return timezone.make_aware(moment)


def _apply(qs: QuerySet, filters: ReportFilters, *, public: bool, paged: bool = False,
           unordered: bool = False) -> QuerySet:
    if filters.statuses and not public:
        qs = qs.filter(status__in=filters.statuses)
    if filters.categories and paged:
        # One page in the public order: a correlated EXISTS lets the database walk the order's
        # index (report_public_order) and stop after a page; the IN list below first reads every
        # link of the category (at 1M reports on SQLite: 0.5 ms against 550 ms, issue #19).
        links = Report.categories.through.objects.filter(report_id=OuterRef("id"),
                                                         category_id__in=filters.category_ids_with_children())
        qs = qs.filter(Exists(links))
    elif filters.categories:
        # An IN subquery on the link table, not a join: no duplicate rows, so no DISTINCT, and
        # the map's counts (reports/counts/) count each report once. (A correlated EXISTS was measured too:
        # faster on small viewports, 2.5x slower on country-wide ones, the map's landing view.)
        links = Report.categories.through.objects.filter(category_id__in=filters.category_ids_with_children())
        qs = qs.filter(id__in=links.values("report_id"))
    if filters.sources:
        qs = qs.filter(source__in=_public_source_filter(filters.sources) if public else filters.sources)
    date_field = "occurred_at" if public else "received_at"
    if filters.date_from:
        qs = qs.filter(**{f"{date_field}__gte": _aware(filters.date_from, end=False)})
    if filters.date_to:
        qs = qs.filter(**{f"{date_field}__lt": _aware(filters.date_to, end=True)})
    if filters.text:
        qs = search.apply(qs, filters.text, public=public, paged=paged, statuses=() if public else filters.statuses,
                          unordered=unordered)
    if filters.admin1:
        qs = qs.filter(**{"public_admin1" if public else "admin1": filters.admin1})
    if filters.admin2:
        qs = qs.filter(**{"public_admin2" if public else "admin2": filters.admin2})
    if filters.bbox:
        west, south, east, north = filters.bbox
        lat, lon = ("public_lat", "public_lon") if public else ("lat", "lon")
        qs = qs.filter(**{f"{lat}__gte": south, f"{lat}__lte": north})
        if west <= east:
            qs = qs.filter(**{f"{lon}__gte": west, f"{lon}__lte": east})
        else:  # the box crosses the antimeridian
            qs = qs.filter(Q(**{f"{lon}__gte": west}) | Q(**{f"{lon}__lte": east}))
    return qs


def _public_source_filter(sources: list[str]) -> list[str]:
    """The stored sources a public `?source=` means: a hidden name matches nothing (exactly like
    an unknown one), and its public alias also matches the reports hidden behind it."""
    shown = [s for s in sources if s not in PUBLIC_SOURCE_ALIASES]
    stored = shown + [hidden for hidden, alias in PUBLIC_SOURCE_ALIASES.items() if alias in shown]
    # Never an empty IN (): Django would skip the query (EmptyResultSet), which the streaming
    # exports cannot compile. "" matches no report (source is a required field), like any unknown name.
    return stored or [""]


def public_values(qs: QuerySet) -> QuerySet:
    public_source = Case(*(When(source=hidden, then=Value(alias)) for hidden, alias in PUBLIC_SOURCE_ALIASES.items()),
                         default=F("source"), output_field=CharField())
    return qs.annotate(public_source=public_source).values(*PUBLIC_FIELDS)


def public_base() -> QuerySet:
    return Report.objects.filter(status=Report.Status.PUBLISHED, visibility=Report.Visibility.PUBLIC)


def public_reports(filters: ReportFilters | None = None, *, paged: bool = False) -> QuerySet:
    """Published, public reports as dicts of PUBLIC_FIELDS only, newest publication first.
    `paged`: the caller reads a page or two in this order (home, list, API pages), not every
    match (map counts, exports); filters are then written so the order's index serves them."""
    qs = _apply(public_base(), filters or ReportFilters(), public=True, paged=paged)
    return public_values(qs.order_by(*PUBLIC_ORDER))


def public_area_counts(filters: ReportFilters | None = None, *, level: str = "admin1") -> list[tuple[str, str, int]]:
    """(admin1, admin2, count) of published public reports per area of their public point, most
    first; admin2 is "" at level admin1. Reports without an area at the level are left out."""
    qs = _apply(public_base(), filters or ReportFilters(), public=True).exclude(public_admin1="")
    keys = ["public_admin1", "public_admin2"] if level == "admin2" else ["public_admin1"]
    if level == "admin2":
        qs = qs.exclude(public_admin2="")
    rows = qs.values(*keys).annotate(n=Count("id")).order_by("-n", *keys)
    return [(r["public_admin1"], r.get("public_admin2", ""), r["n"]) for r in rows]


def staff_area_counts(user, filters: ReportFilters | None = None, *, level: str = "admin1") -> list[tuple[str, str, int]]:
    """public_area_counts for the staff map: the reports this user may see, by their true areas."""
    qs = _apply(visible_to(user), filters or ReportFilters(), public=False).exclude(admin1="")
    keys = ["admin1", "admin2"] if level == "admin2" else ["admin1"]
    if level == "admin2":
        qs = qs.exclude(admin2="")
    rows = qs.values(*keys).annotate(n=Count("id")).order_by("-n", *keys)
    return [(r["admin1"], r.get("admin2", ""), r["n"]) for r in rows]


def public_count(filters: ReportFilters | None = None) -> CappedCount:
    """How many reports public_reports(filters) lists, capped (paging.COUNT_CAP). A common word's
    search is counted from the search index's matches in its own order, stopping after the cap:
    the list's filter (every match, tested against the public order) first built the set of every
    match of the word, a third of the published reports for a common one (issue #19)."""
    qs = _apply(public_base(), filters or ReportFilters(), public=True, paged=True, unordered=True)
    order = search.index_order(qs)
    if not order:
        return capped_count(qs)
    # In the index's order, so that the index drives (unordered, SQLite would walk the public
    # reports and ask the index about each one); the slice keeps the order in the count's subquery.
    cap = paging.COUNT_CAP
    found = qs.order_by(*order).values("pk")[: cap + 1].count()
    return CappedCount(found) if found <= cap else CappedCount(cap, exact=False)


def public_rows(qs: QuerySet, start: int, stop: int) -> list[dict]:
    """qs[start:stop] of a public_reports() queryset, read in two steps: the slice's keys, from
    whichever index serves the filter and the order (one that holds the order's columns, like
    report_public_occurred, reads no report at all), then those reports by key. A month's page
    fetched all of the month's reports to sort them: ~22,000 at a million (issue #19)."""
    keys = qs.values("id")[start:stop]
    return list(public_values(Report.objects.filter(id__in=keys).order_by(*PUBLIC_ORDER)))


def public_report(reference: str) -> dict | None:
    """One public report with its categories and public photos, or None when not public."""
    row = public_values(public_base().filter(reference=reference)).first()
    if row is None:
        return None
    row["categories"] = list(Category.objects.filter(reports__id=row["id"]))
    public_media = (Media.objects.filter(report_id=row["id"], is_public=True).exclude(kind=Media.Kind.DOCUMENT)
                    .order_by("id").values("id", "kind", "content_type", "width", "height", "duration_s", "poster"))
    row["photos"] = [m for m in public_media if m["kind"] == Media.Kind.IMAGE]
    row["recordings"] = [m for m in public_media if m["kind"] != Media.Kind.IMAGE]
    return row


def public_recordings(report_ids: list[int]) -> dict[int, list[dict]]:
    """The public recordings and videos of the given reports, keyed by report id, oldest first, as
    public_report()["recordings"] gives them: only media marked public, of reports public now
    (the rows reports/playable_media.html plays through the public media URLs)."""
    rows = (Media.objects.filter(report_id__in=list(report_ids), is_public=True,
                                 kind__in=[Media.Kind.AUDIO, Media.Kind.VIDEO],
                                 report__status=Report.Status.PUBLISHED, report__visibility=Report.Visibility.PUBLIC)
            .order_by("id").values("id", "report_id", "kind", "content_type", "width", "height", "duration_s",
                                   "poster"))
    result: dict[int, list[dict]] = {}
    for row in rows:
        result.setdefault(row.pop("report_id"), []).append(row)
    return result


def public_categories(report_ids: list[int]) -> dict[int, list[Category]]:
    """Categories of the given reports, keyed by report id; ids that are not public get nothing."""
    ids = list(public_base().filter(id__in=report_ids).values_list("id", flat=True))
    result: dict[int, list[Category]] = {i: [] for i in ids}
    links = Report.categories.through.objects.filter(report_id__in=ids).select_related("category")
    for link in links.order_by("category__position", "category__name_es"):
        result[link.report_id].append(link.category)
    return result


def public_media(media_id: int) -> Media | None:
    """A photo, recording or video the public may fetch (its poster too): public, of a public report."""
    return (Media.objects.filter(pk=media_id, is_public=True, report__status=Report.Status.PUBLISHED,
                                 report__visibility=Report.Visibility.PUBLIC)
            .exclude(kind=Media.Kind.DOCUMENT).first())


def visible_to(user) -> QuerySet:
    """The reports a staff member may see at all."""
    roles.require(user, roles.VIEW)
    qs = Report.objects.all()
    if not roles.can(user, roles.VIEW_CONFIDENTIAL):
        qs = qs.exclude(visibility=Report.Visibility.CONFIDENTIAL)
    return qs


def staff_reports(user, filters: ReportFilters | None = None, *, paged: bool = False) -> QuerySet:
    """The inbox: what this user may see, filtered, newest first. `paged` as in public_reports:
    the caller reads a page or a capped count in this order, not every match. A paged text search
    lists the matches newest arrival first (search.staff_order): at a million reports that is the
    order the search index returns them in, without reading and sorting every match."""
    filters = filters or ReportFilters()
    qs = _apply(visible_to(user), filters, public=False, paged=paged)
    order = search.staff_order(qs) if paged and filters.text else ("-received_at", "-id")
    return qs.select_related("merged_into").prefetch_related("categories").order_by(*order)


def staff_report(user, reference: str) -> Report:
    return visible_to(user).select_related("merged_into", "created_by").get(reference=reference)


def contact_for(user, report: Report) -> dict | None:
    """Reporter identity, only for roles allowed to see it."""
    if not roles.can(user, roles.SEE_CONTACT):
        return None
    return {"name": report.reporter_name, "contact": report.reporter_contact}


def category_tree() -> list[tuple[Category, list[Category]]]:
    cats = list(Category.objects.filter(is_active=True).order_by("position", "name_es"))
    parents = [c for c in cats if c.parent_id is None]
    return [(p, [c for c in cats if c.parent_id == p.id]) for p in parents]
