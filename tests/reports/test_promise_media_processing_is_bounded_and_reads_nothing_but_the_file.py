"""Processing a received file is bounded and confined: a long recording is cut at the configured
limit and says so, a file that takes too long is stopped and refused, a playlist or concat list
cannot make ffmpeg read other files, a damaged video is refused with a message, the private
copies the tools work on are deleted, and a missing tool leaves the media pending (ToolMissing)
instead of losing it."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
from django.core.exceptions import ValidationError

from testigo.reports import avmedia
from testigo.reports.avmedia import ToolMissing, sanitise_media
from tests.reports.conftest import ffprobe, generate, pdf_with_author, plays_through, sample

pytestmark = pytest.mark.usefixtures("english", "ffmpeg_tools")


def refused(data: bytes, **hints) -> str:
    with pytest.raises(ValidationError) as caught:
        sanitise_media(data=data, **hints)
    return caught.value.messages[0]


def test_a_recording_longer_than_the_limit_is_cut_and_says_so(settings, tmp_path):
    settings.MEDIA_MAX_AUDIO_SECONDS = 5
    clean = sanitise_media(data=sample("voice-note.opus"), filename="larga.opus")  # 15.8 s
    assert clean.truncated and clean.kind == "audio"
    assert clean.duration_s == pytest.approx(5, abs=0.2)
    assert float(ffprobe(clean.content, tmp_path)["format"]["duration"]) == pytest.approx(5, abs=0.2)
    assert plays_through(clean.content, tmp_path)


def test_a_video_longer_than_its_own_limit_is_cut(settings, tmp_path):
    settings.MEDIA_MAX_VIDEO_SECONDS = 2
    settings.MEDIA_MAX_AUDIO_SECONDS = 100
    clean = sanitise_media(data=sample("clip.webm"), filename="clip.webm")  # 5.6 s
    assert clean.truncated and clean.kind == "video"
    assert clean.duration_s == pytest.approx(2, abs=0.2)


def test_a_recording_within_the_limit_is_not_marked_cut():
    clean = sanitise_media(data=sample("voice-note.amr"), filename="nota.amr")
    assert not clean.truncated


def test_a_file_that_takes_too_long_is_stopped_and_refused(settings):
    settings.MEDIA_TOOL_TIMEOUT_SECONDS = 0.001
    message = refused(sample("phone.3gp"), filename="video.3gp")
    assert message == "“video.3gp” took longer than 0.001 seconds to process and was stopped."


@pytest.mark.parametrize("playlist", [
    b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    b"#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data/\n",
    b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    sample("playlist.m3u"),
])
def test_a_playlist_or_concat_list_is_refused(playlist):
    assert "web page, a script or a playlist" in refused(playlist, kind_hint="video", filename="video.m3u8")


def test_ffprobe_itself_will_not_open_a_playlist_or_a_concat_list(tmp_path):
    """Defence in depth, below the text check: the demuxer allowlist. ffmpeg's own defaults
    would follow both lists to a file beside them (checked first, so the test is not vacuous)."""
    generate(tmp_path, "secret.ts", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "mp2", "-f", "mpegts")
    generate(tmp_path, "secret.wav", "-f", "lavfi", "-i", "sine=d=1")
    for name, text, demuxer in [
        ("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nsecret.ts\n#EXT-X-ENDLIST\n", "hls"),
        ("list.ffconcat", "ffconcat version 1.0\nfile 'secret.wav'\n", "concat"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        unguarded = subprocess.run(["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-show_entries",
                                    "format=format_name", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
        assert unguarded.stdout.strip() == demuxer
        assert avmedia.probe(path, name) == {}


def test_a_damaged_video_is_refused_with_a_message():
    data = sample("phone.3gp")
    damaged = data[:32] + bytes(len(data) - 32)  # the header survives, the rest is zeros
    assert refused(damaged, filename="VID_0001.3gp") == (
        "“VID_0001.3gp” looks like a sound or video file but is damaged; it could not be read.")


def test_a_truncated_webm_is_refused_or_kept_playable(tmp_path):
    """A download cut short: whatever ffmpeg recovers must play; nothing unplayable is stored."""
    data = sample("clip.webm")[:20_000]
    try:
        clean = sanitise_media(data=data, filename="cut.webm")
    except ValidationError as refusal:
        assert "damaged" in refusal.messages[0]
    else:
        assert plays_through(clean.content, tmp_path)


def test_the_private_copies_are_unreadable_to_others_and_deleted(settings, tmp_path, monkeypatch):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    seen = []
    real_run = avmedia.run_tool

    def spy(command, display):
        source = next(arg for arg in command if arg.startswith(str(settings.FILE_UPLOAD_TEMP_DIR)))
        seen.append((stat.S_IMODE(os.stat(source).st_mode), stat.S_IMODE(os.stat(os.path.dirname(source)).st_mode)))
        return real_run(command, display)

    monkeypatch.setattr(avmedia, "run_tool", spy)
    sanitise_media(data=sample("voice-note.amr"), filename="nota.amr")
    assert seen and all(modes == (0o600, 0o700) for modes in seen)
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []


def test_a_missing_ffmpeg_leaves_the_media_pending(monkeypatch):
    monkeypatch.setattr(avmedia.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing):
        sanitise_media(data=sample("voice-note.opus"), filename="nota.opus")


def test_a_missing_mat2_leaves_the_document_pending(monkeypatch):
    monkeypatch.setattr(avmedia.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing):
        sanitise_media(data=pdf_with_author(), filename="denuncia.pdf")
