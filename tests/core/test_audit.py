import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from testigo.core import audit
from testigo.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _chain(n=5):
    for i in range(n):
        audit.record(action="test.event", object_type="thing", object_id=str(i), data={"i": i, "texto": "sí"})


def test_intact_chain_verifies():
    _chain()
    result = audit.verify()
    assert result.ok and result.checked == 5
    call_command("audit_verify")  # does not raise


def test_audit_events_refuse_update_and_delete_through_the_orm():
    _chain(1)
    event = AuditEvent.objects.get()
    event.action = "forged"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_audit_verify_detects_a_changed_event():
    _chain()
    AuditEvent.objects.filter(seq=3).update(data={"i": 99})
    result = audit.verify()
    assert not result.ok
    assert any("event 3: content changed" in p for p in result.problems)
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_audit_verify_detects_a_deleted_event_in_the_middle():
    _chain()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq = 2")
    result = audit.verify()
    assert not result.ok
    assert any("missing" in p for p in result.problems)
    assert any("event 3: chain broken" in p for p in result.problems)


def test_audit_verify_detects_a_cut_tail():
    _chain()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq >= 4")
    result = audit.verify()
    assert not result.ok
    assert any("last 2 event(s) were removed" in p for p in result.problems)


def test_audit_verify_detects_a_rewritten_hash():
    """Recomputing one event's hash after editing it still breaks the link to the next one."""
    _chain()
    event = AuditEvent.objects.get(seq=2)
    forged = audit._digest(seq=2, prev_hash=event.prev_hash, at=event.at, actor_name="", action="forged",
                           object_type=event.object_type, object_id=event.object_id, data=event.data)
    AuditEvent.objects.filter(seq=2).update(action="forged", hash=forged)
    problems = audit.verify().problems
    assert any("event 3: chain broken" in p for p in problems)
