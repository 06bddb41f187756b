"""Against a real Kannel 1.4.5 (the messaging work's fixture): an alert leaves through smsbox's
sendsms and fakesmsc receives it. Skipped when Kannel is not installed."""

from __future__ import annotations

import pytest

from tests.channels.conftest import make_channel  # noqa: F401 - reused fixture
from tests.channels.test_ch_kannel_real import kannel, wait_for  # noqa: F401 - reused fixture


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_broadcast_alert_leaves_through_kannel_sendsms(kannel, live_server, settings, make_channel,  # noqa: F811
                                                       admin_user):
    from django.utils import timezone

    from testigo.alerts import services, zones
    from testigo.alerts.models import Subscription
    from testigo.channels.models import Contact, OutboundMessage
    from testigo.channels.selectors import webhook_url

    start, inject, fakesmsc_output = kannel
    settings.CHANNEL_BASE_URL = live_server.url
    settings.ALLOW_PRIVATE_GATEWAYS = True  # Kannel runs on this machine (TESTIGO_ALLOW_PRIVATE_GATEWAYS=1)
    channel = make_channel("kannel", secret="kannel-key", sendsms_url="http://127.0.0.1:0/", username="testigo",
                           password="sendpw", from_number="12345")
    ports = start(webhook_url(channel) + "?key=kannel-key&id=%I&from=%p&to=%P&text=%a&time=%T&coding=%c")
    channel.config["sendsms_url"] = f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms"
    channel.save()
    inject(ports, "50499990009 12345 text AYUDA")  # keeps fakesmsc connected to receive what we send
    assert wait_for(lambda: "Got message" in fakesmsc_output())

    zone = zones.create_zone(actor=admin_user, name_es="Centro", lat=14.1, lon=-87.2, radius_m=2000)
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    sub = Subscription.objects.create(contact=contact, channel=channel, confirmed_at=timezone.now())
    sub.zones.add(zone)
    alert = services.create_broadcast(actor=admin_user, message_es="Simulacro de evacuacion 10am", zone_ids=[zone.pk])
    assert services.send_alert(actor=admin_user, alert=alert) == 1

    seen = wait_for(lambda: "Simulacro" in fakesmsc_output() and fakesmsc_output())
    assert seen, fakesmsc_output()
    line = next(x for x in seen.splitlines() if "Simulacro" in x)
    assert "50499990001" in line
    message = OutboundMessage.objects.get(alert_delivery__alert=alert)
    assert wait_for(lambda: OutboundMessage.objects.filter(pk=message.pk, status="delivered").exists())
