"""Retention policies: which reports a policy touches now (the preview), and applying it in batches.

A policy (models.RetentionPolicy) names a scope (statuses, visibilities, categories; empty is any),
an age (days since received, published or last changed) and one action:
- CONTACTS: the reporter's name and contact are blanked on the report, and every app holding a
  contact link to it (channels: conversations, messages and their sender) forgets it; the report
  itself stays;
- ARCHIVE: the report becomes "archived" (off the public map, list and API; staff can reopen it);
- PURGE: the report is deleted: its rows (notes, media, links), its media files, its map counts
  and search index entries (kept by the counts tracker and the index triggers), and what apps above
  hold of it (messages, survey submissions).

Promises kept here:
- bounded memory: a policy is applied BATCH_SIZE report ids at a time, walking the id index
  upwards (keyset), so a million matching reports never sit in memory at once;
- idempotent: a report already handled no longer matches (contacts blank, archived, gone), so a
  second run touches nothing;
- one bad row never stops the job: a batch that fails is retried report by report, and a report
  that still fails is logged, counted and skipped;
- audited per batch (`retention.contacts_deleted`, `retention.archived`, `retention.purged`): the
  policy and the references, never the purged text;
- a policy whose scope is every report the deployment has needs an explicit confirmation
  (`confirmed_everything`) to be saved, and the job skips it without one.

Apps above reports take part through a registry (PARTICIPANTS), filled in their AppConfig.ready().
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports import counts
from testigo.reports.models import Category, HeldRecording, Media, Report, RetentionPolicy

log = logging.getLogger(__name__)

Action = RetentionPolicy.Action
# Reports per transaction: small enough that one batch's ids, media names and audit event stay
# small, large enough that a daily run over a million reports is a few thousand transactions.
BATCH_SIZE = 200
SAMPLE_SIZE = 10
# Deleting reports (and the report's contacts) belongs to whoever runs the installation, like backups.
MANAGE_RETENTION = roles.MANAGE_USERS
DATE_FIELD = {RetentionPolicy.AgeBasis.RECEIVED: "received_at", RetentionPolicy.AgeBasis.PUBLISHED: "published_at",
              RetentionPolicy.AgeBasis.UPDATED: "updated_at"}
AUDIT_ACTION = {Action.CONTACTS: "retention.contacts_deleted", Action.ARCHIVE: "retention.archived",
                Action.PURGE: "retention.purged"}


@dataclass
class Participant:
    """What an app above reports does when reports lose their contact details or are purged.

    - holds_contact(): a Q on Report matching reports for which the app still holds contact links
      (so CONTACTS keeps matching them until they are gone);
    - forget_contacts(report_ids): drop those links; returns how many contact records went;
    - purge(report_ids): drop everything the app holds of these reports (called before they are
      deleted, in the same transaction); returns how many contact records went."""

    name: str
    holds_contact: Callable[[], Q] | None = None
    forget_contacts: Callable[[list[int]], int] | None = None
    purge: Callable[[list[int]], int] | None = None


PARTICIPANTS: dict[str, Participant] = {}


def register(participant: Participant) -> None:
    PARTICIPANTS[participant.name] = participant


# --- Reading: scope and preview ----------------------------------------------------------------

def scope(policy: RetentionPolicy, *, category_ids: list[int] | None = None) -> QuerySet:
    """The reports in the policy's scope (statuses, visibilities, categories), whatever their age.
    A category takes its children too, as the inbox filter does."""
    qs = Report.objects.all()
    if policy.statuses:
        qs = qs.filter(status__in=policy.statuses)
    if policy.visibilities:
        qs = qs.filter(visibility__in=policy.visibilities)
    if category_ids is None:
        category_ids = list(policy.categories.values_list("id", flat=True)) if policy.pk else []
    if category_ids:
        with_children = set(category_ids) | set(
            Category.objects.filter(parent_id__in=category_ids).values_list("id", flat=True))
        linked = Report.categories.through.objects.filter(category_id__in=with_children)
        qs = qs.filter(pk__in=linked.values("report_id"))
    return qs


def aged(policy: RetentionPolicy, *, now=None, category_ids: list[int] | None = None) -> QuerySet:
    """The reports in scope and older than the policy's age, handled already or not."""
    cutoff = (now or timezone.now()) - timedelta(days=policy.days)
    return scope(policy, category_ids=category_ids).filter(**{f"{DATE_FIELD[policy.age_basis]}__lt": cutoff})


