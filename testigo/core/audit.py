"""The tamper-evident audit trail: append and verify."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

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
