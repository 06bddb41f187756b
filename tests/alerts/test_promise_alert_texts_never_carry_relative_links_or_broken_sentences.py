"""Promise: an alert text message is a whole sentence and any link in it can be opened from a phone.

A text message cannot follow "/r/T-Z5Q8-V7MQ/", so a link is absolute or absent; and an alert
with no known place, title, category or public address never reads "cerca de . /"."""

from __future__ import annotations

import re

import pytest

from testigo.alerts import text

RELATIVE_LINK = re.compile(r"(^|\s)/")
BROKEN = re.compile(r"\s[.,:]|\s{2,}|(de|near|of)\s*\.|\s$")


@pytest.fixture
def no_public_address(settings):
    settings.ALERT_LINK_BASE = ""
    settings.CHANNEL_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", ".testserver", "*"]


def every_alert_text(*, place: str = "", title: str = "", category: str = "") -> list[str]:
    texts = []
    for language in ("es", "en"):
        for scheme in ("tel", "telegram"):
            texts.append(text.report_alert(language=language, scheme=scheme, category=category, title=title,
                                           reference="T-Z5Q8-V7MQ"))
            for verified in (True, False):
                texts.append(text.rule_alert(language=language, scheme=scheme, count=3, category=category or "Robo",
                                             hours=24, place=place, verified=verified))
    return texts


@pytest.mark.parametrize("place", ["", "   "])
def test_promise_alert_texts_never_read_as_broken_sentences_with_empty_values(no_public_address, place):
    for message in every_alert_text(place=place):
        assert not BROKEN.search(message), message
        assert message.rstrip().endswith("."), message


def test_promise_alert_sms_never_carries_a_relative_link(no_public_address):
    for message in every_alert_text(place="Centro", title="Robo en la parada", category="Robo"):
        assert not RELATIVE_LINK.search(message), message
        assert "/r/" not in message


def test_promise_alert_link_base_is_derived_from_the_public_host_when_unset(settings):
    settings.ALERT_LINK_BASE = ""
    settings.CHANNEL_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["localhost", ".alertas.example.hn", "127.0.0.1"]
    sms = text.report_alert(language="es", scheme="tel", category="Robo", title="Asalto", reference="T-Z5Q8-V7MQ")
    assert sms.endswith(" https://alertas.example.hn/r/T-Z5Q8-V7MQ/")


def test_channel_base_url_is_used_before_allowed_hosts(settings):
    settings.ALERT_LINK_BASE = ""
    settings.CHANNEL_BASE_URL = "https://testigo.example.org"
    settings.ALLOWED_HOSTS = ["otro.example.hn"]
    assert text.link("/") == "https://testigo.example.org/"


def test_spanish_rule_alert_without_a_place_says_in_your_area(no_public_address):
    sms = text.rule_alert(language="es", scheme="tel", count=3, category="Robo", hours=24, place=" ")
    assert sms == "ALERTA Testigo: 3 reportes de Robo en 24 h en su zona."
