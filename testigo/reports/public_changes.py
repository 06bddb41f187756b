"""`Report.public_updated_at`: when what the public sees of a report last changed.

The public API's `updated_since` filters on it. `updated_at` moves with every staff edit (a
contact corrected, a custom field, a pin nudged inside its fuzz cell), so filtering on it told
anyone the exact moment staff worked on a published report. This stamp moves only when the
report's public row changes: its public_reports() columns (and whether it is public at all) or
its categories. Photos are not part of the list rows, so they do not move it.

It is kept by signals, like the map's counts (reports/counts/), so every write path is covered
without each service remembering it: a Report save compares the public row before and after,
and a change of a public report's categories stamps it too. Bulk inserts of published reports
(the demo seed) set it themselves.

Each stamp also renews the generation token ROWS_TOKEN (geo/memindex.py) in the same transaction:
the public map's answers kept in memory (api/mapcache.py) hold a report's public title, date and
categories, which can change without any count changing (a title redacted), so they check this
token as well as the counts' one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import signals
from django.utils import timezone

from testigo.geo import memindex
from testigo.reports.models import Report
from testigo.reports.selectors import public_base, public_values

# The stamp is rounded UP to this step: coarse enough not to time staff's work to the second,
# and never earlier than the change, so a client asking `updated_since=<its last sync>` never
# misses one (it may see the same change twice within a step).
PUBLIC_CHANGE_STEP = timedelta(minutes=10)
# The generation token's scope renewed whenever a public report's public row changes (beside the
# count scopes of reports/counts/entries.py: PUBLIC 0, STAFF 1, TALLY 2).
ROWS_TOKEN = 3
memindex.WATCHED.add(ROWS_TOKEN)


def stamp(moment: datetime | None = None) -> datetime:
    """`moment` (default now) rounded up to the next PUBLIC_CHANGE_STEP."""
    moment = moment or timezone.now()
    step = PUBLIC_CHANGE_STEP.total_seconds()
    epoch = moment.timestamp()
    rounded = -(-epoch // step) * step
    return datetime.fromtimestamp(rounded, tz=moment.tzinfo or timezone.get_current_timezone())


def _public_row(pk: int) -> dict | None:
    return public_values(public_base().filter(pk=pk)).first()


def mark(report_ids: list[int]) -> None:
    """Stamp the reports among these that are public now (a plain UPDATE: no signals, and
    `updated_at` untouched)."""
    if report_ids:
        public_base().filter(pk__in=report_ids).update(public_updated_at=stamp())
        memindex.bump([ROWS_TOKEN])


def _on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if instance.pk is not None and not raw:
        instance._public_before = _public_row(instance.pk)


def _on_post_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    before = None if created else instance.__dict__.pop("_public_before", None)
    if created and (instance.status, instance.visibility) != (Report.Status.PUBLISHED, Report.Visibility.PUBLIC):
        return  # a new report is not public (create_report makes it "new"): nothing to compare
    after = _public_row(instance.pk)
    if after is not None and after != before:
        mark([instance.pk])


def _on_categories_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            mark([instance.pk])
        return
    if action == "pre_clear":  # category.reports.clear(): remember which reports it had
        links = Report.categories.through.objects.filter(category_id=instance.pk)
        instance._public_report_ids = list(links.values_list("report_id", flat=True))
    elif action == "post_clear":
        mark(instance.__dict__.pop("_public_report_ids", []))
    elif action in ("post_add", "post_remove"):
        mark(sorted(pk_set or ()))


def connect_signals() -> None:
    uid = "reports.public_changes."
    signals.pre_save.connect(_on_pre_save, sender=Report, dispatch_uid=uid + "pre_save")
    signals.post_save.connect(_on_post_save, sender=Report, dispatch_uid=uid + "post_save")
    signals.m2m_changed.connect(_on_categories_changed, sender=Report.categories.through,
                                dispatch_uid=uid + "categories")
