"""Promise: an administrator registers a WhatsApp channel's approved templates from the channel's
page, exactly as Meta approved them (name, language code, body with {{1}}…), and every change is
audited; what Meta would refuse is refused with a clear message. Staff read why a WhatsApp message
failed (no approved template outside the 24-hour window) in the console's language, Spanish or
English, next to the message."""

from __future__ import annotations

import pytest

from testigo.channels import outbox
from testigo.channels.models import MessageTemplate, OutboundMessage
from testigo.core import roles
from testigo.core.models import AuditEvent
from tests.channels import whatsapp_graph
from tests.channels.whatsapp_graph import person, register, wrote

pytestmark = pytest.mark.django_db
graph, wa = whatsapp_graph.graph, whatsapp_graph.wa  # fixtures
ALERT_BODY = "Alerta de Testigo para {{1}}: {{2}} Responda BAJA para no recibir más alertas."


def in_language(client, language: str):
    client.cookies["django_language"] = language
    return client


def test_promise_an_admin_registers_a_template_from_the_channel_page_and_it_is_audited(client, wa, admin_user):
    client.force_login(admin_user)
    in_language(client, "en")
    edit_page = client.get(f"/console/messages/channels/{wa.pk}/").content.decode()
    assert f'href="/console/messages/channels/{wa.pk}/templates/"' in edit_page

    response = client.post(f"/console/messages/channels/{wa.pk}/templates/", {
        "name": "alerta_vecinal", "language": "es_MX", "purpose": "alert", "body": ALERT_BODY})

    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    assert (template.name, template.language, template.purpose, template.is_active) == (
        "alerta_vecinal", "es_MX", "alert", True)
    event = AuditEvent.objects.get(action="channels.template_added")
    assert event.actor == admin_user and event.data["name"] == "alerta_vecinal"
    html = client.get(f"/console/messages/channels/{wa.pk}/templates/").content.decode()
    assert "alerta_vecinal" in html and "es_MX" in html and "Alerta de Testigo para {{1}}" in html
    assert "Alerts: one variable {{1}} (the alert), or two: {{1}} the subscriber" in html


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "Alerta Vecinal"}, "lowercase letters, digits and underscores"),
    ({"name": "a" * 513}, "lowercase letters, digits and underscores"),
    ({"language": "spanish"}, "e.g. es, es_MX or en_US"),
    ({"language": "es-MX"}, "e.g. es, es_MX or en_US"),
    ({"body": "Alerta para {{1}}: {{3}}"}, "numbered from {{1}} without gaps"),
    ({"body": "Hola {{nombre}}: {{1}}"}, "Only numbered variables"),
    ({"body": "Alerta {{1}} {{2}} {{3}}"}, "A template for alerts takes one variable"),
    ({"purpose": "other"}, "takes exactly one variable"),
    ({"body": "x" * 1025}, "at most 1024 characters"),
])
def test_promise_what_meta_would_refuse_is_refused_with_the_reason(client, wa, admin_user, fields, message):
    client.force_login(admin_user)
    in_language(client, "en")
    data = {"name": "alerta_vecinal", "language": "es", "purpose": "alert", "body": ALERT_BODY, **fields}

    response = client.post(f"/console/messages/channels/{wa.pk}/templates/", data)

    assert response.status_code == 400 and message in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_promise_the_same_name_and_language_is_registered_once(client, wa, admin_user):
    register(wa, name="alerta_vecinal", purpose="alert", body=ALERT_BODY)
    client.force_login(admin_user)
    in_language(client, "en")
    response = client.post(f"/console/messages/channels/{wa.pk}/templates/", {
        "name": "alerta_vecinal", "language": "es", "purpose": "alert", "body": "Alerta: {{1}}"})
    assert response.status_code == 400 and "already has a template" in response.content.decode()


def test_promise_a_deactivated_template_is_audited_and_the_page_warns_what_will_fail(client, wa, admin_user):
    template = register(wa, name="alerta_vecinal", purpose="alert", body=ALERT_BODY)
    client.force_login(admin_user)
    in_language(client, "en")

    response = client.post(f"/console/messages/channels/{wa.pk}/templates/{template.pk}/", {
        "name": "alerta_vecinal", "language": "es", "purpose": "alert", "body": ALERT_BODY})

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.is_active is False
    assert AuditEvent.objects.get(action="channels.template_changed").data["active"] is False
    html = client.get(f"/console/messages/channels/{wa.pk}/templates/").content.decode()
    assert "No active template for alerts" in html


def test_promise_only_admins_manage_templates_and_only_on_whatsapp_channels(client, wa, make_user, make_channel,
                                                                         admin_user):
    for role in (roles.COORDINATOR, roles.MODERATOR):
        client.force_login(make_user(role))
        assert client.get(f"/console/messages/channels/{wa.pk}/templates/").status_code == 403
        assert client.post(f"/console/messages/channels/{wa.pk}/templates/", {
            "name": "alerta_vecinal", "language": "es", "purpose": "alert", "body": ALERT_BODY}).status_code == 403
    assert not MessageTemplate.objects.exists()
    sms = make_channel("smssync", secret="s")
    client.force_login(admin_user)
    assert client.get(f"/console/messages/channels/{sms.pk}/templates/").status_code == 404
    assert "templates/" not in client.get(f"/console/messages/channels/{sms.pk}/").content.decode()


def test_promise_the_template_pages_speak_spanish(client, wa, admin_user):
    template = register(wa, name="alerta_vecinal", purpose="alert", body=ALERT_BODY)
    client.force_login(admin_user)
    in_language(client, "es")

    listing = client.get(f"/console/messages/channels/{wa.pk}/templates/").content.decode()
    edit = client.get(f"/console/messages/channels/{wa.pk}/templates/{template.pk}/").content.decode()
    refused = client.post(f"/console/messages/channels/{wa.pk}/templates/", {
        "name": "Alerta", "language": "es", "purpose": "alert", "body": ALERT_BODY}).content.decode()

    assert "Plantillas de WhatsApp" in listing and "Registrar una plantilla aprobada" in listing
    assert "No hay una plantilla activa para respuestas y otros mensajes" in listing
    assert "Texto aprobado" in edit
    assert "letras minúsculas, dígitos y guiones bajos" in refused
    for english in ("WhatsApp templates", "Register an approved template", "Approved body text", "Used for"):
        assert english not in listing


def test_promise_staff_read_why_a_reply_failed_in_spanish_and_english(client, wa, graph, moderator, report_factory):
    contact = person()
    message = wrote(wa, contact, hours_ago=48)
    report = report_factory()
    message.report = report
    message.save()
    row = outbox.queue(channel=wa, contact=contact, text="¿Sigue ahí?", report=report)
    outbox.send_due()
    assert OutboundMessage.objects.get(pk=row.pk).status == "failed"
    client.force_login(moderator)

    spanish = in_language(client, "es").get(f"/console/r/{report.reference}/").content.decode()
    english = in_language(client, "en").get(f"/console/r/{report.reference}/").content.decode()

    assert ("Fuera de la ventana de 24 horas de WhatsApp y no hay una plantilla aprobada para respuestas y otros "
            "mensajes registrada en el canal WhatsApp Honduras.") in spanish
    assert ("Outside WhatsApp&#x27;s 24-hour window and no approved template for replies and other messages is "
            "registered on channel WhatsApp Honduras.") in english
