"""Promise: a subscriber who signed up on the web (no channel of their own) gets alerts through a
channel that can reach their address and may write first: an SMS gateway for a phone number,
never WhatsApp (it refuses free-form text outside 24 hours after the person last wrote, so the
alert would fail), even when the WhatsApp channel was set up first.

Each channel type declares the address scheme it reaches and whether it may write first; alerts
ask channels (channels.selectors.default_channels) instead of keeping their own table of types.
"""

from __future__ import annotations

import pytest

from testigo.alerts import services
from testigo.channels import services as channel_services
from testigo.channels.models import Contact, OutboundMessage
from testigo.core import roles

pytestmark = pytest.mark.django_db


def test_promise_a_phone_subscriber_gets_a_broadcast_by_sms_not_whatsapp(zones, subscribe, admin_user,
                                                                         django_capture_on_commit_callbacks):
    whatsapp = channel_services.add_channel(actor=roles.SYSTEM, type_code="whatsapp", name="wa", config={
        "app_secret": "a", "verify_token": "v", "access_token": "t", "phone_number_id": "1"})
    sms = channel_services.add_channel(actor=roles.SYSTEM, type_code="kannel", name="sms", config={
        "secret": "k", "sendsms_url": "http://gw.test/sendsms", "username": "u", "password": "p"})
    assert whatsapp.pk < sms.pk
    subscribe("+50499990001", zones=[zones["centro"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Aviso", zone_ids=[zones["centro"].pk])

    with django_capture_on_commit_callbacks(execute=False):
        assert services.send_alert(actor=admin_user, alert=alert) == 1

    assert OutboundMessage.objects.get().channel == sms


def test_promise_with_only_whatsapp_a_phone_subscriber_is_counted_unreachable(zones, subscribe, admin_user):
    channel_services.add_channel(actor=roles.SYSTEM, type_code="whatsapp", name="wa", config={
        "app_secret": "a", "verify_token": "v", "access_token": "t", "phone_number_id": "1"})
    subscribe("+50499990001", zones=[zones["centro"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Aviso", zone_ids=[zones["centro"].pk])

    assert services.preview(alert=alert)["unreachable"] == 1


def test_promise_a_telegram_subscriber_is_reached_through_telegram(zones, admin_user,
                                                                  django_capture_on_commit_callbacks):
    from django.utils import timezone

    from testigo.alerts.models import Subscription

    channel_services.add_channel(actor=roles.SYSTEM, type_code="kannel", name="sms", config={
        "secret": "k", "sendsms_url": "http://gw.test/sendsms", "username": "u", "password": "p"})
    bot = channel_services.add_channel(actor=roles.SYSTEM, type_code="telegram", name="bot", config={"bot_token": "1:a"})
    contact = Contact.objects.create(scheme="telegram", address="4242")
    sub = Subscription.objects.create(contact=contact, language="es", confirmed_at=timezone.now())
    sub.zones.set([zones["centro"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Aviso", zone_ids=[zones["centro"].pk])

    with django_capture_on_commit_callbacks(execute=False):
        assert services.send_alert(actor=admin_user, alert=alert) == 1

    assert OutboundMessage.objects.get().channel == bot
