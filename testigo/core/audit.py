"""The tamper-evident audit trail: append and verify."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def _digest(*, seq: int, prev_hash: str, at, actor_name: str, action: str, object_type: str,
            object_id: str, data: dict) -> str:
    body = json.dumps(
        [seq, prev_hash, at.isoformat(), actor_name, action, object_type, object_id, data],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(*, action: str, actor=None, obj=None, object_type: str = "", object_id: str = "",
           data: dict | None = None) -> AuditEvent:
    """Append one event to the chain. Runs in (or joins) a transaction and locks the head row,
    so events written concurrently by several processes still form a single chain."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    # Round-trip through JSON so the hashed form equals what the database gives back.
    data = json.loads(json.dumps(data or {}, default=str))
    from testigo.core.roles import NonHumanActor

    if isinstance(actor, NonHumanActor):  # the system or a field device: named, never a user row
        actor, actor_name = None, actor.name
    else:
        actor_name = getattr(actor, "username", "") or ""
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor, actor_name = None, ""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            id=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        at = timezone.now()
        seq = head.seq + 1
        digest = _digest(seq=seq, prev_hash=head.hash, at=at, actor_name=actor_name, action=action,
                         object_type=object_type, object_id=object_id, data=data)
        event = AuditEvent.objects.create(
            seq=seq, at=at, actor=actor, actor_name=actor_name, action=action,
            object_type=object_type, object_id=object_id, data=data, prev_hash=head.hash, hash=digest,
        )
        AuditHead.objects.filter(id=1).update(seq=seq, hash=digest)
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str
    problems: list[str]


def verify() -> VerifyResult:
    """Walk the chain in order and report every changed, removed or inserted event."""
    problems: list[str] = []
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"event(s) {expected_seq}..{event.seq - 1} missing before event {event.seq}")
        if event.prev_hash != prev_hash:
            problems.append(f"event {event.seq}: chain broken (previous hash does not match)")
        digest = _digest(seq=event.seq, prev_hash=event.prev_hash, at=event.at,
                         actor_name=event.actor_name, action=event.action,
                         object_type=event.object_type, object_id=event.object_id, data=event.data)
        if digest != event.hash:
            problems.append(f"event {event.seq}: content changed (hash mismatch)")
        prev_hash, expected_seq = event.hash, event.seq + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        problems.append(f"the last {head.seq - (expected_seq - 1)} event(s) were removed (head is at "
                        f"{head.seq}, chain ends at {expected_seq - 1})")
    if head is None and checked:
        problems.append("the chain head record is missing")
    return VerifyResult(ok=not problems, checked=checked, head_hash=prev_hash, problems=problems)


def verify_text(result: VerifyResult) -> str:
    """What `testigo audit-verify` prints for `result` (problems first), as evidence packages
    carry it (audit/verify.txt): the same words whoever asks."""
    lines = list(result.problems)
    if result.ok:
        lines.append(f"audit trail intact: {result.checked} events; head {result.head_hash}")
    else:
        lines.append(f"audit trail damaged: {len(result.problems)} problem(s) in {result.checked} events")
    return "\n".join(lines) + "\n"


# --- Display: the trail in words ---------------------------------------------------------------
# Staff read sentences, not codes: each action has a translated label, a status change names both
# statuses, and unknown codes fall back to a generic label (the raw code stays in a tooltip).

