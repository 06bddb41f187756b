"""Promise: the public alert sign-up cannot be used to flood phones (or the NGO's SMS bill), and
never writes to an address that sent STOP — only the person, by writing to us, lifts a STOP.

The attack (issue #13): 40 numbers signed up in 1.8 s got 40 codes queued; a number that had
sent STOP still got 3 codes an hour.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from testigo.alerts import subscriptions
from testigo.alerts.models import Subscription
from testigo.channels.models import Contact, OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def sign_up(client, number: str):
    return client.post("/alerts/", {"scheme": "tel", "address": number, "zones": "Colonia Kennedy",
                                    "language": "es"})


def test_promise_signups_stop_at_the_hourly_cap_for_all_addresses(client, zones, sms_channel, settings):
    settings.ALERT_CODES_PER_HOUR = 5
    answers = [sign_up(client, f"+5049999{n:04d}") for n in range(8)]
    assert [a.status_code for a in answers] == [302] * 5 + [400] * 3
    assert b"Too many sign-ups right now" in answers[-1].content
    assert OutboundMessage.objects.count() == 5 and Subscription.objects.count() == 5


def test_promise_one_address_gets_at_most_six_codes_a_day(zones, sms_channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    earlier = timezone.now() - timezone.timedelta(hours=3)
    for _i in range(subscriptions.CODES_PER_DAY):
        sub = Subscription.objects.create(contact=contact, source="web")
        Subscription.objects.filter(pk=sub.pk).update(created_at=earlier)
    with pytest.raises(ValidationError, match="today"):
        subscriptions.start(scheme="tel", address="+50499990001", language="es", zone_ids=[zones["kennedy"].pk],
                            categories=[])
    assert not OutboundMessage.objects.exists()


def test_promise_an_address_that_sent_stop_gets_no_code_and_loses_nothing(client, zones, sms_channel, subscribe):
    kept = subscribe("+50499990001", zones=[zones["centro"]])
    stopped_at = timezone.now()
    Contact.objects.filter(pk=kept.contact_id).update(opted_out_at=stopped_at)

    response = sign_up(client, "+504 9999-0001")

    assert response.status_code == 400
    assert b"asked us to stop sending it messages" in response.content
    assert b"9999-0001" in response.content  # the form keeps what was typed
    assert not OutboundMessage.objects.exists()
    assert list(Subscription.objects.values_list("pk", "confirmed_at", "cancelled_at")) == [
        (kept.pk, kept.confirmed_at, None)]
    assert Contact.objects.get(pk=kept.contact_id).opted_out_at == stopped_at


def test_promise_the_person_lifts_their_own_stop_by_writing_to_us(zones, sms_channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001", opted_out_at=timezone.now())
    reply = subscriptions.handle_alert_keyword(channel=sms_channel, contact=contact, text="Kennedy", language="es")
    contact.refresh_from_db()
    assert contact.opted_out_at is None and "Kennedy" in reply
