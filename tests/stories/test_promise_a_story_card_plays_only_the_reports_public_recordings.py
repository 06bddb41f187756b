"""Promise (issue #21, stories follow-ups): a report's card in a story plays the report's
recordings and videos that staff marked public — through the public media URLs, a video with its
still-frame poster — and never one that is not public (nor its poster, nor its address)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from testigo.core import roles
from tests.reports.conftest import PHONE_TAGS, generate, require_tools

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tools():
    require_tools("ffmpeg", "ffprobe")


@pytest.fixture
def client_as(make_user):
    def make(role: str):
        staff = Client()
        staff.force_login(make_user(role, username=f"{role}-story-media"))
        return staff

    return make


def test_a_card_plays_the_public_video_with_its_poster_and_never_the_private_recording(
        tmp_path, client_as, report_factory, publish, write_story):
    video = generate(tmp_path, "clip.mov", "-f", "lavfi", "-i", "testsrc=s=320x180:r=15:d=2", "-f", "lavfi",
                     "-i", "sine=d=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                     "-f", "mov", *PHONE_TAGS)
    audio = generate(tmp_path, "nota.ogg", "-f", "lavfi", "-i", "sine=f=300:d=2", "-c:a", "libopus", *PHONE_TAGS)
    admin = client_as(roles.ADMIN)
    report = publish(report_factory(title="Cobro de renta grabado"))
    response = admin.post(f"/console/r/{report.reference}/recordings/",
                          {"recordings": [SimpleUploadedFile("clip.mov", video), SimpleUploadedFile("nota.ogg", audio)]})
    assert response.status_code == 302
    clip, note = report.media.get(kind="video"), report.media.get(kind="audio")
    assert clip.poster
    story = write_story(body_es=f"Caso:\n\n[[report:{report.reference}]]\n")
    visitor = Client()

    def story_page() -> str:
        response = visitor.get(reverse("stories:story", args=[story.slug]))
        assert response.status_code == 200
        return response.content.decode()

    # Nothing marked public yet: the card plays nothing.
    page = story_page()
    assert 'class="story-card"' in page and "<video" not in page and "<audio" not in page
    assert f"/media/{clip.id}/" not in page and f"/media/{note.id}/" not in page

    # The video marked public: played in the card, with its poster; the recording still absent.
    admin.post(f"/console/r/{report.reference}/media/{clip.id}/public/", {"public": "1"})
    page = story_page()
    card = page[page.index('<aside class="story-card"'):page.index("</aside>")]
    assert (f'<video controls preload="metadata" src="/media/p/{clip.id}/" poster="/media/p/{clip.id}/poster.jpg" '
            'width="320" height="180">') in card
    assert "<audio" not in page and f"/media/{note.id}/" not in page and f"/media/p/{note.id}/" not in page
    assert "/console/" not in card
    for address in (f"/media/p/{clip.id}/", f"/media/p/{clip.id}/poster.jpg"):
        assert visitor.get(address).status_code == 200

    # Marked private again: gone from the card at once.
    admin.post(f"/console/r/{report.reference}/media/{clip.id}/public/", {"public": "0"})
    page = story_page()
    assert "<video" not in page and f"/media/p/{clip.id}/" not in page


def test_a_public_recording_of_a_report_no_longer_public_never_plays(tmp_path, client_as, report_factory, publish,
                                                                      write_story, admin_user):
    from testigo.reports import services as report_services
    from testigo.reports.models import Report

    audio = generate(tmp_path, "nota.ogg", "-f", "lavfi", "-i", "sine=f=300:d=2", "-c:a", "libopus", *PHONE_TAGS)
    admin = client_as(roles.ADMIN)
    report = publish(report_factory(title="Nota de voz"))
    admin.post(f"/console/r/{report.reference}/recordings/", {"recordings": [SimpleUploadedFile("nota.ogg", audio)]})
    note = report.media.get()
    admin.post(f"/console/r/{report.reference}/media/{note.id}/public/", {"public": "1"})
    story = write_story(body_es=f"[[report:{report.reference}]]\n")
    page = Client().get(reverse("stories:story", args=[story.slug])).content.decode()
    assert f'<audio controls preload="none" src="/media/p/{note.id}/">' in page
    report_services.change_status(report=Report.objects.get(pk=report.pk), actor=admin_user,
                                  status=Report.Status.ARCHIVED)
    page = Client().get(reverse("stories:story", args=[story.slug])).content.decode()
    assert "<audio" not in page and f"/media/p/{note.id}/" not in page
