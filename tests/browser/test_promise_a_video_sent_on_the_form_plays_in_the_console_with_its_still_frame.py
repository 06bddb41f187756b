"""A citizen attaches a video on the report form in a real browser without JavaScript; the worker
cleans it; staff open the report in Chromium and the video plays with the browser's own player,
its still frame shown as the poster before it plays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.core import roles
from testigo.reports.models import Report
from tests.browser.test_promise_voice_notes_and_videos_play_in_the_console_and_once_public_on_the_report_page import (
    WAIT_FOR_MEDIA,
    login,
)
from tests.reports.conftest import generate, require_tools

POSTER_LOADED = """async (selector) => {
  const video = document.querySelector(selector);
  const still = new Image();
  await new Promise((ok) => { still.onload = ok; still.onerror = ok; still.src = video.poster; });
  return [still.naturalWidth, still.naturalHeight];
}"""


@pytest.mark.django_db(transaction=True)
def test_a_video_from_the_form_plays_in_the_console_with_its_poster(nojs_page, page, category, make_user, tmp_path):
    require_tools("ffmpeg", "ffprobe")
    clip = tmp_path / "VID-20261101.mp4"
    clip.write_bytes(generate(tmp_path, "made.mp4", "-f", "lavfi", "-i", "testsrc=s=320x240:r=15:d=3", "-f", "lavfi",
                              "-i", "sine=d=3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                              "-metadata", "location=+14.0723-087.1921/"))
    form = nojs_page
    form.goto("/report/")
    form.fill("[name=title]", "Video de la balacera")
    form.fill("form [name=description]", "Grabé los disparos desde la ventana.")
    form.select_option("[name=category]", str(category.pk))
    form.fill("[name=occurred_date]", (timezone.localdate() - timedelta(days=1)).isoformat())
    form.fill("[name=place_name]", "Colonia Kennedy, Tegucigalpa")
    form.set_input_files("[name=recordings]", str(clip))
    form.click("button[type=submit].primary")
    form.wait_for_url("**/report/thanks/")

    report = Report.objects.get(title="Video de la balacera")
    video = report.media.get(kind="video")  # the worker ran (jobs are immediate in tests)
    login(page, make_user(roles.MODERATOR))
    page.goto(f"/console/r/{report.reference}/")
    selector = f"video[src$='/{video.pk}/']"
    assert page.evaluate(POSTER_LOADED, selector) == [320, 240]
    played = page.evaluate(WAIT_FOR_MEDIA, selector)
    assert isinstance(played, list) and played[0] > 2 and played[2] == 320, played
