"""Signed outgoing webhooks (issue #24), against a real HTTP receiver: the signature over
"timestamp.body" checks out (and fails for a changed body or an old timestamp); a 500, a timeout
and a redirect are failures retried with exponential backoff (the redirect never followed); the
console's log shows each attempt and REPLAY sends a delivery again; repeated failures disable a
webhook with a console warning and keep its events; only the public projection leaves unless the
webhook is staff-level; URLs that are not http(s) are refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.webhooks import events, services, signing
from testigo.webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


def _add(admin_client, receiver, event_names, staff_level=False) -> tuple[Webhook, str]:
    response = admin_client.post("/console/webhooks/", {"name": "Partner", "url": receiver.url,
                                                        "events": event_names, "staff_level": staff_level})
    assert response.status_code == 200
    page = response.content.decode()
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', page).group(1)
    return Webhook.objects.get(), secret


def _publish(report, admin_user, django_capture_on_commit_callbacks):
    from testigo.reports import services as report_services

    with django_capture_on_commit_callbacks(execute=True):
        report_services.verify(report=report, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        report_services.publish(report=report, actor=admin_user)


def _signed_ok(got: dict, secret: str) -> bool:
    """The receiver's check, written as docs/webhooks.md tells receivers to (not with our code)."""
    parts = dict(p.split("=", 1) for p in got["headers"]["Testigo-Signature"].split(","))
    if parts["t"] != got["headers"]["Testigo-Timestamp"] or abs(time.time() - int(parts["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + got["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and signing.verify(
        secret=secret, header=got["headers"]["Testigo-Signature"], body=got["body"], now=time.time())


def test_a_published_report_arrives_signed_with_only_the_public_projection(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks):
    webhook, secret = _add(admin_client, receiver, [events.REPORT_PUBLISHED, events.REPORT_VERIFIED])
    assert secret.startswith("whsec_")
    report = report_factory(title="Robo en la parada", lat=14.0723, lon=-87.1921)
    _publish(report, admin_user, django_capture_on_commit_callbacks)

    # verified-but-unpublished has no public form: a public-level webhook hears only the publication
    assert [g["headers"]["Testigo-Event"] for g in receiver.got] == ["report.published"]
    got = receiver.got[0]
    assert _signed_ok(got, secret)
    timestamp = int(got["headers"]["Testigo-Timestamp"])
    assert got["headers"]["Testigo-Signature"].startswith(f"t={timestamp},v1=")
    assert not signing.verify(secret=secret, header=got["headers"]["Testigo-Signature"],
                              body=got["body"].replace(b"Robo", b"Rob0"), now=time.time())
    assert not signing.verify(secret=secret, header=got["headers"]["Testigo-Signature"], body=got["body"],
                              now=time.time() + 3600)  # replayed an hour later: refused
    assert not signing.verify(secret="whsec_wrong", header=got["headers"]["Testigo-Signature"], body=got["body"],
                              now=time.time())
    payload = json.loads(got["body"])
    assert payload["event"] == "report.published"
    data = payload["data"]
    assert data["reference"] == report.reference and data["title"] == "Robo en la parada"
    report.refresh_from_db()
    assert (data["lat"], data["lon"]) == (report.public_lat, report.public_lon)
    text = got["body"].decode()
    assert "status" not in data and "+504" not in text and "María" not in text
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.status_code, delivery.attempts) == ("delivered", 200, 1)
    # the secret is shown once: never again on the list or the webhook's page
    assert secret not in admin_client.get("/console/webhooks/").content.decode()
    page = admin_client.get(f"/console/webhooks/{webhook.pk}/").content.decode()
    assert secret not in page and "delivery-log" in page


def test_staff_level_webhooks_get_the_staff_view_but_never_contacts(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks):
    _add(admin_client, receiver, [events.REPORT_VERIFIED], staff_level=True)
    report = report_factory(title="Sin publicar")
    from testigo.reports import services as report_services

    with django_capture_on_commit_callbacks(execute=True):
        report_services.verify(report=report, actor=admin_user)
    assert len(receiver.got) == 1
    data = json.loads(receiver.got[0]["body"])["data"]
    assert data["status"] == "verified" and data["title"] == "Sin publicar"
    assert "reporter_contact" not in data and b"+504" not in receiver.got[0]["body"]


def test_an_edit_of_staff_fields_only_reaches_staff_level_webhooks(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks):
    _add(admin_client, receiver, [events.REPORT_UPDATED])
    services.create_webhook(actor=admin_user, name="Staff", url=receiver.url + "?staff",
                            event_names=[events.REPORT_UPDATED], staff_level=True)
    report = report_factory(title="Publicado")
    _publish(report, admin_user, django_capture_on_commit_callbacks)
    from testigo.reports import services as report_services

    with django_capture_on_commit_callbacks(execute=True):
        report_services.update_report(report=report, actor=admin_user, precision_m=500)
    assert [g["path"] for g in receiver.got] == ["/hook?staff"]  # nothing the public reads changed
    with django_capture_on_commit_callbacks(execute=True):
        report_services.update_report(report=report, actor=admin_user, title="Publicado y corregido")
    public = [json.loads(g["body"])["data"] for g in receiver.got if g["path"] == "/hook"]
    assert [d["title"] for d in public] == ["Publicado y corregido"]
    assert len(receiver.got) == 3


def test_500_timeout_and_redirect_are_retried_with_backoff_and_the_redirect_is_not_followed(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks):
    webhook, secret = _add(admin_client, receiver, [events.REPORT_PUBLISHED])
    receiver.answers = [500, ("sleep", 1.5), "redirect", 200]
    report = report_factory()
    _publish(report, admin_user, django_capture_on_commit_callbacks)  # first attempt at once: 500
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.status_code, delivery.error) == ("pending", 1, 500, "http")
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
    assert services.send_due() == 0  # not due yet

    now = delivery.next_attempt_at + timedelta(seconds=1)
    assert services.send_due(now=now) == 1  # timeout
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status_code, delivery.error) == (2, None, "timeout")
    assert delivery.next_attempt_at - now == timedelta(seconds=60)  # doubled

    now = delivery.next_attempt_at + timedelta(seconds=1)
    services.send_due(now=now)  # redirect
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status_code, delivery.error) == (3, 302, "redirect")
    assert delivery.next_attempt_at - now == timedelta(seconds=120)
    assert receiver.redirect_hits == 0  # never followed

    services.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.status_code, delivery.error) == ("delivered", 4, 200, "")
    bodies = {g["body"] for g in receiver.got}
    assert len(receiver.got) == 4 and len(bodies) == 1  # the same delivery each time
    assert all(_signed_ok(g, secret) for g in receiver.got if g["answer"] == 200)
    assert {g["headers"]["Testigo-Delivery"] for g in receiver.got} == {str(delivery.pk)}
    page = admin_client.get(f"/console/webhooks/{webhook.pk}/").content.decode()
    assert "delivered" in page and ">200<" in page


