"""A sender address that is not a number must not collapse to its digits (or to nothing) and merge
unrelated people into one contact: junk is refused, named senders are kept as written."""

from __future__ import annotations

import pytest

from testigo.channels import contacts
from testigo.channels.models import Contact, InboundMessage, InboundRejected


@pytest.fixture
def kannel(make_channel):
    return make_channel("kannel", secret="k", sendsms_url="https://sms.example.org/cgi-bin/sendsms", username="u",
                        password="p")


def sms(client, channel, sender, message_id):
    return client.get(f"/ch/kannel/{channel.uuid}/", {"key": "k", "id": message_id, "from": sender,
                                                        "text": "robo en la parada"})


@pytest.mark.parametrize("junk", ["bla", "-", "12", "null", "unknown", "+bla", "bla bla bla bla"])
def test_a_junk_sender_is_refused_with_a_reason_and_the_payload_kept(client, kannel, junk):
    response = sms(client, kannel, junk, "m1")
    assert response.status_code == 400
    assert b"is not a phone number" in response.content
    assert not InboundMessage.objects.exists() and not Contact.objects.exists()
    assert InboundRejected.objects.filter(channel=kannel).count() == 1


def test_named_senders_are_kept_apart_as_written(client, kannel):
    for n, sender in enumerate(["MOVISTAR", "Banco-1", "Tigo-1", "Claro"]):
        assert sms(client, kannel, sender, f"m{n}").status_code == 200
    assert sorted(Contact.objects.values_list("address", flat=True)) == ["BANCO-1", "CLARO", "MOVISTAR", "TIGO-1"]


def test_numbers_with_separators_become_e164_and_short_codes_keep_their_digits(client, kannel):
    for n, sender in enumerate(["9999-0001", "+504 9999 0001", "00504 (9999) 0001", "12345", "+1234", "737"]):
        assert sms(client, kannel, sender, f"m{n}").status_code == 200
    assert sorted(Contact.objects.values_list("address", flat=True)) == ["+50499990001", "1234", "12345", "737"]


def test_the_helpers_that_validate_typed_numbers_still_refuse_junk(db):
    from testigo.channels.simulate import plausible_phone

    assert plausible_phone("bla") == "" and plausible_phone("+504 9999-0001") == "+50499990001"
    with pytest.raises(contacts.NotAnAddress):
        contacts.normalise("tel", "undefined")
    assert contacts.normalise("tel", "MOVISTAR") == "MOVISTAR"
    from django.core.exceptions import ValidationError

    from testigo.alerts.subscriptions import normalise_address

    with pytest.raises(ValidationError):  # a subscriber's typed number: a form error, not a crash
        normalise_address("tel", "bla")

