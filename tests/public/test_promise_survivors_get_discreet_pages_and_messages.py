"""Discreet mode (issue #21): a survivor-pathway category, or the "Keep it discreet" box, gives
neutral page titles and a neutral confirmation; no message is ever sent unless the reporter asks
for one; a survivor-pathway report's confirmation lists the nearest help services, neutrally."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from testigo.channels.models import OutboundMessage
from testigo.core import roles
from testigo.reports.models import Category, HelpService, Report

pytestmark = pytest.mark.usefixtures("english")

# Words that would tell whoever reads the survivor's phone what the message is about.
TELLING = re.compile(r"violen|abus|report|domestic|shelter|refugio|hotline|legal|health", re.IGNORECASE)


@pytest.fixture
def pathway(db):
    return Category.objects.create(slug="violencia-domestica", name_es="Violencia doméstica",
                                   name_en="Domestic violence", sensitive=True)


@pytest.fixture
def sms_channel(db):
    from testigo.channels import services

    return services.add_channel(actor=roles.SYSTEM, type_code="smssync", name="SMS", config={"secret": "s3cret"},
                                rate_per_second=1000)


@pytest.fixture
def directory(db):
    near = HelpService.objects.create(name="Casa Esperanza", kind="shelter", lat=14.08, lon=-87.20,
                                      phone="+504 2222-1111", address="Col. Kennedy")
    far = HelpService.objects.create(name="Centro Norte", kind="legal", lat=15.50, lon=-88.03, phone="+504 2550-0000")
    hotline = HelpService.objects.create(name="Línea 114", kind="hotline", phone="114", nationwide=True)
    HelpService.objects.create(name="Cerrado", kind="health", lat=14.07, lon=-87.19, phone="1", is_active=False)
    return {"near": near, "far": far, "hotline": hotline}


def _send(client, form_data, **extra):
    response = client.post("/report/", {**form_data, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


def test_the_form_for_a_pathway_category_has_a_neutral_title(client, pathway):
    html = client.get(f"/report/?category={pathway.pk}").content.decode()
    assert "<title>Contact form" in html and "<h1>Contact form</h1>" in html
    assert "Send a report" not in html.split("<main")[0]  # nor in the tab's title


def test_no_message_is_sent_unless_asked(client, form_data, pathway, sms_channel, directory):
    html = _send(client, form_data, category=str(pathway.pk), reporter_contact="+504 9999-0000")
    assert "<title>Message received" in html
    assert "<h1>Thank you, your message was received</h1>" in html
    assert OutboundMessage.objects.count() == 0 and mail.outbox == []


def test_an_asked_for_sms_is_neutral_and_lists_the_nearest_services(client, form_data, pathway, sms_channel,
                                                                   directory):
    _send(client, form_data, category=str(pathway.pk), reporter_contact="+504 9999-0000", lat="14.0723",
          lon="-87.1921", confirm_by_message="on")
    report = Report.objects.get()
    (sms,) = OutboundMessage.objects.all()
    assert sms.contact.address == "+50499990000" and sms.report == report
    assert report.reference in sms.text
    assert sms.text.index("Casa Esperanza") < sms.text.index("Centro Norte")  # nearest first
    assert "Cerrado" not in sms.text  # inactive services are never offered
    assert not TELLING.search(sms.text), sms.text


def test_without_a_location_the_nationwide_hotline_is_offered(client, form_data, pathway, sms_channel, directory):
    _send(client, form_data, category=str(pathway.pk), reporter_contact="+504 9999-0000", confirm_by_message="on")
    (sms,) = OutboundMessage.objects.all()
    assert "Línea 114: 114" in sms.text and "Casa Esperanza" not in sms.text


def test_the_discreet_box_gives_neutral_pages_and_e_mail(client, form_data, directory,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        html = _send(client, form_data, reporter_contact="ana@example.org", discreet="on", confirm_by_message="on")
    assert "<title>Message received" in html
    (message,) = mail.outbox
    assert message.subject == "Message received" and Report.objects.get().reference in message.body
    assert not TELLING.search(message.subject + message.body)
    assert "Casa Esperanza" not in message.body  # not a survivor-pathway report: no directory


def test_asking_for_a_message_without_a_contact_is_a_clear_error(client, form_data):
    response = client.post("/report/", {**form_data, "confirm_by_message": "on"})
    assert response.status_code == 200
    assert "Write a phone or an e-mail to receive the confirmation." in response.content.decode()
    assert not Report.objects.exists()