ACTION_LABELS = {
    "report.created": gettext_lazy("Report received"),
    "report.edited": gettext_lazy("Report edited"),
    "report.note_added": gettext_lazy("Internal note added"),
    "report.redacted": gettext_lazy("Hidden phrases changed"),
    "report.merged": gettext_lazy("Merged into another report"),
    "report.imported": gettext_lazy("Reports imported"),
    "report.media_added": gettext_lazy("Photo or file added"),
    "report.media_refused": gettext_lazy("Photo or file refused"),
    "report.new": gettext_lazy("Marked as new"),
    "report.in_review": gettext_lazy("Put in review"),
    "report.verified": gettext_lazy("Verified"),
    "report.published": gettext_lazy("Published"),
    "report.rejected": gettext_lazy("Rejected"),
    "report.archived": gettext_lazy("Archived"),
    "report.evidence_exported": gettext_lazy("Evidence package exported"),
    "retention.contacts_deleted": gettext_lazy("Reporter contacts deleted by a retention policy"),
    "retention.archived": gettext_lazy("Reports archived by a retention policy"),
    "retention.purged": gettext_lazy("Reports purged by a retention policy"),
    "retention.policy_saved": gettext_lazy("Retention policy saved"),
    "retention.policy_deleted": gettext_lazy("Retention policy deleted"),
    "media.public": gettext_lazy("Photo made public"),
    "media.private": gettext_lazy("Photo made private"),
    "category.created": gettext_lazy("Category created"),
    "category.edited": gettext_lazy("Category edited"),
    "user.created": gettext_lazy("User created"),
    "user.role_changed": gettext_lazy("User role changed"),
    "user.activated": gettext_lazy("User activated"),
    "user.deactivated": gettext_lazy("User deactivated"),
    "user.password_changed": gettext_lazy("Password changed"),
    "twofactor.enrolled": gettext_lazy("Two-factor login set up"),
    "twofactor.disabled": gettext_lazy("Two-factor login turned off"),
    "twofactor.reset": gettext_lazy("Two-factor login reset by an administrator"),
    "twofactor.recovery_code_used": gettext_lazy("Recovery code used to log in"),
    "twofactor.recovery_codes_renewed": gettext_lazy("New recovery codes made"),
    "twofactor.failed": gettext_lazy("Wrong two-factor code"),
    "twofactor.locked": gettext_lazy("Two-factor login locked after wrong codes"),
    "twofactor.policy_changed": gettext_lazy("Two-factor requirement changed"),
    "api_token.created": gettext_lazy("API token created"),
    "api_token.revoked": gettext_lazy("API token revoked"),
    "layer.created": gettext_lazy("Map layer created"),
    "layer.edited": gettext_lazy("Map layer edited"),
    "layer.deleted": gettext_lazy("Map layer deleted"),
    "survey.created": gettext_lazy("Survey created"),
    "survey.edited": gettext_lazy("Survey edited"),
    "survey.encryption_enabled": gettext_lazy("Survey encryption turned on"),
    "survey.device_added": gettext_lazy("Survey device added"),
    "survey.device_revoked": gettext_lazy("Survey device revoked"),
    "survey.media_added": gettext_lazy("Survey file added"),
    "survey.media_removed": gettext_lazy("Survey file removed"),
    "survey.decrypted": gettext_lazy("Survey submissions decrypted"),
    "import.uploaded": gettext_lazy("Import file uploaded"),
    "import.started": gettext_lazy("Import started"),
    "import.finished": gettext_lazy("Import finished"),
    "channels.reply": gettext_lazy("Reply sent"),
    "channels.added": gettext_lazy("Channel added"),
    "channels.edited": gettext_lazy("Channel edited"),
    "channels.template_added": gettext_lazy("WhatsApp template registered"),
    "channels.template_changed": gettext_lazy("WhatsApp template changed"),
    "tipline.to_report": gettext_lazy("Tip turned into a report"),
    "tipline.reply": gettext_lazy("Tip answered"),
    "tipline.keep": gettext_lazy("Tip kept"),
    "tipline.release": gettext_lazy("Tip released for deletion"),
    "tipline.keep_originals": gettext_lazy("Tip line originals setting changed"),
    "tipline.initialise": gettext_lazy("Tip line vault set up"),
    "tipline.grant": gettext_lazy("Tip line access granted"),
    "tipline.revoke": gettext_lazy("Tip line access revoked"),
    "tipline.rewrap": gettext_lazy("Tip line key renewed"),
    "tipline.recover": gettext_lazy("Tip line key recovered"),
    "alerts.subscribed": gettext_lazy("Alert subscription added"),
    "alerts.unsubscribed": gettext_lazy("Alert subscription cancelled"),
    "alerts.report_alert": gettext_lazy("Alert prepared for a report"),
    "alerts.rule_fired": gettext_lazy("Alert rule fired"),
    "alerts.sent": gettext_lazy("Alert sent"),
    "alerts.broadcast_drafted": gettext_lazy("Broadcast drafted"),
    "alerts.discarded": gettext_lazy("Alert discarded"),
    "alerts.cancelled": gettext_lazy("Alert cancelled"),
    "alerts.rule_saved": gettext_lazy("Alert rule saved"),
    "alerts.zones_imported": gettext_lazy("Alert zones imported"),
    "alerts.zone_created": gettext_lazy("Alert zone created"),
    "alerts.zone_deleted": gettext_lazy("Alert zone deleted"),
    "demo.seeded": gettext_lazy("Demo data created"),
    "backup.created": gettext_lazy("Backup made"),
    "backup.verified": gettext_lazy("Backup read back and found whole"),
    "backup.restored": gettext_lazy("Backup restored"),
    "backup.failed": gettext_lazy("Backup failed"),
    "guide.edited": gettext_lazy("Security guide edited"),
    "guide.restored": gettext_lazy("Security guide restored to its default"),
    "story.created": gettext_lazy("Story written"),
    "story.edited": gettext_lazy("Story edited"),
    "story.draft": gettext_lazy("Story put back to draft"),
    "story.review": gettext_lazy("Story put in review"),
    "story.published": gettext_lazy("Story published"),
    "story.evidence_exported": gettext_lazy("Evidence package of a story exported"),
    "webhooks.created": gettext_lazy("Webhook added"),
    "webhooks.enabled": gettext_lazy("Webhook enabled"),
    "webhooks.disabled": gettext_lazy("Webhook disabled"),
    "webhooks.disabled_automatically": gettext_lazy("Webhook disabled after repeated failures"),
    "webhooks.deleted": gettext_lazy("Webhook deleted"),
    "webhooks.replayed": gettext_lazy("Webhook delivery sent again"),
}

