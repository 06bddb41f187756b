"""Promise: a subscriber who signed up on WhatsApp and has not written for more than 24 hours gets
alerts as the channel's approved alert template (Meta refuses free text then, reference §2.5):
{{1}} is the alert text, or, in a two-variable template, {{1}} the subscriber's zone and {{2}}
the alert. With no alert template registered the message fails with a reason the alert page
shows; a refusal by WhatsApp sends the alert again as the template and the alert's figures follow
the new message."""

from __future__ import annotations

import pytest

from testigo.alerts import services
from testigo.channels import outbox
from testigo.channels.models import OutboundMessage
from tests.channels import conftest as channel_fixtures
from tests.channels import whatsapp_graph
from tests.channels.whatsapp_graph import payload, post_status, register, wrote

pytestmark = pytest.mark.django_db
provider_server, make_channel = channel_fixtures.provider_server, channel_fixtures.make_channel  # fixtures
graph, wa = whatsapp_graph.graph, whatsapp_graph.wa


@pytest.fixture
def subscriber(wa, zones, subscribe):
    sub = subscribe("+50499990001", zones=[zones["centro"]], channel=wa)
    wrote(wa, sub.contact, hours_ago=72)
    return sub


def broadcast(admin_user, zones, capture, text="Corte de agua mañana de 8 a 12.\nGuarde agua."):
    alert = services.create_broadcast(actor=admin_user, message_es=text, zone_ids=[zones["centro"].pk])
    with capture(execute=False):
        assert services.send_alert(actor=admin_user, alert=alert) == 1
    outbox.send_due()
    return alert


def test_promise_the_alert_goes_as_the_two_variable_template_with_zone_and_text(
        wa, graph, zones, subscriber, admin_user, django_capture_on_commit_callbacks):
    register(wa, name="alerta_vecinal", purpose="alert", language="es",
             body="Alerta de Testigo para {{1}}: {{2}} Responda BAJA para no recibir más alertas.")
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")  # replies: not for alerts

    broadcast(admin_user, zones, django_capture_on_commit_callbacks)

    assert graph.bodies == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "50499990001", "type": "template",
        "template": {"name": "alerta_vecinal", "language": {"code": "es"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Centro Histórico"},
                                            {"type": "text", "text": "Corte de agua mañana de 8 a 12. Guarde agua."}]}]}}]
    assert OutboundMessage.objects.get().status == "sent"


def test_promise_a_one_variable_alert_template_carries_the_alert_text(
        wa, graph, zones, subscriber, admin_user, django_capture_on_commit_callbacks):
    register(wa, name="alerta_breve", purpose="alert", body="Alerta: {{1}}")

    broadcast(admin_user, zones, django_capture_on_commit_callbacks, text="Evite el puente.")

    assert graph.bodies[0]["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Evite el puente."}]


def test_promise_without_an_alert_template_the_alert_page_says_why_it_failed(
        client, wa, graph, zones, subscriber, admin_user, django_capture_on_commit_callbacks):
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")

    alert = broadcast(admin_user, zones, django_capture_on_commit_callbacks)

    row = OutboundMessage.objects.get()
    assert row.status == "failed" and graph.bodies == []
    assert row.error == ("Outside WhatsApp's 24-hour window and no approved template for alerts is registered "
                         "on channel WhatsApp Honduras.")
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    html = client.get(f"/console/alerts/{alert.pk}/").content.decode()
    assert "no approved template for alerts is registered on channel WhatsApp Honduras" in html


def test_promise_a_refused_alert_goes_again_as_the_template_and_the_figures_follow_it(
        client, wa, graph, zones, subscriber, admin_user, django_capture_on_commit_callbacks):
    from testigo.alerts import selectors

    wrote(wa, subscriber.contact, hours_ago=1)  # the window looks open: text goes first
    register(wa, name="alerta_breve", purpose="alert", body="Alerta: {{1}}")
    alert = broadcast(admin_user, zones, django_capture_on_commit_callbacks, text="Evite el puente.")
    refused_id = OutboundMessage.objects.get().provider_id
    status = payload("status_failed_131047.json").replace(
        b"wamid.HBgMOTE5OTk5OTk5OTk5FQIAERgSQUFBQUFBQUFBQUFBQUFBQUFBAA==", refused_id.encode())

    with django_capture_on_commit_callbacks(execute=False):
        post_status(client, wa, status)
    assert selectors.alert_stats(alert)["pending"] == 1
    outbox.send_due()

    assert [b["type"] for b in graph.bodies] == ["text", "template"]
    assert selectors.alert_stats(alert) == {"recipients": 1, "sent": 1, "delivered": 0, "failed": 0, "pending": 0}
