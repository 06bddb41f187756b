"""Promise (issue #21, stories): a story has a Spanish and an English text. The page shows the
one in the visitor's language; when that language has none, it shows the other with a notice, in
the visitor's language, saying so. The page's chrome speaks the visitor's language, and the page
carries OpenGraph/Twitter meta with the story's public title and summary."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def read(story, language: str) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("stories:story", args=[story.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_language_reads_its_own_text(write_story):
    story = write_story(title_es="Extorsión a conductores", body_es="## Los hechos\n\nTexto en español.",
                        title_en="Extortion of bus drivers", body_en="## The facts\n\nText in English.")
    es, en = read(story, "es"), read(story, "en")
    assert "Extorsión a conductores" in es and "Texto en español." in es and "Text in English." not in es
    assert "Extortion of bus drivers" in en and "Text in English." in en and "Texto en español." not in en
    assert 'lang="en"' in en and "not been translated" not in en


def test_a_missing_translation_falls_back_with_a_notice_in_english(write_story):
    story = write_story(title_es="Solo en español", body_es="Texto en español.")
    en = read(story, "en")
    assert "Texto en español." in en and '<article class="story" lang="es">' in en
    assert "This story has not been translated into English yet: here it is in Spanish." in en


def test_a_missing_translation_falls_back_with_a_notice_in_spanish(write_story):
    # Needs the lead's catalogue merge (/work/i18n/stories.json) to read in Spanish.
    story = write_story(title_es="", body_es="", title_en="Only in English", body_en="Text in English.")
    es = read(story, "es")
    assert "Text in English." in es and '<article class="story" lang="en">' in es
    assert "Esta historia aún no está traducida al español: aquí está en inglés." in es
    assert "Historias" in es


def test_a_story_page_has_share_meta_with_public_text(write_story):
    story = write_story(title_es="Extorsión de Juan Pérez", summary_es="Resumen público de Juan Pérez.",
                        redactions=["Juan Pérez"])
    page = read(story, "es")
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Extorsión de █████">' in page
    assert '<meta name="twitter:description" content="Resumen público de █████.">' in page


def test_the_author_is_the_byline_staff_chose_never_the_account(write_story, admin_user, settings):
    from testigo.stories import services

    story = write_story(title_es="Con firma")
    page = read(story, "en")
    assert f"By {settings.SITE_NAME}" in page and admin_user.username not in page
    story = services.save_story(actor=admin_user, story=story, data=services.StoryInput(
        slug=story.slug, texts={"title_es": "Con firma", "byline": "Equipo de investigación"}))
    page = read(story, "en")
    assert "By Equipo de investigación" in page and admin_user.username not in page
    feed = Client().get(reverse("stories:feed")).content.decode()
    assert "<name>Equipo de investigación</name>" in feed and admin_user.username not in feed
