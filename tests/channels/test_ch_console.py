"""Staff side: the conversation partial, replying from the report page, channel admin, the CLI."""

from __future__ import annotations

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory

from testigo.channels.models import Channel, Contact, OutboundMessage
from testigo.channels.types import base
from testigo.core import roles
from testigo.reports.models import Report

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def conversation(client, make_channel):
    channel = make_channel("smssync", secret="s")
    body = urlencode({"from": "+50499990001", "message": "Asalto en la parada", "message_id": "1", "secret": "s"})
    client.post(f"/ch/smssync/{channel.uuid}/", body, content_type=FORM)
    return Report.objects.get()


def render_partial(user, report) -> str:
    request = RequestFactory().get("/console/reports/x/")
    request.user = user
    template = Template('{% include "channels/conversation.html" with report=report %}')
    return template.render(Context({"report": report, "request": request}))


def test_partial_shows_messages_status_and_contact_only_to_roles_that_may_see_it(conversation, moderator, make_user):
    html = render_partial(moderator, conversation)
    assert "Asalto en la parada" in html and "tel:+50499990001" in html
    assert 'name="text"' in html and "data-sms-counter" in html
    analyst = make_user(roles.ANALYST)
    html = render_partial(analyst, conversation)
    assert "Asalto en la parada" in html
    assert "50499990001" not in html
    assert 'name="text"' not in html  # analysts cannot reply


def test_staff_reply_is_queued_audited_and_redirects_back(client, conversation, moderator):
    client.force_login(moderator)
    response = client.post(f"/console/messages/reply/{conversation.reference}/",
                           {"text": "¿Hubo heridos?", "next": "/console/reports/x/"})
    assert response.status_code == 302 and response["Location"] == "/console/reports/x/"
    reply = OutboundMessage.objects.get(created_by=moderator)
    assert (reply.text, reply.encoding, reply.segments, reply.report) == ("¿Hubo heridos?", "GSM-7", 1, conversation)
    from testigo.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="channels.reply").exists()


def test_empty_reply_keeps_the_form_with_a_message(client, conversation, moderator):
    client.force_login(moderator)
    response = client.post(f"/console/messages/reply/{conversation.reference}/", {"text": "   "})
    assert response.status_code == 400
    assert b"Write a message before sending." in response.content


def test_too_long_reply_shows_segments_and_keeps_the_text(client, conversation, moderator):
    client.force_login(moderator)
    text = "ó" * 1700
    response = client.post(f"/console/messages/reply/{conversation.reference}/", {"text": text})
    assert response.status_code == 400
    assert text.encode() in response.content and b"UCS-2" in response.content


def test_reply_needs_edit_permission(client, conversation, make_user):
    client.force_login(make_user(roles.ANALYST))
    response = client.post(f"/console/messages/reply/{conversation.reference}/", {"text": "hola"})
    assert response.status_code == 403
    assert not OutboundMessage.objects.filter(created_by__isnull=False).exists()


def test_reply_to_opted_out_contact_is_refused(client, conversation, moderator):
    Contact.objects.update(opted_out_at="2024-01-01T00:00:00Z")
    client.force_login(moderator)
    response = client.post(f"/console/messages/reply/{conversation.reference}/", {"text": "hola"})
    assert response.status_code == 400 and b"opt-out" in response.content


def test_admin_adds_a_channel_and_sees_its_webhook_url_but_not_its_secrets(client, admin_user, moderator):
    client.force_login(moderator)
    assert client.get("/console/messages/channels/").status_code == 403
    client.force_login(admin_user)
    assert b"Bot token" in client.get("/console/messages/channels/?type=telegram").content
    response = client.post("/console/messages/channels/", {
        "type": "telegram", "name": "Bot Honduras", "rate_per_second": "5", "config_bot_token": "123:SECRET"})
    assert response.status_code == 200  # the page that shows the generated secret token once
    channel = Channel.objects.get()
    assert channel.config["bot_token"] == "123:SECRET" and len(channel.config["secret_token"]) >= 20
    page = client.get("/console/messages/channels/").content.decode()
    assert str(channel.uuid) in page and "123:SECRET" not in page and channel.config["secret_token"] not in page


def test_admin_add_form_keeps_input_on_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/console/messages/channels/", {"type": "kannel", "name": "Kannel HN",
                                                            "config_username": "u"})
    assert response.status_code == 400
    assert b"Missing settings" in response.content and b'value="Kannel HN"' in response.content
    assert b'value="u"' in response.content


