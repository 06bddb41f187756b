"""Keeping the counts up to date: a tracking block for many changes at once, and model signals for
single saves, deletes and category changes."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection as default_connection
from django.db import transaction

from testigo.geo.pyramid import apply_deltas
from testigo.reports.counts.entries import Entry, deltas, entries_of, tally_deltas
from testigo.reports.counts.sql import TALLY_TABLE, add_in_sql
from testigo.reports.models import Category, Report

_local = threading.local()


def apply_changes(before: dict[int, list[Entry]], after: dict[int, list[Entry]], connection=None) -> None:
    """Add what these reports' entries changed to the map's counts and to the status counts."""
    connection = connection or default_connection
    apply_deltas(deltas(before, after), connection)
    changes = tally_deltas(before, after)
    if not changes:
        return
    table = connection.ops.quote_name(TALLY_TABLE)
    rows = [(cat, part, n) for (cat, part), n in sorted(changes.items())]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (category, part, n) VALUES (%s, %s, %s) "
                           f"ON CONFLICT (category, part) DO UPDATE SET n = {table}.n + excluded.n", rows)
        gone = [(cat, part) for (cat, part), n in changes.items() if n < 0]
        if gone:
            cursor.executemany(f"DELETE FROM {table} WHERE category = %s AND part = %s AND n <= 0", gone)


class _Tracker:
    def __init__(self) -> None:
        self.before: dict[int, list[Entry]] = {}

    def note(self, ids: Iterable[int], *, new: bool = False) -> None:
        fresh = [i for i in ids if i is not None and i not in self.before]
        if not fresh:
            return
        if new:
            self.before.update((i, []) for i in fresh)
        else:
            found = entries_of(fresh)
            self.before.update((i, found.get(i, [])) for i in fresh)

    def flush(self) -> None:
        ids = list(self.before)
        if ids:
            apply_changes(self.before, entries_of(ids))
        self.before = {}


def _current() -> _Tracker | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


@contextmanager
def tracking(report_ids: Iterable[int] = ()):
    """Apply to the counts whatever the block changes in these reports (status, visibility,
    location, projection, categories, deletion). Reports saved, deleted or re-categorised through
    the ORM inside the block join in by themselves; the counts are updated once, at the end, in
    the block's transaction."""
    outer = _current()
    if outer is not None:  # nested: the outermost block applies everything once
        outer.note(list(report_ids))
        yield outer
        return
    tracker = _Tracker()
    with transaction.atomic():
        tracker.note(list(report_ids))
        _local.stack = [tracker]
        try:
            yield tracker
        finally:
            _local.stack = []
        tracker.flush()


def added(report_ids: Iterable[int]) -> None:
    """Count reports that were just inserted in bulk (without model signals). Called by
    reports.bulk.insert_reports; other bulk inserts (bulk_create) must call it too."""
    tracker = _current()
    if tracker is not None:
        tracker.note(list(report_ids), new=True)
        return
    ids = [i for i in report_ids if i is not None]
    if ids:
        add_in_sql(ids)


def _on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if instance.pk is None:
        return
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk])
    else:
        instance._cluster_before = entries_of([instance.pk]).get(instance.pk, [])


def _on_post_save(sender, instance, created, **kwargs) -> None:
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk], new=created)
        return
    before = {instance.pk: [] if created else getattr(instance, "_cluster_before", [])}
    instance.__dict__.pop("_cluster_before", None)
    apply_changes(before, entries_of([instance.pk]))


def _on_pre_delete(sender, instance, **kwargs) -> None:
    tracker = _current()
    if tracker is not None:
        tracker.note([instance.pk])
    else:
        instance._cluster_before = entries_of([instance.pk]).get(instance.pk, [])


def _on_post_delete(sender, instance, **kwargs) -> None:
    if _current() is None:
        apply_changes({instance.pk: getattr(instance, "_cluster_before", [])}, {})


def _on_categories_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        ids = [instance.pk]
    elif pk_set is not None:
        ids = sorted(pk_set)
    else:  # category.reports.clear(): every report of that category
        if action != "pre_clear":
            ids = getattr(instance, "_cluster_ids", [])
        else:
            ids = list(Report.categories.through.objects.filter(category_id=instance.pk)
                       .values_list("report_id", flat=True))
            instance._cluster_ids = ids
    tracker = _current()
    if tracker is not None:
        tracker.note(ids)
        return
    if action.startswith("pre_"):
        instance._cluster_before = entries_of(ids)
        return
    before = getattr(instance, "_cluster_before", {})
    instance.__dict__.pop("_cluster_before", None)
    apply_changes({i: before.get(i, []) for i in ids}, entries_of(ids))


def _category_ids_affected(category) -> list[int]:
    return list(Report.categories.through.objects.filter(category_id=category.pk).values_list("report_id", flat=True))


def _before_category_change(category) -> None:
    """Note the category's reports in the open tracking block, or keep their entries on the
    instance for the post_save/post_delete handler to diff against."""
    ids = _category_ids_affected(category)
    tracker = _current()
    if tracker is not None:
        tracker.note(ids)
    else:
        category._cluster_before = (ids, entries_of(ids))


def _on_category_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """A category moved under another parent changes which filters count its reports."""
    if instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    if old != instance.parent_id:
        _before_category_change(instance)


def _on_category_post_save(sender, instance, **kwargs) -> None:
    saved = instance.__dict__.pop("_cluster_before", None)
    if saved is not None and _current() is None:
        ids, before = saved
        apply_changes({i: before.get(i, []) for i in ids}, entries_of(ids))


def _on_category_pre_delete(sender, instance, **kwargs) -> None:
    _before_category_change(instance)


def connect_signals() -> None:
    from django.db.models import signals

    uid = "reports.counts."
    signals.pre_save.connect(_on_pre_save, sender=Report, dispatch_uid=uid + "pre_save")
    signals.post_save.connect(_on_post_save, sender=Report, dispatch_uid=uid + "post_save")
    signals.pre_delete.connect(_on_pre_delete, sender=Report, dispatch_uid=uid + "pre_delete")
    signals.post_delete.connect(_on_post_delete, sender=Report, dispatch_uid=uid + "post_delete")
    signals.m2m_changed.connect(_on_categories_changed, sender=Report.categories.through,
                                dispatch_uid=uid + "categories")
    signals.pre_save.connect(_on_category_pre_save, sender=Category, dispatch_uid=uid + "cat_pre_save")
    signals.post_save.connect(_on_category_post_save, sender=Category, dispatch_uid=uid + "cat_post_save")
    signals.pre_delete.connect(_on_category_pre_delete, sender=Category, dispatch_uid=uid + "cat_pre_delete")
    # A deleted category's links go with it (cascade): post_delete of the category applies it.
    signals.post_delete.connect(_on_category_post_save, sender=Category, dispatch_uid=uid + "cat_post_delete")


