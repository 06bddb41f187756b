"""Promise (issue #21, stories): a story's Markdown is rendered on the server and sanitised with an
allow-list (nh3): headings, quotes, lists, links, the site's own public photos and report cards
come through; scripts, styles, frames, forms, event handlers, `javascript:`/`data:` links and
images from other sites do not, whether written as HTML or as Markdown. Names on the story's
redaction list never reach the public, in any language, in the title, summary, text or feed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from testigo.stories import render

pytestmark = pytest.mark.django_db

ATTACKS = """## Lo que pasa

<script>alert('x')</script>
<style>body{display:none}</style>
<iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/"><input name="pin"></form>
<img src="x" onerror="alert(1)">
<a href="javascript:alert(1)">click</a>
[md link](javascript:alert(2))
[data](data:text/html;base64,PHNjcmlwdD4=)
<p onclick="alert(3)" style="color:red">texto</p>
![tracker](https://evil.example/pixel.gif)
<svg onload="alert(4)"></svg>

> Una cita de un conductor.

![foto pública](/media/p/12/)
"""


def test_the_sanitiser_keeps_structure_and_removes_every_active_thing():
    html = str(render.render(ATTACKS, redactions=[], cards={}))
    for bad in ("<script", "alert(", "<style", "display:none", "<iframe", "evil.example", "<form", "<input",
                "onerror", "onclick", "javascript:", "data:text", "<svg", "onload", "style="):
        assert bad not in html, bad
    assert "<h2>Lo que pasa</h2>" in html
    assert "<blockquote>" in html and "Una cita de un conductor." in html
    assert '<img alt="foto pública" src="/media/p/12/">' in html
    assert "texto" in html  # the paragraph's text stays, its handler and style go


def test_the_public_page_never_serves_the_attack(write_story):
    story = write_story(body_es=ATTACKS)
    page = Client().get(reverse("stories:story", args=[story.slug])).content.decode()
    assert "alert(" not in page and "evil.example" not in page and "javascript:" not in page


def test_a_guessed_card_token_is_only_text():
    # The placeholder for a card is random per render: a writer cannot forge one to inject HTML.
    html = str(render.render("storycard0000000000000000x0\n\n[[report:T-AAAA-BBBB]]", redactions=[], cards={}))
    assert "story-card" not in html


def test_redacted_names_are_gone_everywhere(write_story, client):
    story = write_story(title_es="Extorsión: el caso de Juan Pérez", summary_es="Juan Pérez pagaba cada semana.",
                        body_es="Según **JUAN PÉREZ**, [Juan Pérez](https://example.org/jp) pagaba.",
                        title_en="Extortion: Juan Pérez", body_en="Juan Pérez paid.", redactions=["Juan Pérez"])
    for lang in ("es", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        page = client.get(reverse("stories:story", args=[story.slug])).content.decode()
        assert f'<article class="story" lang="{lang}">' in page
        assert "Juan" not in page and "JUAN" not in page
        assert "█████" in page
    for url in (reverse("stories:index"), reverse("stories:feed"), reverse("stories:feed") + "?lang=en"):
        assert "Juan" not in client.get(url).content.decode()


def test_the_storys_names_are_hidden_in_its_report_cards_too(report_factory, publish, write_story):
    report = publish(report_factory(title="Amenazas de Juan Pérez", description="Juan Pérez cobra la cuota."))
    story = write_story(body_es=f"[[report:{report.reference}]]", redactions=["juan pérez"])
    page = Client().get(reverse("stories:story", args=[story.slug])).content.decode()
    assert "story-card" in page and "Juan" not in page and "Amenazas de █████" in page
