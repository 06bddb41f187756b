"""Promise (to citizens): the security guides are public pages in Spanish and in English, with
real advice from the first day (no administrator needs to write them), and each is reached from
the three places where someone exposes themselves: the report form, the tip line and the alerts
page. They work without JavaScript: no script is on them."""

from __future__ import annotations

import re
from html import escape

import pytest
from django.test import Client

from testigo.core import guides
from tests.conftest import speak_english

pytestmark = pytest.mark.django_db

# What each citizen guide must say in each language (the advice, not the wording of a sentence).
ADVICE = {
    "reporting-safely": {"es": ["dirección IP", "área aproximada"], "en": ["IP address", "approximate area"]},
    "photos-and-metadata": {"es": ["ubicación GPS", "foto original", "Eliminados recientemente"],
                            "en": ["GPS location", "original photo", "Recently deleted"]},
    "messaging-apps": {"es": ["Mensajes temporales", "Signal", "WhatsApp", "Bloqueo de registro"],
                       "en": ["Disappearing messages", "Signal", "WhatsApp", "Registration Lock"]},
    "sms": {"es": ["no está cifrado", "Borre el mensaje que envió y también nuestra respuesta"],
            "en": ["not encrypted", "Delete the message you sent and our reply too"]},
    "tip-line": {"es": ["Tor Browser", "El más seguro", "siete palabras", ".onion"],
                 "en": ["Tor Browser", "Safest", "seven words", ".onion"]},
    "shared-phones": {"es": ["PIN", "ventana privada", "Dispositivos vinculados"],
                      "en": ["PIN", "private", "Linked devices"]},
}


def _client(language: str) -> Client:
    client = Client()
    return speak_english(client) if language == "en" else client


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_citizen_guide_is_a_page_in_spanish_and_english(language):
    client = _client(language)
    index = client.get("/guides/")
    assert index.status_code == 200
    assert index["Content-Language"] == language
    citizen = [slug for slug, who in guides.CATALOGUE if who == guides.CITIZEN]
    assert set(citizen) == set(ADVICE)
    for slug in citizen:
        guide = guides.guide(slug, language)
        title = guide.title
        assert f'href="/guides/{slug}/"' in index.content.decode() and title in index.content.decode()
        assert escape(guide.summary[:60]) in index.content.decode()  # what the guide is about, in a line
        page = client.get(f"/guides/{slug}/")
        html = page.content.decode()
        assert page.status_code == 200 and page["Content-Language"] == language
        assert f"<h1>{title}</h1>" in html
        for advice in ADVICE[slug][language]:
            assert advice in html, (slug, language, advice)
        # works with JavaScript off: the only script is the quick exit's (every public page has it)
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/testigo/quick-exit.js" defer>'], html


def test_the_photo_guide_says_the_site_strips_metadata_but_the_phone_keeps_the_original():
    html = Client().get("/guides/photos-and-metadata/").content.decode()
    assert "quitamos esos datos" in html and "la foto original sigue en su teléfono" in html


def test_the_tipline_guide_shows_the_onion_address_when_there_is_one(settings):
    assert "guide-onion" not in Client().get("/guides/tip-line/").content.decode()
    settings.ONION_ADDRESS = "http://testigoexampleabcdefghijklmnopqrstuvwxyz234567abcdefghij.onion"
    html = Client().get("/guides/tip-line/").content.decode()
    assert settings.ONION_ADDRESS in html
    assert settings.ONION_ADDRESS not in Client().get("/guides/sms/").content.decode()


def test_the_staff_guide_and_unknown_guides_are_not_public_pages():
    client = Client()
    assert client.get("/guides/account-security/").status_code == 404
    assert client.get("/guides/no-such-guide/").status_code == 404
    assert "account-security" not in client.get("/guides/").content.decode()


@pytest.mark.parametrize("path, guide", [("/report/", "reporting-safely"), ("/report/", "photos-and-metadata"),
                                         ("/tip/", "tip-line"), ("/alerts/", "sms")])
@pytest.mark.parametrize("language", ["es", "en"])
def test_report_form_tipline_and_alerts_pages_link_to_their_guide(path, guide, language, category):
    """One link block on each page, leading to the guide for that way of reporting."""
    page = _client(language).get(path)
    assert page.status_code == 200
    html = page.content.decode()
    block = html[html.index('class="guide-link"'):]
    block = block[:block.index("</p>")]
    assert f'href="/guides/{guide}/"' in block


def test_every_public_page_footer_links_to_the_guides(published_report):
    for path in ["/", "/report/", "/reports/", f"/r/{published_report.reference}/", "/alerts/", "/guides/sms/"]:
        assert 'href="/guides/"' in Client().get(path).content.decode(), path
