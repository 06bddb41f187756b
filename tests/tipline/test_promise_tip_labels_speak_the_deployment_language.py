"""Staff talk about a tip by its label: in a Spanish deployment the label is Spanish words
("faro sutil"), in an English one English words, whatever page the tipster used; labels already
given stay as they were."""

from __future__ import annotations

import pytest

from testigo.tipline import codenames, labels, services
from testigo.tipline.models import Tip

pytestmark = pytest.mark.django_db


def _label_of_new_tip(language: str) -> str:
    access, _codename = services.submit_tip(body="hola", files=[], language=language)
    return Tip.objects.get(source_id=access.source_id).label


def test_promise_a_spanish_deployment_labels_tips_with_spanish_words(settings, tip_admin):
    settings.LANGUAGE_CODE = "es"
    nouns, adjectives = labels.spanish_words()
    for page_language in ("es", "en"):  # the tipster's page language does not matter
        for _ in range(3):
            noun, adjective = _label_of_new_tip(page_language).split(" ")
            assert noun in nouns and adjective in adjectives


def test_promise_an_english_deployment_labels_tips_with_english_words(settings, tip_admin):
    settings.LANGUAGE_CODE = "en"
    english = set(codenames.wordlist("en").words)
    for page_language in ("es", "en"):
        words = _label_of_new_tip(page_language).split(" ")
        assert len(words) == 2 and all(w in english for w in words)


def test_promise_existing_labels_stay_as_they_were(settings, tip_admin):
    settings.LANGUAGE_CODE = "en"
    access, _codename = services.submit_tip(body="first", files=[], language="en")
    old = Tip.objects.get(source_id=access.source_id).label
    settings.LANGUAGE_CODE = "es"
    _label_of_new_tip("es")
    assert Tip.objects.get(source_id=access.source_id).label == old


def test_spanish_list_is_large_distinct_and_fits_the_label_field():
    nouns, adjectives = labels.spanish_words()
    assert len(nouns) >= 250 and len(adjectives) >= 70
    assert len(set(nouns)) == len(nouns) and len(set(adjectives)) == len(adjectives)
    longest = max(map(len, nouns)) + 1 + max(map(len, adjectives))
    assert longest <= Tip._meta.get_field("label").max_length
