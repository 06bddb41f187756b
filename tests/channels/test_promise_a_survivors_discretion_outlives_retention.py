"""A survivor's discretion outlives retention (issue #21 follow-up, docs/help-services.md): when a
policy deletes reporter contacts or purges reports, the messages and conversations that made the
replies neutral go, and the contact with them; a later message from the same phone must still be
answered neutrally. Only a keyed digest of the address is kept, never the address."""

from __future__ import annotations

import pytest

from testigo.channels.models import Contact, DiscreetAddress, InboundMessage
from testigo.reports import retention, services
from testigo.reports.models import Report, RetentionPolicy
from tests.channels import survivor_kit
from tests.reports.retention_kit import age, make_policy

TELLING = survivor_kit.TELLING

pytestmark = pytest.mark.usefixtures("english")

PHONE = "+50499990007"


@pytest.fixture
def sms(client, make_channel):
    """send(text) from the survivor's phone -> the automatic reply ("" when none)."""
    return survivor_kit.phone(client, make_channel("smssync", secret="s"), PHONE)


@pytest.fixture
def pathway(db):
    return survivor_kit.pathway()


@pytest.mark.parametrize("action", [RetentionPolicy.Action.CONTACTS, RetentionPolicy.Action.PURGE])
def test_a_survivor_who_asked_is_still_answered_neutrally_after_retention_removed_everything(
        sms, pathway, admin_user, action):
    sms("SUPPORT: my husband hits me")
    age(Report.objects.get(), days=100)
    policy = make_policy(action=action, days=90, statuses=["new"], confirm=True)
    retention.apply_policy(policy=policy, actor=admin_user)
    assert not Contact.objects.filter(address=PHONE).exists()
    assert not InboundMessage.objects.exists()

    reply = sms("HELP")  # an ordinary keyword from the same phone, months later
    assert reply and not TELLING.search(reply), reply
    reply = sms("They came back last night")
    assert reply and not TELLING.search(reply), reply
    # Only a digest is kept: the phone number is nowhere in it.
    (kept,) = DiscreetAddress.objects.values_list("digest", flat=True)
    assert PHONE not in kept and PHONE.lstrip("+") not in kept


def test_a_report_staff_filed_on_the_pathway_keeps_its_sender_discreet_after_contact_deletion(
        sms, pathway, admin_user):
    sms("My neighbour hits his wife every night")
    services.update_report(report=Report.objects.get(), actor=admin_user, categories=[pathway])
    age(Report.objects.get(), days=100)
    retention.apply_policy(policy=make_policy(action=RetentionPolicy.Action.CONTACTS, days=90, statuses=["new"],
                                              confirm=True), actor=admin_user)
    reply = sms("HELP")
    assert reply and not TELLING.search(reply), reply


def test_an_ordinary_sender_is_not_remembered_and_keeps_ordinary_replies(sms, admin_user, db):
    sms("Robo en la parada de buses")
    age(Report.objects.get(), days=100)
    retention.apply_policy(policy=make_policy(action=RetentionPolicy.Action.CONTACTS, days=90, statuses=["new"],
                                              confirm=True), actor=admin_user)
    assert not DiscreetAddress.objects.exists()
    assert "REPORT" in sms("HELP")
