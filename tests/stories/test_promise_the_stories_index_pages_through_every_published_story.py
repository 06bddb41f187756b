"""Promise (issue #21, stories follow-ups): the stories index lists every published story, newest
first, in pages of 50 reached by plain links (no script needed), as the public report list does;
a draft or a story in review is on no page, and a page number that is not one gives a page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from testigo.stories.models import Story
from testigo.stories.views import INDEX_SIZE

pytestmark = pytest.mark.django_db

SLUG = re.compile(r'href="/stories/(story-\d+|borrador-[a-z]+)/"')


def slugs(response) -> list[str]:
    assert response.status_code == 200
    return SLUG.findall(response.content.decode())


def test_every_published_story_is_on_exactly_one_page_newest_first(write_story):
    now = timezone.now()
    total = INDEX_SIZE + 3
    Story.objects.bulk_create([Story(slug=f"story-{i:03d}", title_es=f"Historia {i}", status=Story.Status.PUBLISHED,
                                     published_at=now - timedelta(hours=total - i)) for i in range(total)])
    write_story(slug="borrador-oculto", title_es="Borrador oculto", status=Story.Status.DRAFT)
    write_story(slug="borrador-revision", title_es="En revisión", status=Story.Status.REVIEW)
    client = Client()
    index = reverse("stories:index")

    first = client.get(index)
    page_one = slugs(first)
    assert page_one == [f"story-{i:03d}" for i in range(total - 1, total - 1 - INDEX_SIZE, -1)]
    html = first.content.decode()
    assert 'rel="next" href="?page=2"' in html and 'rel="prev"' not in html
    assert "Page 1 of 2" in html or "Página 1 de 2" in html

    second = client.get(index, {"page": 2})
    page_two = slugs(second)
    assert page_two == ["story-002", "story-001", "story-000"]
    assert 'rel="prev" href="?page=1"' in second.content.decode() and 'rel="next"' not in second.content.decode()
    every = page_one + page_two
    assert len(every) == len(set(every)) == total
    assert not any(s.startswith("borrador") for s in every)

    # Not a page number: the first page; beyond the end: the last one. Never an error.
    assert slugs(client.get(index, {"page": "abc"})) == page_one
    assert slugs(client.get(index, {"page": "999"})) == page_two


def test_a_short_index_has_no_pager(write_story):
    write_story(slug="story-001", title_es="Una sola historia")
    write_story(slug="borrador-solo", title_es="Borrador", status=Story.Status.DRAFT)
    response = Client().get(reverse("stories:index"))
    assert slugs(response) == ["story-001"]
    assert 'class="pager"' not in response.content.decode()