def test_a_delivery_that_used_its_attempts_is_failed_kept_and_replayed_from_the_console(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_ATTEMPTS = 2
    webhook, secret = _add(admin_client, receiver, [events.REPORT_PUBLISHED])
    receiver.answers = [500, 503]
    _publish(report_factory(), admin_user, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    services.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.status_code) == ("failed", 2, 503)
    assert services.send_due(now=timezone.now() + timedelta(days=1)) == 0  # no more retries

    page = admin_client.get(f"/console/webhooks/{webhook.pk}/").content.decode()
    assert f"/console/webhooks/{webhook.pk}/deliveries/{delivery.pk}/replay/" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/console/webhooks/{webhook.pk}/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    replayed = Delivery.objects.exclude(pk=delivery.pk).get()
    assert (replayed.status, replayed.status_code, replayed.replay_of_id) == ("delivered", 200, delivery.pk)
    assert receiver.got[-1]["body"] == receiver.got[0]["body"]
    assert receiver.got[-1]["headers"]["Testigo-Delivery"] == str(replayed.pk)
    assert _signed_ok(receiver.got[-1], secret)
    assert "Replay" in admin_client.get(f"/console/webhooks/{webhook.pk}/").content.decode()


def test_repeated_failures_disable_the_webhook_with_a_warning_and_keep_its_events(
        admin_client, receiver, report_factory, admin_user, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_DISABLE_AFTER = 3
    webhook, _secret = _add(admin_client, receiver, [events.REPORT_PUBLISHED])
    receiver.default = 500
    for _ in range(3):
        _publish(report_factory(), admin_user, django_capture_on_commit_callbacks)
    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.disabled_automatically_at is not None
    assert webhook.consecutive_failures == 3
    inbox = admin_client.get("/console/").content.decode()
    assert 'id="webhook-warning"' in inbox and "Partner" in inbox

    _publish(report_factory(), admin_user, django_capture_on_commit_callbacks)  # queued, not sent
    assert len(receiver.got) == 3
    assert Delivery.objects.filter(status="pending").count() == 4
    assert services.send_due(now=timezone.now() + timedelta(days=1)) == 0

    receiver.default = 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/console/webhooks/{webhook.pk}/enable/")
    services.send_due(now=timezone.now() + timedelta(hours=1))
    assert Delivery.objects.filter(status="delivered").count() == 4
    assert 'id="webhook-warning"' not in admin_client.get("/console/").content.decode()


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "file:///etc/passwd", "javascript:alert(1)",
                                 "gopher://example.org/", "example.org/hook", ""])
def test_urls_that_are_not_http_are_refused_in_words(admin_client, receiver, url):
    response = admin_client.post("/console/webhooks/", {"name": "Bad", "url": url, "events": ["report.published"]})
    assert response.status_code == 200
    assert not Webhook.objects.exists()
    if url:
        assert "must be an http:// or https:// address" in response.content.decode()


def test_other_staff_cannot_manage_webhooks(make_user, client):
    from testigo.core import roles

    client.force_login(make_user(roles.COORDINATOR))
    assert client.get("/console/webhooks/").status_code == 403


def test_other_apps_add_events_to_the_registry(admin_client, receiver):
    events.register("story.published", "Story published")
    assert "story.published" in admin_client.get("/console/webhooks/").content.decode()
    webhook, _secret = _add(admin_client, receiver, ["story.published"])
    assert services.emit("story.published", public={"title": "Una historia"}) == 1


def test_a_sent_alert_reaches_the_webhook_with_what_subscribers_were_told(
        admin_client, receiver, admin_user, django_capture_on_commit_callbacks):
    from testigo.alerts import services as alert_services

    _webhook, secret = _add(admin_client, receiver, [events.ALERT_SENT])
    with django_capture_on_commit_callbacks(execute=True):
        alert = alert_services.create_broadcast(actor=admin_user, message_es="Evite el centro hoy",
                                                message_en="Avoid the centre today", everyone=True)
    assert receiver.got == []  # a draft is not sent
    with django_capture_on_commit_callbacks(execute=True):
        alert_services.send_alert(actor=admin_user, alert=alert)
    assert [g["headers"]["Testigo-Event"] for g in receiver.got] == ["alert.sent"]
    assert _signed_ok(receiver.got[0], secret)
    data = json.loads(receiver.got[0]["body"])["data"]
    assert (data["id"], data["kind"], data["message_es"]) == (alert.pk, "broadcast", "Evite el centro hoy")
