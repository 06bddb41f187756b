"""Promise (issue #21, stories): a report reaches a story only through the public report
projection. A linked report shows its public title, fuzzed point and card only while it is
published and public; a linked report that is not (never published, unpublished, restricted)
shows nothing — no card, no point, no reference, no title — and one that is unpublished after
the story was written stops showing at once. A reporter's name, contact, internal notes and exact
location never reach a story page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from testigo.reports import services as report_services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

EXACT_LAT, EXACT_LON = 14.0723417, -87.1921583


def story_page(story) -> str:
    response = Client().get(reverse("stories:story", args=[story.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_published_report_shows_its_public_projection_only(report_factory, publish, admin_user, write_story):
    report = report_factory(title="Cobro de renta en la ruta 7", lat=EXACT_LAT, lon=EXACT_LON,
                            reporter_name="Marta Secreta", reporter_contact="marta@example.org")
    report_services.add_note(report=report, actor=admin_user, text="NOTA-INTERNA-7731")
    report = publish(report)
    story = write_story(body_es=f"Caso:\n\n[[report:{report.reference}]]\n")
    page = story_page(story)
    assert "Cobro de renta en la ruta 7" in page and 'class="story-card"' in page
    assert "<svg" in page and "<circle" in page  # the small map, server-side
    for secret in ("Marta Secreta", "marta@example.org", "NOTA-INTERNA-7731", str(EXACT_LAT), str(EXACT_LON),
                   f"{EXACT_LAT:.5f}"):
        assert secret not in page


def test_a_report_not_public_shows_nothing_and_unpublishing_hides_it(report_factory, publish, admin_user,
                                                                      write_story):
    hidden = report_factory(title="Caso aún en revisión XYZZY")
    shown = publish(report_factory(title="Caso publicado"))
    story = write_story(body_es=f"[[report:{hidden.reference}]]\n\n[[report:{shown.reference}]]\n",
                        references=[hidden.reference, shown.reference])
    page = story_page(story)
    assert "XYZZY" not in page and hidden.reference not in page
    assert "Caso publicado" in page and page.count("<circle") == 1

    # Unpublished after the story was written: gone from the story at once.
    report_services.change_status(report=Report.objects.get(pk=shown.pk), actor=admin_user,
                                  status=Report.Status.ARCHIVED)
    page = story_page(story)
    assert "Caso publicado" not in page and shown.reference not in page
    assert "story-card" not in page and "<circle" not in page and "<svg" not in page


def test_a_restricted_report_shows_nothing(report_factory, publish, admin_user, write_story):
    report = publish(report_factory(title="Caso restringido QWERTY"))
    Report.objects.filter(pk=report.pk).update(visibility=Report.Visibility.RESTRICTED)
    story = write_story(references=[report.reference], body_es=f"[[report:{report.reference}]]")
    page = story_page(story)
    assert "QWERTY" not in page and report.reference not in page


def test_drafts_and_stories_in_review_are_not_public(write_story):
    from testigo.stories.models import Story

    draft = write_story(title_es="Borrador secreto", slug="borrador", status=Story.Status.DRAFT)
    review = write_story(title_es="En revisión secreta", slug="revision", status=Story.Status.REVIEW)
    client = Client()
    for story in (draft, review):
        assert client.get(reverse("stories:story", args=[story.slug])).status_code == 404
    index = client.get(reverse("stories:index")).content.decode()
    assert "secreto" not in index and "secreta" not in index