def due(policy: RetentionPolicy, *, now=None, category_ids: list[int] | None = None) -> QuerySet:
    """The reports the policy would touch now: in scope, old enough, and not already handled."""
    qs = aged(policy, now=now, category_ids=category_ids)
    if policy.action == Action.ARCHIVE:
        qs = qs.exclude(status=Report.Status.ARCHIVED)
    elif policy.action == Action.CONTACTS:
        holds = ~Q(reporter_name="") | ~Q(reporter_contact="")
        for participant in PARTICIPANTS.values():
            if participant.holds_contact is not None:
                holds |= participant.holds_contact()
        qs = qs.filter(holds)
    return qs


def unrestricted(policy: RetentionPolicy, category_ids: list[int] | None = None) -> bool:
    if category_ids is None:
        category_ids = list(policy.categories.values_list("id", flat=True)) if policy.pk else []
    return not policy.statuses and not policy.visibilities and not category_ids


def covers_everything(policy: RetentionPolicy, *, category_ids: list[int] | None = None) -> bool:
    """Whether the policy reaches every report the deployment has: its scope names no status,
    visibility or category, or every report there is is in its scope and old enough. Archiving is
    undone by staff in a click; only the actions that destroy need the confirmation."""
    if policy.action == Action.ARCHIVE:
        return False
    if unrestricted(policy, category_ids):
        return True
    total = Report.objects.count()
    return total > 0 and aged(policy, category_ids=category_ids).count() == total


@dataclass
class Preview:
    count: int
    sample: list[str]
    in_scope: int
    total: int
    everything: bool


def preview(policy: RetentionPolicy) -> Preview:
    """How many reports the policy would touch if applied now, with a few of their references."""
    touched = due(policy)
    return Preview(count=touched.count(), sample=list(touched.order_by("pk").values_list("reference", flat=True)
                                                      [:SAMPLE_SIZE]),
                   in_scope=scope(policy).count(), total=Report.objects.count(), everything=covers_everything(policy))


# --- Writing: policies -------------------------------------------------------------------------

@transaction.atomic
def save_policy(*, actor, policy: RetentionPolicy, categories: list[Category], confirm_everything: bool = False
                ) -> RetentionPolicy:
    """Create or change a policy. One that reaches every report (covers_everything) and would
    delete something is refused unless `confirm_everything`; the confirmation is stored."""
    roles.require(actor, MANAGE_RETENTION)
    policy.full_clean(exclude=["categories"])
    if not (set(policy.statuses) <= set(Report.Status.values)
            and set(policy.visibilities) <= set(Report.Visibility.values)):
        raise ValidationError(_("Choose statuses and visibilities from the lists."), code="invalid")
    category_ids = [c.pk for c in categories]
    everything = covers_everything(policy, category_ids=category_ids)
    if everything and not confirm_everything:
        raise ValidationError(_("This policy would delete data of every report the deployment has. Tick the "
                                "confirmation box if that is what you want."), code="everything")
    policy.confirmed_everything = everything and confirm_everything
    created = policy.pk is None
    policy.save()
    policy.categories.set(categories)
    audit.record(action="retention.policy_saved", actor=actor, obj=policy, data={
        "created": created, "name": policy.name, "action": policy.action, "age_basis": policy.age_basis,
        "days": policy.days, "statuses": policy.statuses, "visibilities": policy.visibilities,
        "categories": sorted(category_ids), "enabled": policy.is_enabled,
        "confirmed_everything": policy.confirmed_everything})
    return policy


@transaction.atomic
def delete_policy(*, actor, policy: RetentionPolicy) -> None:
    roles.require(actor, MANAGE_RETENTION)
    audit.record(action="retention.policy_deleted", actor=actor, obj=policy, data={"name": policy.name})
    policy.delete()


# --- Applying ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    policy_id: int
    done: int = 0
    contacts_removed: int = 0
    failed: list[int] = field(default_factory=list)
    skipped: str = ""


