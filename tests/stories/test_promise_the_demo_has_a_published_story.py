"""Promise (issue #21, stories): the demo (`make demo`) shows a published story in Spanish and
English, linking some of the demo's published extortion reports with cards and the small map;
seeding again adds no second story."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from testigo.demo.seed import seed_all
from testigo.reports.selectors import public_base
from testigo.stories.models import Story

pytestmark = pytest.mark.django_db


def test_the_demo_story_is_published_and_links_public_reports(admin_user):
    done = seed_all(reports=400, admin=admin_user)
    assert done.stories == 1
    story = Story.objects.get()
    assert story.status == Story.Status.PUBLISHED and story.title_es and story.title_en
    linked = list(story.links.values_list("report_id", flat=True))
    assert len(linked) >= 3
    assert public_base().filter(id__in=linked, categories__slug="extorsion").count() == len(linked)
    page = Client().get(reverse("stories:story", args=[story.slug])).content.decode()
    assert page.count('class="story-card"') == 2 and "<circle" in page
    assert seed_all(reports=400, admin=admin_user).stories == 0
    assert Story.objects.count() == 1
