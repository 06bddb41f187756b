"""Promise: a retention policy that deletes reporter contacts blanks the report's name and contact
and removes what channels keep of the sender for that report (conversation, messages with the raw
payload); the report, its text and its place stay. A contact with no report left is removed;
one who still has a report, who subscribed to alerts themselves, or who sent STOP is kept. A
purge forgets the sender the same way (the message text would otherwise outlive the report)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from testigo.alerts.models import Subscription
from testigo.channels.models import Contact, Conversation, InboundMessage
from testigo.core.models import AuditEvent
from testigo.reports import retention
from testigo.reports.models import Report, RetentionPolicy
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db


def sms(client, channel, text, sender, message_id):
    body = urlencode({"from": sender, "message": text, "message_id": message_id, "sent_to": "+50422220000",
                      "secret": "s3cret", "device_id": "1", "sent_timestamp": "1700000000123"})
    response = client.post(f"/ch/smssync/{channel.uuid}/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    return InboundMessage.objects.get(provider_id=message_id).report


@pytest.fixture
def phone(make_channel):
    return make_channel("smssync", secret="s3cret")


def test_contact_deletion_keeps_the_report_and_removes_a_sender_with_no_report_left(client, phone, admin_user):
    report = age(sms(client, phone, "REPORTE robo en la parada de Comayagüela", "+50499990001", "m-1"), days=100)
    assert report.reporter_contact == "+50499990001"
    assert Conversation.objects.filter(report=report).exists()
    # The only report there is: the policy reaches everything, so it needs the confirmation.
    policy = make_policy(action=RetentionPolicy.Action.CONTACTS, days=90, statuses=["new"], confirm=True)

    outcome = retention.apply_policy(policy=policy, actor=admin_user)

    report.refresh_from_db()
    assert outcome.done == 1 and outcome.contacts_removed == 1
    assert report.description == "robo en la parada de Comayagüela"
    assert (report.reporter_name, report.reporter_contact) == ("", "")
    assert not Conversation.objects.filter(report=report).exists()
    assert not InboundMessage.objects.filter(report=report).exists()
    assert not Contact.objects.filter(address="+50499990001").exists()
    event = AuditEvent.objects.get(action="retention.contacts_deleted")
    assert event.data["references"] == [report.reference] and "+50499990001" not in json.dumps(event.data)
    assert retention.preview(policy).count == 0  # nothing left to do


def test_a_sender_with_another_report_a_subscription_or_a_stop_is_kept(client, phone, admin_user):
    old = age(sms(client, phone, "REPORTE incendio", "+50499990002", "m-2"), days=100)
    Conversation.objects.filter(report=old).update(last_message_at=old.received_at)  # its window closed long ago
    recent = sms(client, phone, "REPORTE otro incendio", "+50499990002", "m-3")  # keeps the contact
    assert recent.pk != old.pk
    subscriber = age(sms(client, phone, "REPORTE inundación", "+50499990003", "m-4"), days=100)
    Subscription.objects.create(contact=Contact.objects.get(address="+50499990003"), source="keyword")
    stopped = age(sms(client, phone, "REPORTE extorsión", "+50499990004", "m-5"), days=100)
    Contact.objects.filter(address="+50499990004").update(opted_out_at=timezone.now())
    policy = make_policy(action=RetentionPolicy.Action.CONTACTS, days=90, statuses=["new"])

    outcome = retention.apply_policy(policy=policy, actor=admin_user)

    assert outcome.done == 3 and outcome.contacts_removed == 0
    assert set(Contact.objects.values_list("address", flat=True)) == {"+50499990002", "+50499990003", "+50499990004"}
    for report in (old, subscriber, stopped):
        report.refresh_from_db()
        assert report.reporter_contact == "" and not InboundMessage.objects.filter(report=report).exists()


def test_a_purge_forgets_the_sender_and_the_message_text(client, phone, admin_user):
    report = age(sms(client, phone, "REPORTE amenazas en Danlí", "+50499990005", "m-6"), days=100)
    retention.apply_policy(policy=make_policy(days=90, statuses=["new"], confirm=True), actor=admin_user)

    assert not Report.objects.filter(pk=report.pk).exists()
    assert not InboundMessage.objects.filter(text__contains="Danlí").exists()
    assert not Contact.objects.filter(address="+50499990005").exists()