def test_cli_channel_add_prints_the_webhook_url(db, settings):
    settings.CHANNEL_BASE_URL = "https://testigo.example.org"
    out = StringIO()
    call_command("channel", "add", "smssync", "--name", "Teléfono Tegucigalpa", "--secret", "abc", stdout=out)
    channel = Channel.objects.get()
    assert channel.config == {"secret": "abc"}
    assert f"Webhook URL: https://testigo.example.org/ch/smssync/{channel.uuid}/" in out.getvalue()


def test_admin_edits_a_channel_and_an_empty_secret_keeps_its_value(client, admin_user, moderator, make_channel):
    channel = make_channel("telegram", name="Bot", bot_token="123:SECRET", secret_token="tok-secret")
    client.force_login(moderator)
    assert client.get(f"/console/messages/channels/{channel.pk}/").status_code == 403
    client.force_login(admin_user)
    page = client.get(f"/console/messages/channels/{channel.pk}/").content.decode()
    assert 'value="Bot"' in page and "123:SECRET" not in page and "tok-secret" not in page
    response = client.post(f"/console/messages/channels/{channel.pk}/", {
        "name": "Bot Honduras", "rate_per_second": "3", "is_active": "on", "config_bot_token": "",
        "config_secret_token": "new-token"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.rate_per_second, channel.is_active) == ("Bot Honduras", 3.0, True)
    assert channel.config == {"bot_token": "123:SECRET", "secret_token": "new-token"}
    from testigo.core.models import AuditEvent

    event = AuditEvent.objects.get(action="channels.updated")
    assert event.data["settings_changed"] == ["secret_token"] and "new-token" not in str(event.data)


def test_edit_form_refuses_bad_input_and_keeps_it(client, admin_user, make_channel):
    channel = make_channel("telegram", name="Bot", bot_token="1:a", secret_token="t")
    client.force_login(admin_user)
    response = client.post(f"/console/messages/channels/{channel.pk}/", {"name": "Bot 2", "rate_per_second": "lots",
                                                                         "is_active": "on"})
    assert response.status_code == 400
    assert b"The rate must be between 0 and 1000" in response.content and b'value="Bot 2"' in response.content
    channel.refresh_from_db()
    assert channel.name == "Bot"


def test_deactivated_channel_refuses_its_webhook_and_sends_nothing(client, admin_user, make_channel, provider):
    from django.utils import timezone

    from testigo.channels import outbox
    from testigo.channels.models import InboundMessage

    tg = make_channel("telegram", name="Bot", bot_token="1:a", secret_token="tok")
    contact = Contact.objects.create(scheme="telegram", address="42")
    queued = OutboundMessage.objects.create(channel=tg, contact=contact, text="hola", next_attempt_at=timezone.now())
    phone = make_channel("smssync", secret="s")
    client.force_login(admin_user)
    for channel in (tg, phone):
        response = client.post(f"/console/messages/channels/{channel.pk}/", {
            "name": channel.name, "rate_per_second": "1"})  # "Active" unticked
        assert response.status_code == 302
    body = urlencode({"from": "+50499990001", "message": "hola", "message_id": "1", "secret": "s"})
    response = client.post(f"/ch/smssync/{phone.uuid}/", body, content_type=FORM)
    assert response.status_code == 410
    assert response.json() == {"payload": {"success": False, "error": (
        "this channel is deactivated in Testigo; an administrator can activate it again")}}
    assert not InboundMessage.objects.exists()
    assert outbox.send_due() == 0 and provider.calls == []
    assert client.get(f"/ch/smssync/{phone.uuid}/?task=send&secret=s").status_code == 410  # the phone gets nothing
    page = client.get("/console/messages/channels/").content.decode()
    assert page.count("(inactive)") == 2
    client.post(f"/console/messages/channels/{tg.pk}/", {"name": "Bot", "rate_per_second": "1", "is_active": "on"})
    provider.default = base.HttpResult(200, b'{"ok":true,"result":{"message_id":5}}')
    assert outbox.send_due() == 1
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SENT


def test_staff_cannot_reply_through_a_deactivated_channel(client, conversation, moderator):
    Channel.objects.update(is_active=False)
    client.force_login(moderator)
    response = client.post(f"/console/messages/reply/{conversation.reference}/", {"text": "hola"})
    assert response.status_code == 400 and b"deactivated" in response.content
    assert not OutboundMessage.objects.filter(created_by=moderator).exists()
