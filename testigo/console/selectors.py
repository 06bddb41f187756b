"""Reads for the console pages that are not about a single report's rules (those live in
reports.selectors): inbox counts, audit listings, users and categories for the settings pages."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet, Value
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

from testigo.core import audit, roles
from testigo.core.models import AuditEvent
from testigo.core.paging import COUNT_CAP, CappedCount, capped_count
from testigo.reports import counts, search, selectors
from testigo.reports.models import Category, Report
from testigo.surveys.models import Survey

REPORT_OBJECT_TYPE = Report._meta.label_lower  # "reports.report"


def status_counts(user, filters: selectors.ReportFilters, conditions=()) -> dict[str, CappedCount]:
    """How many reports per status the user would see with these filters (statuses ignored)
    and extra conditions (answer filters), for the inbox tabs. Each count stops after
    paging.COUNT_CAP reports ("1,000+"): a GROUP BY over every visible report took most of the
    inbox's time at a million reports (issue #19); one capped count per status reads at most
    that many entries of the (status, received_at) index. A common text search on SQLite counts
    its tabs in one pass over its newest matches (search.capped_counts_by). With no filter but a
    category (or none), the tabs are read from the stored status counts (reports.counts): a
    status rare in a common category made its capped count read every report of the category."""
    if stored_counts_apply(filters, conditions):
        roles.require(user, roles.VIEW)
        totals = counts.status_totals(filters.categories[0] if filters.categories else counts.ALL,
                                      roles.can(user, roles.VIEW_CONFIDENTIAL))
        # Shown as a capped count would show them ("1,000+"): the page says what it said before.
        return {status: CappedCount(n).within() for status, n in totals.items()}
    qs = selectors.staff_reports(user, replace(filters, statuses=[]), paged=True).filter(*conditions)
    statuses = Report.Status.values
    if search.joined(qs):
        # A status no report has is 0 without asking the search: a common word's count there would
        # read every match of the word to find none (one index seek each, reports/search.py).
        visible = selectors.visible_to(user)
        statuses = [status for status in statuses if visible.filter(status=status).exists()]
    counted = search.capped_counts_by(qs, "status", statuses, COUNT_CAP)

    def one(status: str) -> CappedCount:
        if status in counted:
            return counted[status]
        if status not in statuses:
            return CappedCount(0)
        if search.joined(qs):  # rare among the matches: the index finds the word and the status together
            return capped_count(selectors.staff_reports(user, replace(filters, statuses=[status]), paged=True)
                                .filter(*conditions))
        return capped_count(qs.filter(status=status))

    return {status: one(status) for status in Report.Status.values}


def stored_counts_apply(filters: selectors.ReportFilters, conditions=()) -> bool:
    """Whether the stored status counts answer these filters (statuses aside): one category or none."""
    return (len(filters.categories) <= 1 and not conditions and not filters.sources and not filters.text
            and filters.date_from is None and filters.date_to is None and not filters.bbox
            and not filters.admin1 and not filters.admin2)


def inbox_surveys() -> list:
    """Surveys the inbox can be narrowed to (their answers then shown as columns)."""
    return list(Survey.objects.defer("xform", "public_key", "wrapped_private_key").order_by("name_es", "pk"))


def sources(user) -> list[str]:
    """The sources of the reports this user may see, for the inbox filter, one index seek each
    (a DISTINCT read every report's index entry: 57 ms at 100,000 reports on PostgreSQL)."""
    roles.require(user, roles.VIEW)
    hidden = "" if roles.can(user, roles.VIEW_CONFIDENTIAL) else Report.Visibility.CONFIDENTIAL
    with connection.cursor() as cursor:
        cursor.execute(DISTINCT_SOURCES_SQL, [hidden, hidden])
        return sorted(row[0] for row in cursor.fetchall())


# Each step: the next source after the last one seen, on a report the user may see ("" hides nothing).
DISTINCT_SOURCES_SQL = """
WITH RECURSIVE seen(source) AS (
    SELECT MIN(source) FROM reports_report WHERE visibility <> %s
    UNION ALL
    SELECT (SELECT MIN(source) FROM reports_report WHERE source > seen.source AND visibility <> %s) FROM seen
    WHERE seen.source IS NOT NULL
)
SELECT source FROM seen WHERE source IS NOT NULL
"""


def report_events(report: Report) -> QuerySet:
    """The audit events about one report, newest first."""
    return AuditEvent.objects.filter(object_type=REPORT_OBJECT_TYPE, object_id=str(report.pk)).order_by("-seq")


@dataclass
class AuditFilters:
    action: str = ""
    actor: str = ""


def audit_events(user, filters: AuditFilters) -> QuerySet:
    """The whole trail, newest first, for users allowed to read it."""
    roles.require(user, roles.VIEW_AUDIT)
    qs = AuditEvent.objects.order_by("-seq")
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.actor:
        # Case-insensitive as UPPER() = UPPER(), which the index audit_actor_seq serves on both
        # back ends (iexact is a LIKE on SQLite, which no plain index serves).
        qs = qs.filter(Exact(Upper("actor_name"), Upper(Value(filters.actor.strip()))))
    return qs


# The distinct actions, one index seek each (a "skip scan"): DISTINCT over the trail read every
# event's index entry, and the audit page asks on every view.
DISTINCT_ACTIONS_SQL = """
WITH RECURSIVE seen(action) AS (
    SELECT MIN(action) FROM core_auditevent
    UNION ALL
    SELECT (SELECT MIN(action) FROM core_auditevent WHERE action > seen.action) FROM seen
    WHERE seen.action IS NOT NULL
)
SELECT action FROM seen WHERE action IS NOT NULL
"""


def audit_actions() -> list[tuple[str, str]]:
    """(code, translated label) for the action filter, sorted by label."""
    with connection.cursor() as cursor:
        cursor.execute(DISTINCT_ACTIONS_SQL)
        codes = [row[0] for row in cursor.fetchall()]
    return sorted(((code, audit.action_label(code)) for code in codes), key=lambda pair: pair[1])


def users_with_roles() -> list:
    """Every account with its role name, active ones first (no per-row queries)."""
    users = list(get_user_model().objects.prefetch_related("groups").order_by("-is_active", "username"))
    for user in users:
        names = {g.name for g in user.groups.all()}
        user.role = roles.ADMIN if user.is_superuser else next((r for r in roles.ROLES if r in names), None)
        user.role_label = roles.ROLE_LABELS.get(user.role, "")
    return users


def category_rows() -> list[tuple[Category, list[Category]]]:
    """All categories (active or not) as (parent, children) for the settings tree."""
    cats = list(Category.objects.order_by("position", "name_es"))
    parents = [c for c in cats if c.parent_id is None]
    return [(p, [c for c in cats if c.parent_id == p.id]) for p in parents]
