"""A reporter who asks the form for a confirmation message is told the truth on the thanks page:
on its way, or that no channel of this site can send to that phone — never a promise nobody keeps;
nothing is sent unless asked, on any category. Administrators see, on the help-services and
category pages, that no channel can write first to a phone (issue #21, docs/help-services.md)."""

from __future__ import annotations

import pytest
from django.core import mail

from testigo.channels import services as channel_services
from testigo.channels.models import OutboundMessage
from testigo.core import roles
from testigo.reports.models import Category, Report

pytestmark = pytest.mark.usefixtures("english")

PHONE = "+504 9999-0000"


@pytest.fixture
def sms_channel(db):
    return channel_services.add_channel(actor=roles.SYSTEM, type_code="smssync", name="SMS",
                                        config={"secret": "s3cret"}, rate_per_second=1000)


def _thanks(client, form_data, **extra) -> str:
    response = client.post("/report/", {**form_data, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


def test_without_a_channel_to_phones_the_thanks_page_says_no_message_is_coming(client, form_data, db):
    html = _thanks(client, form_data, reporter_contact=PHONE, confirm_by_message="on")
    assert 'id="confirmation-not-sent"' in html and 'id="confirmation-sent"' not in html
    assert "We could not send you a confirmation message" in html
    assert Report.objects.get().reporter_contact  # the report itself is kept whole
    assert not OutboundMessage.objects.exists()


def test_with_an_sms_channel_the_thanks_page_says_it_is_on_its_way(client, form_data, sms_channel):
    html = _thanks(client, form_data, reporter_contact=PHONE, confirm_by_message="on")
    assert 'id="confirmation-sent"' in html and 'id="confirmation-not-sent"' not in html
    assert OutboundMessage.objects.get().contact.address == "+50499990000"


def test_nothing_is_sent_nor_promised_unless_asked(client, form_data, sms_channel):
    html = _thanks(client, form_data, reporter_contact=PHONE)  # an ordinary category, a phone, no tick
    assert "confirmation-sent" not in html and "confirmation-not-sent" not in html
    assert not OutboundMessage.objects.exists() and mail.outbox == []


def test_admins_are_warned_when_no_channel_can_write_first_to_a_phone(admin_client, category, db):
    assert 'id="no-sms-channel"' in admin_client.get("/console/help-services/").content.decode()
    # Categories: only once the organisation has a survivor pathway.
    assert 'id="no-sms-channel"' not in admin_client.get("/console/categories/").content.decode()
    Category.objects.create(slug="vd", name_es="Violencia doméstica", name_en="Domestic violence", sensitive=True)
    assert 'id="no-sms-channel"' in admin_client.get("/console/categories/").content.decode()


def test_no_warning_once_an_sms_channel_writes_first(admin_client, sms_channel):
    Category.objects.create(slug="vd", name_es="Violencia doméstica", name_en="Domestic violence", sensitive=True)
    for url in ("/console/help-services/", "/console/categories/"):
        assert 'id="no-sms-channel"' not in admin_client.get(url).content.decode(), url
