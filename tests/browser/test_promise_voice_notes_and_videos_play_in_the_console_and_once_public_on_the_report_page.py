"""A voice note and a video people sent play in the console with the browser's own player (no
third-party player), can be sought (the server honours byte ranges), and play on the public
report page once staff make them public. Documents are downloaded, never public. Real files: the
samples of tests/reports/media_samples cleaned by the same function the worker uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.core import roles
from testigo.reports import services
from testigo.reports.avmedia import sanitise_media
from testigo.reports.models import Media
from testigo.reports.photos import store_media
from tests.reports.conftest import require_tools

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLES = Path(__file__).parent.parent / "reports" / "media_samples"

WAIT_FOR_MEDIA = """async (selector) => {
  const el = document.querySelector(selector);
  if (!el) return "missing";
  if (el.readyState < 1) {
    await new Promise((ok) => { el.addEventListener("loadedmetadata", ok); el.addEventListener("error", ok);
                                el.load(); });
  }
  if (el.error) return "error " + el.error.code;
  el.currentTime = Math.min(1, el.duration / 2);
  await new Promise((ok) => { el.addEventListener("seeked", ok, {once: true}); setTimeout(ok, 3000); });
  return [el.duration, el.currentTime, el.videoWidth || 0];
}"""


def login(page, user) -> None:
    page.goto("/console/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")


@pytest.fixture
def report_with_recordings(report_factory):
    require_tools("ffmpeg", "ffprobe", "mat2")
    report = report_factory(title="Balacera en la colonia")
    voice = store_media(report=report, clean=sanitise_media(data=(SAMPLES / "voice-note.opus").read_bytes(),
                                                            kind_hint="voice"))
    video = store_media(report=report, clean=sanitise_media(data=(SAMPLES / "phone.3gp").read_bytes(),
                                                            kind_hint="video"))
    document = store_media(report=report, clean=sanitise_media(
        data=(SAMPLES / "wkhtmltopdf-with-title.pdf").read_bytes(), filename="denuncia.pdf"))
    return report, voice, video, document


def test_recordings_play_and_seek_in_the_console(page, make_user, report_with_recordings):
    report, voice, video, _document = report_with_recordings
    login(page, make_user(roles.MODERATOR))
    page.goto(f"/console/r/{report.reference}/")
    audio = page.evaluate(WAIT_FOR_MEDIA, f"audio[src$='/{voice.pk}/']")
    assert isinstance(audio, list) and audio[0] > 1 and audio[1] > 0, audio
    played = page.evaluate(WAIT_FOR_MEDIA, f"video[src$='/{video.pk}/']")
    assert isinstance(played, list) and played[0] > 1 and played[2] > 0, played
    # The player is the browser's own: no script or frame from elsewhere on the page.
    assert not page.locator("iframe").count()


def test_public_recordings_play_on_the_report_page_and_documents_stay_private(page, make_user, admin_user,
                                                                              report_with_recordings, client):
    report, voice, video, document = report_with_recordings
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    page.goto(f"/r/{report.reference}/")
    assert page.locator("audio, video").count() == 0  # nothing is public until staff say so
    services.set_media_public(media=voice, actor=admin_user, is_public=True)
    services.set_media_public(media=video, actor=admin_user, is_public=True)
    with pytest.raises(Exception, match="staff only|solo para el equipo"):
        services.set_media_public(media=document, actor=admin_user, is_public=True)
    page.goto(f"/r/{report.reference}/")
    audio = page.evaluate(WAIT_FOR_MEDIA, "audio")
    assert isinstance(audio, list) and audio[0] > 1, audio
    played = page.evaluate(WAIT_FOR_MEDIA, "video")
    assert isinstance(played, list) and played[2] > 0, played
    assert f"/media/p/{document.pk}/" not in page.content()

    # A byte range, as players ask for it: 206 with the part asked for.
    whole = client.get(f"/media/p/{voice.pk}/")
    size = int(whole["Content-Length"]) if whole.has_header("Content-Length") else len(b"".join(whole.streaming_content))
    part = client.get(f"/media/p/{voice.pk}/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{size}" and len(part.content) == 100
    assert client.get(f"/media/p/{voice.pk}/", HTTP_RANGE=f"bytes={size + 5}-").status_code == 416
    assert client.get(f"/media/p/{document.pk}/").status_code == 404
    assert Media.objects.get(pk=document.pk).is_public is False