OBJECT_LABELS = {
    "reports.report": gettext_lazy("Report"),
    "auth.user": gettext_lazy("User"),
    "reports.category": gettext_lazy("Category"),
    "surveys.survey": gettext_lazy("Survey"),
    "surveys.device": gettext_lazy("Survey device"),
    "surveys.import": gettext_lazy("Import"),
    "tipline.tip": gettext_lazy("Tip"),
    "tipline.vault": gettext_lazy("Tip line vault"),
    "channels.channel": gettext_lazy("Channel"),
    "channels.outboundmessage": gettext_lazy("Outgoing message"),
    "channels.messagetemplate": gettext_lazy("WhatsApp template"),
    "api.apitoken": gettext_lazy("API token"),
    "geo.layer": gettext_lazy("Map layer"),
    "core.guide": gettext_lazy("Security guide"),
    "alerts.alert": gettext_lazy("Alert"),
    "alerts.subscription": gettext_lazy("Alert subscription"),
    "alerts.zone": gettext_lazy("Alert zone"),
    "alerts.rule": gettext_lazy("Alert rule"),
    "core.backuprun": gettext_lazy("Backup"),
    "reports.retentionpolicy": gettext_lazy("Retention policy"),
    "stories.story": gettext_lazy("Story"),
    "webhooks.webhook": gettext_lazy("Webhook"),
}


def action_label(action: str) -> str:
    """The translated name of an action code; unknown codes get a generic label, never the code."""
    return str(ACTION_LABELS.get(action, _("Other event")))


def object_label(object_type: str, object_id: str) -> str:
    """'Report 12', 'User 3': the translated kind of object and its id."""
    if not object_type:
        return ""
    kind = str(OBJECT_LABELS.get(object_type, _("Record")))
    return f"{kind} {object_id}".strip()


def raw(event: AuditEvent) -> str:
    """The stored code and data, for the admins' tooltip (never shown as page text)."""
    return f"{event.action} {json.dumps(event.data, ensure_ascii=False, sort_keys=True)}"