def apply_policy(*, policy: RetentionPolicy, actor, now=None, batch_size: int | None = None) -> Outcome:
    """Apply one policy to every report it touches now, batch by batch (see the module).
    A policy that would reach every report without its confirmation is skipped, not applied."""
    roles.require(actor, MANAGE_RETENTION)
    now, batch_size = now or timezone.now(), batch_size or BATCH_SIZE
    outcome = Outcome(policy_id=policy.pk)
    if covers_everything(policy) and not policy.confirmed_everything:
        outcome.skipped = "everything"
        log.warning("retention policy %s skipped: it reaches every report and was not confirmed", policy.pk)
        return outcome
    last_id = 0
    while True:
        ids = list(due(policy, now=now).filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        last_id = ids[-1]
        _apply_batch(policy, actor, ids, outcome, now)
    RetentionPolicy.objects.filter(pk=policy.pk).update(last_run_at=now, last_run_count=outcome.done)
    return outcome


def _apply_batch(policy: RetentionPolicy, actor, ids: list[int], outcome: Outcome, now) -> None:
    try:
        done, removed = _handle(policy, actor, ids, now)
    except Exception:  # noqa: BLE001 - one bad row must not stop the job: retry report by report
        log.exception("retention policy %s: a batch failed; retrying its reports one by one", policy.pk)
        done = removed = 0
        for report_id in ids:
            try:
                one, gone = _handle(policy, actor, [report_id], now)
            except Exception:  # noqa: BLE001
                log.exception("retention policy %s: report id %s could not be handled", policy.pk, report_id)
                outcome.failed.append(report_id)
            else:
                done, removed = done + one, removed + gone
    outcome.done += done
    outcome.contacts_removed += removed


def _handle(policy: RetentionPolicy, actor, ids: list[int], now) -> tuple[int, int]:
    """One batch in one transaction: (reports handled, contact records removed)."""
    files: list[str] = []
    with transaction.atomic():
        # Locked and re-read: a report changed since the batch was chosen is judged again.
        references = dict(due(policy, now=now).select_for_update().filter(pk__in=ids).values_list("pk", "reference"))
        if not references:
            return 0, 0
        chosen = sorted(references)
        if policy.action == Action.CONTACTS:
            removed = _forget_contacts(chosen)
        elif policy.action == Action.ARCHIVE:
            removed = _archive(chosen)
        else:
            removed, files = _purge(chosen)
        audit.record(action=AUDIT_ACTION[policy.action], actor=actor, object_type="reports.retentionpolicy",
                     object_id=str(policy.pk), data={"policy": policy.pk, "count": len(chosen),
                                                     "references": [references[i] for i in chosen],
                                                     "contacts_removed": removed})
        transaction.on_commit(lambda: _delete_files(files))
    return len(chosen), removed


def _forget_contacts(ids: list[int]) -> int:
    # updated_at stays: blanking contacts is housekeeping, not a change a later policy should count from
    Report.objects.filter(pk__in=ids).update(reporter_name="", reporter_contact="")
    return sum(p.forget_contacts(ids) for p in PARTICIPANTS.values() if p.forget_contacts is not None)


def _archive(ids: list[int]) -> int:
    with counts.tracking(ids):  # off the public map and the staff counts of its old status
        Report.objects.filter(pk__in=ids).update(status=Report.Status.ARCHIVED, updated_at=timezone.now())
    return 0


def _purge(ids: list[int]) -> tuple[int, list[str]]:
    """Delete the reports and what hangs off them; returns (contacts removed, media file names to
    delete once the transaction commits: a rollback must not leave rows pointing at no file)."""
    names = set()
    # The clean copy, a video's still frame, the original kept for evidence (with its metadata),
    # and the ciphertext of a recording still waiting for the worker.
    for row in Media.objects.filter(report_id__in=ids).values_list("file", "poster", "original"):
        names.update(row)
    names.update(HeldRecording.objects.filter(report_id__in=ids).values_list("held", flat=True))
    removed = sum(p.purge(ids) for p in PARTICIPANTS.values() if p.purge is not None)
    with counts.tracking(ids):  # the map's counts lose exactly these reports
        Report.objects.filter(pk__in=ids).delete()  # notes, media rows and links cascade; the index triggers follow
    still_used = set(Media.objects.filter(file__in=names).values_list("file", flat=True))
    return removed, sorted(names - still_used - {""})


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # a file already gone or unreadable: logged, the rest still go
            log.exception("retention: could not delete media file %s", name)


def apply_enabled(*, actor=roles.SYSTEM) -> list[Outcome]:
    """Apply every enabled policy (the daily job). A policy that fails is logged and the others
    still run."""
    outcomes = []
    for policy in RetentionPolicy.objects.filter(is_enabled=True).order_by("pk"):
        try:
            outcomes.append(apply_policy(policy=policy, actor=actor))
        except Exception:  # noqa: BLE001 - the worker must survive one bad policy
            log.exception("retention policy %s failed", policy.pk)
    return outcomes
