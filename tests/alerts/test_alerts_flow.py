"""End to end: publishing a report alerts exactly the right subscribers; rules fire once; STOP wins."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from testigo.alerts import rules, services
from testigo.alerts.models import Alert, AlertDelivery, Rule
from testigo.channels import outbox
from testigo.channels.models import OutboundMessage
from testigo.reports import services as report_services

pytestmark = pytest.mark.django_db


def sent_to(provider) -> list[str]:
    return [parse_qs(urlparse(c["url"]).query)["to"][0] for c in provider.calls]


def publish(report_factory, admin_user, run_on_commit, **kw):
    with run_on_commit():
        report = report_factory(**kw)
        report_services.verify(report=report, actor=admin_user)
        report_services.publish(report=report, actor=admin_user)
    return report


def test_published_report_reaches_each_matching_subscriber_once_and_nobody_else(
        zones, sms_channel, subscribe, provider, report_factory, admin_user, run_on_commit, category, settings):
    settings.FUZZ_RADIUS_M = 0
    settings.ALERT_LINK_BASE = "https://testigo.example.org"  # an SMS carries an absolute link or none
    other = category.__class__.objects.create(slug="fuego", name_es="Incendio", name_en="Fire")
    subscribe("+50499990001", zones=[zones["kennedy"]])                         # zone, all categories
    subscribe("+50499990002", zones=[zones["kennedy"]], categories=[category.parent])  # parent category
    subscribe("+50499990003", zones=[zones["kennedy"], zones["centro"]])        # two subscriptions' worth
    subscribe("+50499990003", lat=14.0723, lon=-87.1921, radius_m=2000)          # same person, a point too
    subscribe("+50499990004", zones=[zones["centro"]])                          # other zone
    subscribe("+50499990005", zones=[zones["kennedy"]], categories=[other])     # other category
    subscribe("+50499990006", lat=14.5, lon=-87.0, radius_m=1000)                # far away point

    report = publish(report_factory, admin_user, run_on_commit)

    assert sorted(sent_to(provider)) == ["+50499990001", "+50499990002", "+50499990003"]
    alert = Alert.objects.get(kind=Alert.Kind.REPORT, report=report)
    texts = list(OutboundMessage.objects.filter(alert_delivery__alert=alert).values_list("text", "segments", "encoding"))
    assert all(report.reference in t and seg == 1 and enc == "GSM-7" for t, seg, enc in texts)


def test_stopped_contact_gets_no_alert(zones, sms_channel, subscribe, provider, report_factory, admin_user,
                                       run_on_commit, settings):
    from django.utils import timezone

    settings.FUZZ_RADIUS_M = 0
    sub = subscribe("+50499990001", zones=[zones["kennedy"]])
    sub.contact.opted_out_at = timezone.now()
    sub.contact.save()
    publish(report_factory, admin_user, run_on_commit)
    assert provider.calls == []


def test_cooldown_keeps_a_second_report_in_the_same_zone_from_alerting_again(
        zones, sms_channel, subscribe, provider, report_factory, admin_user, run_on_commit, settings):
    settings.FUZZ_RADIUS_M = 0
    subscribe("+50499990001", zones=[zones["kennedy"]])
    publish(report_factory, admin_user, run_on_commit)
    publish(report_factory, admin_user, run_on_commit, title="Otro asalto")
    assert len(provider.calls) == 1
    settings.ALERT_COOLDOWN_MINUTES = 0
    publish(report_factory, admin_user, run_on_commit, title="Tercer asalto")
    assert len(provider.calls) == 2


def test_rule_fires_exactly_once_when_the_threshold_is_crossed(
        zones, sms_channel, subscribe, provider, report_factory, category, run_on_commit):
    Rule.objects.create(name="3 robos", category=category.parent, min_reports=3, radius_m=500, hours=24,
                        verified_only=False, send_immediately=True)
    subscribe("+50499990001", zones=[zones["kennedy"]])
    with run_on_commit():
        report_factory()
        report_factory(lat=14.0725, lon=-87.1920)
    assert not Alert.objects.filter(kind=Alert.Kind.RULE).exists()
    with run_on_commit():
        report_factory(lat=14.0721, lon=-87.1923)
    alert = Alert.objects.get(kind=Alert.Kind.RULE)
    assert alert.status == Alert.Status.SENT and sent_to(provider) == ["+50499990001"]
    with run_on_commit():
        report_factory(lat=14.0722, lon=-87.1922)
        report_factory(lat=14.0724, lon=-87.1924)
    assert rules.evaluate_all() == 0
    assert Alert.objects.filter(kind=Alert.Kind.RULE).count() == 1 and len(provider.calls) == 1


def test_rule_counting_verified_only_ignores_new_reports_and_drafts_for_approval(
        zones, report_factory, category, admin_user, run_on_commit):
    Rule.objects.create(name="2 robos", category=category, min_reports=2, radius_m=500, hours=24,
                        verified_only=True)
    with run_on_commit():
        a, b = report_factory(), report_factory()
    assert not Alert.objects.exists()
    with run_on_commit():
        report_services.verify(report=a, actor=admin_user)
        report_services.verify(report=b, actor=admin_user)
    alert = Alert.objects.get(kind=Alert.Kind.RULE)
    assert alert.status == Alert.Status.DRAFT and not AlertDelivery.objects.exists()


@pytest.mark.parametrize("sending", ["outbox.send_bulk", "outbox.send_due"])
def test_stop_during_a_broadcast_withdraws_that_persons_pending_messages(
        zones, sms_channel, subscribe, provider, admin_user, django_capture_on_commit_callbacks, sending):
    from testigo.channels import services as channel_services
    from testigo.channels.models import Channel
    from testigo.channels.types.base import Inbound

    stopper = subscribe("+50499990001", zones=[zones["kennedy"]])
    subscribe("+50499990002", zones=[zones["kennedy"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Evite la zona", zone_ids=[zones["kennedy"].pk])
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet sent
        assert services.send_alert(actor=admin_user, alert=alert) == 2
    with django_capture_on_commit_callbacks(execute=True):
        channel_services.receive(channel=Channel.objects.get(), inbound=Inbound(
            provider_id="in-1", scheme="tel", address=stopper.contact.address, text="bája"))
    if sending == "outbox.send_bulk":
        outbox.send_bulk(channel_id=sms_channel.pk, max_seconds=5)
    outbox.send_due(max_seconds=5)  # the STOP confirmation (and, for that case, the broadcast)
    to = sent_to(provider)
    assert "+50499990002" in to
    # The stopper got only the STOP confirmation, never the broadcast.
    calls = [parse_qs(urlparse(c["url"]).query) for c in provider.calls]
    stopper_texts = [q["text"][0] for q in calls if q["to"][0] == "+50499990001"]
    assert all("Evite" not in t for t in stopper_texts) and len(stopper_texts) == 1


def test_cancelling_a_broadcast_withdraws_what_has_not_left(zones, sms_channel, subscribe, admin_user,
                                                            django_capture_on_commit_callbacks):
    from testigo.alerts.selectors import alert_stats

    for n in range(3):
        subscribe(f"+5049999000{n}", zones=[zones["centro"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Aviso", zone_ids=[zones["centro"].pk])
    with django_capture_on_commit_callbacks(execute=False):
        services.send_alert(actor=admin_user, alert=alert)
    assert alert_stats(alert)["pending"] == 3
    assert services.cancel_alert(actor=admin_user, alert=alert) == 3
    stats = alert_stats(alert)
    assert stats == {"recipients": 3, "sent": 0, "delivered": 0, "failed": 3, "pending": 0}


def test_a_report_alerts_its_subscribers_only_once_however_often_it_is_evaluated(
        zones, sms_channel, subscribe, provider, report_factory, admin_user, run_on_commit, settings):
    settings.FUZZ_RADIUS_M = 0
    settings.ALERT_COOLDOWN_MINUTES = 0
    subscribe("+50499990001", zones=[zones["kennedy"]])
    report = publish(report_factory, admin_user, run_on_commit)
    with run_on_commit():
        assert services.alert_for_published_report(report_id=report.pk) is None
    assert len(provider.calls) == 1


def test_confidential_report_alerts_nobody(zones, sms_channel, subscribe, provider, report_factory, admin_user,
                                           run_on_commit, settings):
    settings.FUZZ_RADIUS_M = 0
    subscribe("+50499990001", zones=[zones["kennedy"]])
    with run_on_commit():
        report = report_factory()
        report_services.update_report(report=report, actor=admin_user, visibility="confidential")
        report_services.verify(report=report, actor=admin_user)
        report_services.publish(report=report, actor=admin_user)
    assert provider.calls == [] and not Alert.objects.exists()


def test_batched_sender_keeps_to_the_channel_rate(zones, sms_channel, subscribe, provider, admin_user,
                                                  django_capture_on_commit_callbacks):
    import time

    sms_channel.rate_per_second = 20
    sms_channel.save()
    for n in range(50):
        subscribe(f"+504999{n:05d}", zones=[zones["centro"]])
    alert = services.create_broadcast(actor=admin_user, message_es="Aviso", zone_ids=[zones["centro"].pk])
    with django_capture_on_commit_callbacks(execute=False):
        services.send_alert(actor=admin_user, alert=alert)
    start = time.monotonic()
    assert outbox.send_bulk(channel_id=sms_channel.pk, max_seconds=10) == 50
    # 50 messages at 20/s: the first second's budget leaves at once, the rest needs ~1.5 s more.
    assert time.monotonic() - start >= 1.4
    assert OutboundMessage.objects.filter(status="sent").count() == 50 and len(provider.calls) == 50
