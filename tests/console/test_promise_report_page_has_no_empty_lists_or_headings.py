"""The report page never shows an empty numbered list (a "1." before "No notes yet") or a heading
with nothing under it (a "Messages" heading on a report that came through no messaging channel)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from testigo.channels import services as channel_services
from testigo.channels.models import Contact, InboundMessage
from testigo.core import roles
from testigo.reports import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def spanish_admin(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMIN, username="admin"))
    return client


def _page(client, report) -> str:
    return client.get(f"/console/r/{report.reference}/").content.decode()


def test_promise_no_notes_is_a_sentence_not_a_numbered_item(spanish_admin, report_factory, admin_user):
    report = report_factory()
    html = _page(spanish_admin, report)
    assert "Todavía no hay notas." in html
    assert not re.search(r'<ol class="notes">\s*<li class="empty"', html)
    assert '<ol class="notes">' not in html
    services.add_note(report=report, actor=admin_user, text="Confirmado.")
    html = _page(spanish_admin, report)
    assert re.search(r'<ol class="notes"><li><p>Confirmado.</p>', html) and "Todavía no hay notas." not in html


def test_promise_a_web_report_has_no_empty_messages_heading(spanish_admin, report_factory):
    html = _page(spanish_admin, report_factory(source="web"))
    assert ">Mensajes</h2>" not in html


def test_a_report_with_messages_keeps_its_messages_heading(spanish_admin, report_factory, admin_user):
    report = report_factory(source="sms")
    channel = channel_services.add_channel(actor=roles.SYSTEM, type_code="smssync", name="Teléfono", config={},
                                           rate_per_second=1.0)
    contact = Contact.objects.create(scheme="tel", address="+50499990000")
    InboundMessage.objects.create(channel=channel, provider_id="m1", contact=contact, text="robo en el centro",
                                  received_at=timezone.now(), report=report)
    html = _page(spanish_admin, report)
    assert ">Mensajes</h2>" in html and "robo en el centro" in html
