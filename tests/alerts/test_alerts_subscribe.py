"""Signing up on the web (confirmed by a code), by keyword, and the bad input around both."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from testigo.alerts import subscriptions
from testigo.alerts.models import Subscription
from testigo.channels.models import Contact, OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_web_signup_is_inactive_until_the_code_sent_by_sms_is_typed(client, zones, sms_channel):
    response = client.post("/alerts/", {"scheme": "tel", "address": "9999-0001", "zones": "colonia KENNEDY",
                                        "language": "es"})
    assert response.status_code == 302
    sub = Subscription.objects.get()
    assert sub.contact.address == "+50499990001" and sub.confirmed_at is None
    assert list(sub.zones.all()) == [zones["kennedy"]]
    sms = OutboundMessage.objects.get(contact=sub.contact)
    wrong = client.post(response["Location"], {"code": "000000" if code_in(sms.text) != "000000" else "111111"})
    assert wrong.status_code == 400 and b"wrong" in wrong.content
    ok = client.post(response["Location"], {"code": code_in(sms.text)})
    assert ok.status_code == 200 and b"You will receive alerts" in ok.content
    sub.refresh_from_db()
    assert sub.confirmed_at is not None


def test_email_signup_sends_the_code_by_email(client, zones, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/alerts/", {"scheme": "mailto", "address": "Ana@Example.org", "lat": "14.07",
                                            "lon": "-87.19", "radius_km": "3", "language": "en"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["ana@example.org"]
    client.post(response["Location"], {"code": code_in(mail.outbox[0].body)})
    sub = Subscription.objects.get()
    assert sub.confirmed_at and sub.radius_m == 3000 and sub.language == "en"


def test_guessing_codes_is_throttled_even_with_the_right_code_afterwards(zones, sms_channel, settings):
    settings.ALERT_CODE_MAX_FAILURES = 3
    sub = subscriptions.start(scheme="tel", address="+50499990001", language="es", zone_ids=[zones["kennedy"].pk],
                              categories=[])
    code = code_in(OutboundMessage.objects.get().text)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(3):
        with pytest.raises(Exception, match="wrong"):
            subscriptions.confirm(subscription_id=sub.pk, code=wrong)
    with pytest.raises(Exception, match="Too many"):
        subscriptions.confirm(subscription_id=sub.pk, code=code)
    sub.refresh_from_db()
    assert sub.confirmed_at is None


@pytest.mark.parametrize("address", ["12", "not a phone", "+1 555"])
def test_unparseable_phone_numbers_are_refused_and_the_form_keeps_what_was_typed(client, zones, sms_channel, address):
    response = client.post("/alerts/", {"scheme": "tel", "address": address, "zones": "Centro Histórico",
                                        "language": "es"})
    assert response.status_code == 400
    assert b"could not be understood" in response.content
    assert b'value="Centro Hist' in response.content
    assert not Subscription.objects.exists()


def test_misspelt_zone_on_the_web_suggests_the_closest_names(client, zones, sms_channel):
    response = client.post("/alerts/", {"scheme": "tel", "address": "+50499990001", "zones": "Kenedy",
                                        "language": "es"})
    assert response.status_code == 400 and "Colonia Kennedy" in response.content.decode()


def test_subscribe_page_works_without_javascript(client, zones):
    response = client.get("/alerts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="lat"' in html and 'name="zones"' in html and "<script>" not in html and "onclick" not in html


def test_keyword_subscribes_accent_and_case_insensitive(zones, sms_channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    reply = subscriptions.handle_alert_keyword(channel=sms_channel, contact=contact, text="centro historico",
                                               language="es")
    assert "Centro Histórico" in reply
    sub = Subscription.objects.get(contact=contact)
    assert sub.confirmed_at and list(sub.zones.all()) == [zones["centro"]]


def test_keyword_with_a_misspelt_zone_lists_the_closest_names_and_subscribes_nobody(zones, sms_channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    reply = subscriptions.handle_alert_keyword(channel=sms_channel, contact=contact, text="Kenedi", language="en")
    assert "Colonia Kennedy" in reply or "Kennedy" in reply
    assert not Subscription.objects.exists()


def test_keyword_in_english_uses_english_zone_names(zones, sms_channel):
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    reply = subscriptions.handle_alert_keyword(channel=sms_channel, contact=contact, text="KENNEDY", language="en")
    assert "Kennedy" in reply and Subscription.objects.get().zones.get() == zones["kennedy"]


def test_alert_keyword_through_the_channels_pipeline_subscribes_and_replies(zones, sms_channel, provider,
                                                                           run_on_commit):
    """The ALERT keyword alerts registers with channels, end to end (SMS in, reply out)."""
    from testigo.channels import services as channel_services
    from testigo.channels.types.base import Inbound

    with run_on_commit():
        channel_services.receive(channel=sms_channel, inbound=Inbound(
            provider_id="m1", scheme="tel", address="+50499990001", text="alerta: CENTRO historico"))
    assert Subscription.objects.get().zones.get() == zones["centro"]
    assert any("Centro" in c["url"] for c in provider.calls)


def test_the_form_cannot_be_used_to_flood_someones_phone_with_codes(zones, sms_channel):
    from django.core.exceptions import ValidationError

    for _i in range(subscriptions.CODES_PER_HOUR):
        subscriptions.start(scheme="tel", address="+50499990001", language="es", zone_ids=[zones["kennedy"].pk],
                            categories=[])
    with pytest.raises(ValidationError, match="several codes"):
        subscriptions.start(scheme="tel", address="+504 9999-0001", language="es", zone_ids=[zones["kennedy"].pk],
                            categories=[])
    assert OutboundMessage.objects.count() == subscriptions.CODES_PER_HOUR
