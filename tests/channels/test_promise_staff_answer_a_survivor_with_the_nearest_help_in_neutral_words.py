"""A report that came by SMS and that staff file under a survivor-pathway category (issue #21): the
reply form on its page is filled in with the nearest help services in neutral words, for staff to
check and send; nothing is sent by itself, and other reports get an empty form."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from testigo.channels.models import OutboundMessage
from testigo.reports import services
from testigo.reports.models import Category, HelpService, Report

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def sms_report(client, make_channel):
    channel = make_channel("smssync", secret="s")
    body = urlencode({"from": "+50499990001", "message": "Mi esposo me pega. Col. Kennedy", "message_id": "1",
                      "secret": "s"})
    client.post(f"/ch/smssync/{channel.uuid}/", body, content_type="application/x-www-form-urlencoded")
    return Report.objects.get()


@pytest.fixture
def directory(db):
    HelpService.objects.create(name="Casa Esperanza", kind="shelter", lat=14.08, lon=-87.20, phone="+504 2222-1111")
    HelpService.objects.create(name="Línea 114", kind="hotline", phone="114", nationwide=True)


def _reply_form(user, report) -> str:
    request = RequestFactory().get("/console/r/x/")
    request.user = user
    return Template('{% include "channels/conversation.html" with report=report %}').render(
        Context({"report": report, "request": request}))


def _textarea(html: str) -> str:
    return html.split("<textarea", 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]


def test_the_reply_is_ready_with_the_nearest_help_once_filed_under_the_pathway(sms_report, directory, admin_user):
    assert _textarea(_reply_form(admin_user, sms_report)).strip() == ""  # not on the pathway: empty
    pathway = Category.objects.create(slug="vd", name_es="Violencia doméstica", name_en="Domestic violence",
                                      sensitive=True)
    services.update_report(report=sms_report, actor=admin_user, categories=[pathway], lat=14.07, lon=-87.19)
    sms_report.refresh_from_db()
    html = _reply_form(admin_user, sms_report)
    text = _textarea(html)
    assert "Useful contacts:" in text and "Casa Esperanza: +504 2222-1111" in text
    assert "violen" not in text.lower() and "shelter" not in text.lower()
    assert 'id="survivor-reply-note"' in html
    assert not OutboundMessage.objects.filter(created_by=admin_user).exists()  # staff send it, or not
