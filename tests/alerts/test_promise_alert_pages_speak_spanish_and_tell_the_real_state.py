"""Promise: the alert pages suggest keywords that work in the reader's language, and the console
tells a coordinator the truth: an alert is "sent" only when nothing is pending, and the preview's
figures agree with each other and count only the languages that have a text."""

from __future__ import annotations

import re

import pytest

from testigo.alerts.models import Alert, Subscription
from testigo.channels.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_promise_spanish_alerts_page_suggests_spanish_keywords(client, zones):
    page = client.get("/alerts/").content.decode()
    assert "ALERTA Centro" in page and "BAJA" in page
    assert "ALERT Centro" not in page and "STOP" not in page


def test_promise_spanish_confirmation_suggests_baja(client, zones, sms_channel):
    response = client.post("/alerts/", {"scheme": "tel", "address": "9999-0001", "zones": "Centro Histórico",
                                        "language": "es"})
    assert response.status_code == 302
    sms = OutboundMessage.objects.get(contact=Subscription.objects.get().contact)
    page = client.post(response["Location"], {"code": re.search(r"\b(\d{6})\b", sms.text).group(1)})
    assert page.status_code == 200
    assert "BAJA" in page.content.decode() and "STOP" not in page.content.decode()


def test_english_alerts_page_suggests_english_keywords(client, zones, english):
    client.cookies["django_language"] = "en"
    page = client.get("/alerts/").content.decode()
    assert "ALERT Centro" in page and "STOP" in page


@pytest.fixture
def broadcast(client, admin_user, zones, sms_channel, subscribe):
    subscribe("+50499990001", zones=[zones["centro"]])
    client.force_login(admin_user)
    response = client.post("/console/alerts/broadcast/", {"message_es": "Corte de agua mañana",
                                                          "zones": [zones["centro"].pk]})
    assert response.status_code == 302
    return Alert.objects.get()


def test_promise_broadcast_preview_figures_agree_and_count_only_written_languages(client, broadcast, english):
    page = client.get(f"/console/alerts/{broadcast.pk}/").content.decode()
    assert "1 recipient" in page
    assert 'id="stats"' not in page  # no "0 recipients" table beside the preview's 1
    assert "ES: 1 SMS segment(s)" in page and "EN:" not in page.split("Before sending")[1]


def test_promise_an_alert_with_pending_messages_is_not_shown_as_sent(
        client, broadcast, english, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/console/alerts/{broadcast.pk}/send/")
    detail = client.get(f"/console/alerts/{broadcast.pk}/").content.decode()
    listing = client.get("/console/alerts/").content.decode()
    assert "Broadcast #%d — Sending (1 pending)</h1>" % broadcast.pk in detail
    assert "Sending (1 pending)" in listing and ">Broadcast #" in listing
