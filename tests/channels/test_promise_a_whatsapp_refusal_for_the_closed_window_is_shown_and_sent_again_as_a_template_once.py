"""Promise: when WhatsApp refuses a message because the person has not written for 24 hours (error
131047, in a later status report or in the answer to the send), the message shows as failed
with that reason, and its content is queued again as the approved template, once: a refusal of
that second attempt is final. Other Graph errors follow the retry policy (throttling waits and
retries; a failure for good is kept with its code).

Payloads: Meta's documented status and error answers (payloads/whatsapp/sending/SOURCES.md)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from testigo.channels import outbox
from testigo.channels.models import OutboundMessage
from tests.channels import whatsapp_graph
from tests.channels.whatsapp_graph import payload, person, post_status, register, wrote

graph, wa = whatsapp_graph.graph, whatsapp_graph.wa  # fixtures

pytestmark = pytest.mark.django_db
REFUSED_ID = json.loads(payload("status_failed_131047.json"))["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]


def sent_as(wa, contact, text: str, provider_id: str) -> OutboundMessage:
    """A text the outbox sent earlier, with the wamid Meta gave it."""
    row = outbox.queue(channel=wa, contact=contact, text=text)
    OutboundMessage.objects.filter(pk=row.pk).update(status="sent", provider_id=provider_id, attempts=1,
                                                     sent_at=timezone.now())
    return row


def test_promise_a_131047_status_fails_the_text_and_the_template_goes_instead(client, wa, graph,
                                                                            django_capture_on_commit_callbacks):
    contact = person()
    wrote(wa, contact, hours_ago=2)  # we believed the window open; Meta disagreed
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    row = sent_as(wa, contact, "¿Puede enviar una foto?", REFUSED_ID)

    with django_capture_on_commit_callbacks(execute=False):
        assert post_status(client, wa, payload("status_failed_131047.json")).status_code == 200

    row.refresh_from_db()
    assert (row.status, row.error_code) == ("failed", "wa_refused_resent")
    assert row.error == ("WhatsApp refused it: more than 24 hours had passed since the person last wrote "
                         "(error 131047). Sent again as an approved template.")
    again = OutboundMessage.objects.exclude(pk=row.pk).get()
    assert (again.status, again.text, again.template["resend_of"]) == ("queued", "¿Puede enviar una foto?", row.pk)

    outbox.send_due()
    again.refresh_from_db()
    assert again.status == "sent"
    assert graph.bodies[0]["type"] == "template"  # though the window looks open here
    assert graph.bodies[0]["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "¿Puede enviar una foto?"}]


def test_promise_the_template_is_tried_once_a_second_refusal_is_final(client, wa, graph):
    contact = person()
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    row = sent_as(wa, contact, "Hola", "wamid.first")
    OutboundMessage.objects.filter(pk=row.pk).update(template={"resend_of": 1, "purpose": "other"},
                                                     provider_id=REFUSED_ID)

    post_status(client, wa, payload("status_failed_131047.json"))

    row.refresh_from_db()
    assert (row.status, row.error_code) == ("failed", "wa_refused")
    assert OutboundMessage.objects.count() == 1


def test_promise_a_131047_answer_to_the_send_is_handled_the_same(wa, graph):
    contact = person()
    wrote(wa, contact, hours_ago=1)
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    graph.answer(400, "error_131047.json")
    row = outbox.queue(channel=wa, contact=contact, text="¿Hubo heridos?")

    outbox.send_due()

    row.refresh_from_db()
    assert (row.status, row.error_code, row.attempts) == ("failed", "wa_refused_resent", 1)
    again = OutboundMessage.objects.exclude(pk=row.pk).get()
    assert again.status == "sent" and again.template["resend_of"] == row.pk
    assert [b["type"] for b in graph.bodies] == ["text", "template"]


def test_promise_with_no_template_the_refusal_says_which_template_is_missing(client, wa, graph):
    contact = person()
    row = sent_as(wa, contact, "Hola", REFUSED_ID)

    post_status(client, wa, payload("status_failed_131047.json"))

    row.refresh_from_db()
    assert (row.status, row.error_code) == ("failed", "wa_refused_no_template")
    assert "no approved template for replies and other messages is registered on channel WhatsApp Honduras" in row.error
    assert OutboundMessage.objects.count() == 1


def test_promise_throttling_waits_and_retries(wa, graph):
    contact = person()
    wrote(wa, contact, hours_ago=1)
    graph.answer(400, "error_130429.json")
    row = outbox.queue(channel=wa, contact=contact, text="Hola")

    outbox.send_due()

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "130429" in row.error and row.next_attempt_at > timezone.now()


def test_promise_another_failure_report_is_kept_with_its_code_and_not_sent_again(client, wa, graph):
    contact = person()
    register(wa, name="seguimiento_reporte", body="Sobre su reporte: {{1}}")
    row = sent_as(wa, contact, "Hola", "external_id")

    post_status(client, wa, payload("status_failed_131014_courier.json"))

    row.refresh_from_db()
    assert row.status == "failed" and row.error.startswith("131014: Request for url")
    assert OutboundMessage.objects.count() == 1


def test_promise_a_bug_while_sending_again_never_loses_the_failure_nor_answers_500(client, wa, graph, monkeypatch):
    from testigo.channels import wa_templates

    def broken(message):
        OutboundMessage.objects.create(channel=wa, contact=message.contact, text="half-done",
                                       next_attempt_at=timezone.now())
        raise RuntimeError("bug")

    monkeypatch.setattr(wa_templates, "after_refusal", broken)
    row = sent_as(wa, person(), "Hola", REFUSED_ID)

    assert post_status(client, wa, payload("status_failed_131047.json")).status_code == 200

    row.refresh_from_db()
    assert row.status == "failed" and "131047" in row.error
    assert OutboundMessage.objects.count() == 1  # the half-done work was rolled back
