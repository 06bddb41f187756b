"""Promise: WhatsApp replies and messages reach a person who last wrote more than 24 hours ago as
the approved template registered for them (Meta refuses anything else, reference §2.5), filled as
Meta requires; with no such template the message fails at once with a reason staff can read,
and is never sent as text, dropped silently or retried for ever.

Sending runs against a real local HTTP server playing the Graph API (tests/channels/whatsapp_graph.py)."""

from __future__ import annotations

import json

import pytest

from testigo.channels import outbox
from testigo.channels.models import OutboundMessage
from tests.channels import whatsapp_graph
from tests.channels.whatsapp_graph import payload, person, register, wrote

graph, wa = whatsapp_graph.graph, whatsapp_graph.wa  # fixtures

pytestmark = pytest.mark.django_db


def sent(row: OutboundMessage) -> OutboundMessage:
    outbox.send_due()
    row.refresh_from_db()
    return row


def test_promise_a_reply_after_24_hours_is_the_replies_template_with_the_text_as_its_parameter(wa, graph):
    contact = person()
    wrote(wa, contact, hours_ago=25)
    register(wa, name="seguimiento_reporte", language="es_MX",
             body="Hola, le escribimos sobre su reporte: {{1}} Responda para seguir la conversación.")

    row = sent(outbox.queue(channel=wa, contact=contact, text="Gracias. Una brigada va en camino."))

    assert graph.bodies == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "50499990001", "type": "template",
        "template": {"name": "seguimiento_reporte", "language": {"code": "es_MX"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Gracias. Una brigada va en camino."}]}]}}]
    answer = json.loads(payload("send_ok.json"))
    assert (row.status, row.provider_id, row.error) == ("sent", answer["messages"][0]["id"], "")


def test_promise_the_template_body_has_the_shape_of_metas_documented_send(wa, graph):
    """Same keys, nesting and types as the template send in courier's tests (header and buttons aside)."""
    contact = person()
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    sent(outbox.queue(channel=wa, contact=contact, text="Hola"))

    ours, documented = graph.bodies[0], json.loads(payload("template_send_courier.json"))
    assert set(ours) == set(documented)
    assert set(ours["template"]) == set(documented["template"])
    assert set(ours["template"]["language"]) <= set(documented["template"]["language"])
    body = next(c for c in documented["template"]["components"] if c["type"] == "body")
    assert ours["template"]["components"][0].keys() == body.keys()
    assert ours["template"]["components"][0]["parameters"][0].keys() == body["parameters"][0].keys()


def test_promise_inside_the_window_the_reply_is_plain_text_even_with_templates_registered(wa, graph):
    contact = person()
    wrote(wa, contact, hours_ago=23)
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")

    row = sent(outbox.queue(channel=wa, contact=contact, text="¿Dónde exactamente?"))

    assert graph.bodies == [{"messaging_product": "whatsapp", "to": "50499990001", "type": "text",
                             "text": {"body": "¿Dónde exactamente?"}}]
    assert row.status == "sent"


def test_promise_parameters_are_cleaned_as_meta_requires(wa, graph):
    """No newline, tab or run of 4+ spaces, at most 1024 characters, never empty (else Meta refuses)."""
    contact = person()
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    long_text = "Primera línea.\n\nSegunda\tlínea     con espacios. " + "x" * 2000

    sent(outbox.queue(channel=wa, contact=contact, text=long_text))

    parameter = graph.bodies[0]["template"]["components"][0]["parameters"][0]["text"]
    assert parameter.startswith("Primera línea. Segunda línea con espacios. xxx")
    assert "\n" not in parameter and "\t" not in parameter and "    " not in parameter
    assert len(parameter) == 1024 and parameter.endswith("…")


def test_promise_the_template_in_the_persons_language_is_chosen(wa, graph):
    spanish, english = person("+50499990001"), person("+50499990002", language="en")
    register(wa, name="seguimiento_reporte", language="es", body="Sobre su reporte: {{1}}")
    register(wa, name="report_follow_up", language="en_US", body="About your report: {{1}}")

    sent(outbox.queue(channel=wa, contact=english, text="Thank you"))
    sent(outbox.queue(channel=wa, contact=spanish, text="Gracias"))

    assert [(b["to"], b["template"]["name"], b["template"]["language"]["code"]) for b in graph.bodies] == [
        ("50499990002", "report_follow_up", "en_US"), ("50499990001", "seguimiento_reporte", "es")]


def test_promise_without_a_template_the_message_fails_at_once_with_the_reason_and_is_not_retried(wa, graph):
    contact = person()
    wrote(wa, contact, hours_ago=30)
    register(wa, name="seguimiento_viejo", body="Sobre su reporte: {{1}}", active=False)  # inactive: not used
    register(wa, name="alerta_vecinal", purpose="alert", body="Alerta: {{1}}")  # for alerts only

    row = sent(outbox.queue(channel=wa, contact=contact, text="¿Sigue ahí?"))

    assert row.status == "failed" and row.attempts == 1
    assert row.error == ("Outside WhatsApp's 24-hour window and no approved template for replies and other "
                         "messages is registered on channel WhatsApp Honduras.")
    assert row.error_code == "wa_no_template"
    OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert sent(row).status == "failed" and row.attempts == 1
    assert graph.bodies == []
