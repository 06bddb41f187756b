"""A survivor who writes by SMS (or WhatsApp, Telegram…) and starts with APOYO / SUPPORT, or whose
report staff file under a survivor-pathway category, gets only neutral automatic replies (issue #21,
docs/help-services.md): no "report", no violence, no "denuncia"; the report is confidential from
the start; the reply lists the nearest help services (the general list without a location)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from testigo.channels.models import OutboundMessage
from testigo.reports import sensitive, services
from testigo.reports.models import Category, HelpService, Report
from tests.channels import survivor_kit

TELLING = survivor_kit.TELLING

pytestmark = pytest.mark.usefixtures("english")

PHONE = "+50499990001"


@pytest.fixture
def sms(client, make_channel):
    """send(text) from the survivor's phone -> the automatic reply ("" when none)."""
    return survivor_kit.phone(client, make_channel("smssync", secret="s"), PHONE)


@pytest.fixture
def pathway(db):
    return survivor_kit.pathway()


@pytest.fixture
def directory(db):
    HelpService.objects.create(name="Casa Esperanza", kind="shelter", lat=14.08, lon=-87.20, phone="+504 2222-1111")
    HelpService.objects.create(name="Centro Norte", kind="legal", lat=15.50, lon=-88.03, phone="+504 2550-0000")
    HelpService.objects.create(name="Línea 114", kind="hotline", phone="114", nationwide=True)


def test_the_keyword_files_the_report_on_the_pathway_and_answers_neutrally_with_the_nearest_help(
        sms, pathway, directory):
    reply = sms("SUPPORT: my husband hits me. We are at 14.0723, -87.1921")
    report = Report.objects.get()
    assert list(report.categories.all()) == [pathway] and report.visibility == Report.Visibility.CONFIDENTIAL
    assert report.reference in reply
    assert reply.index("Casa Esperanza: +504 2222-1111") < reply.index("Centro Norte")  # nearest first
    assert not TELLING.search(reply), reply


def test_without_a_location_the_general_list_is_sent(sms, pathway, directory):
    reply = sms("SUPPORT: I need to talk to someone")
    assert "Línea 114: 114" in reply and "Casa Esperanza" not in reply
    assert not TELLING.search(reply), reply


def test_the_spanish_keyword_works_and_never_says_denuncia(sms, pathway, directory):
    reply = sms("APOYO: necesito ayuda, estoy en 14.0723, -87.1921")
    assert sensitive.is_sensitive(Report.objects.get())
    assert "Casa Esperanza" in reply and not TELLING.search(reply), reply


def test_the_keyword_alone_sends_the_list_and_makes_no_report(sms, directory):
    reply = sms("support")
    assert not Report.objects.exists()
    assert "Línea 114: 114" in reply and "STOP" in reply and not TELLING.search(reply), reply


def test_without_a_pathway_category_the_report_is_still_confidential(sms, directory):
    reply = sms("SUPPORT: please call me back")
    assert Report.objects.get().visibility == Report.Visibility.CONFIDENTIAL
    assert not TELLING.search(reply), reply


def test_asking_in_the_middle_of_a_conversation_files_its_report(sms, pathway, directory):
    first = sms("REPORT: someone follows me home at 14.0723, -87.1921")
    assert "report" in first.lower()  # an ordinary report gets the ordinary reply
    reply = sms("SUPPORT")
    report = Report.objects.get()
    assert sensitive.is_sensitive(report) and report.visibility == Report.Visibility.CONFIDENTIAL
    assert "Casa Esperanza" in reply and not TELLING.search(reply), reply


def test_once_staff_file_a_report_on_the_pathway_every_automatic_reply_is_neutral(
        sms, pathway, directory, admin_user):
    sms("My neighbour hits his wife every night")
    assert "REPORT" in sms("HELP")  # before: the ordinary help text
    services.update_report(report=Report.objects.get(), actor=admin_user, categories=[pathway])
    for text in ("HELP", "STOP"):
        reply = sms(text)
        assert reply and not TELLING.search(reply), (text, reply)


def test_an_ordinary_message_starting_with_the_word_stays_an_ordinary_report(sms, pathway, directory):
    reply = sms("Support for the flooded families is missing in Colonia Kennedy")
    report = Report.objects.get()
    assert not sensitive.is_sensitive(report) and "report" in reply.lower()


def test_a_survivors_line_files_every_report_on_the_pathway_and_answers_neutrally(
        client, make_channel, admin_user, pathway, directory):
    line = make_channel("smssync", name="Linea", secret="l")
    client.force_login(admin_user)
    page = client.get(f"/console/messages/channels/{line.pk}/").content.decode()
    assert f'<option value="{pathway.pk}"' in page
    response = client.post(f"/console/messages/channels/{line.pk}/", {
        "name": "Linea", "rate_per_second": "1000", "is_active": "on", "category": str(pathway.pk)})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.category == pathway
    client.logout()
    body = urlencode({"from": PHONE, "message": "I need to talk to someone, 14.0723, -87.1921", "message_id": "1",
                      "secret": "l"})
    client.post(f"/ch/smssync/{line.uuid}/", body, content_type="application/x-www-form-urlencoded")
    report = Report.objects.get()
    assert list(report.categories.all()) == [pathway] and report.visibility == Report.Visibility.CONFIDENTIAL
    (reply,) = OutboundMessage.objects.values_list("text", flat=True)
    assert report.reference in reply and "Casa Esperanza" in reply and not TELLING.search(reply), reply


def test_an_ordinary_channel_category_files_reports_and_keeps_the_ordinary_reply(sms, client, db):
    from testigo.channels.models import Channel

    water = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    Channel.objects.update(category=water)
    reply = sms("No water since Monday in Colonia Kennedy")
    assert list(Report.objects.get().categories.all()) == [water] and "report" in reply.lower()
