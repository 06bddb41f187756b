"""A voice note, a song or a video sent through a channel reaches staff as a file every browser
plays (MP3, or MP4 H.264/AAC), and nothing the phone wrote into it survives: no place, no date,
no device, no name, no cover picture, no rotation flag (the rotation is applied to the picture)."""

from __future__ import annotations

import hashlib

import pytest

from testigo.reports.avmedia import sanitise_media
from tests.reports.conftest import PHONE_TAGS, ffprobe, generate, leftover_tags, plays_through, sample

pytestmark = pytest.mark.usefixtures("ffmpeg_tools")


def audio_stream(info: dict) -> dict:
    (stream,) = [s for s in info["streams"] if s["codec_type"] == "audio"]
    return stream


def assert_clean_mp3(clean, tmp_path, *, seconds: float) -> dict:
    assert (clean.kind, clean.content_type, clean.extension) == ("audio", "audio/mpeg", ".mp3")
    assert clean.metadata_removed and not clean.truncated
    info = ffprobe(clean.content, tmp_path)
    assert info["format"]["format_name"] == "mp3"
    assert [s["codec_type"] for s in info["streams"]] == ["audio"]  # no cover picture
    stream = audio_stream(info)
    assert stream["codec_name"] == "mp3" and stream["channels"] == 1 and int(stream["sample_rate"]) <= 44100
    assert 40_000 <= int(stream["bit_rate"]) <= 64_000
    assert clean.duration_s == pytest.approx(seconds, abs=1.0)
    assert leftover_tags(info) == {}
    assert not clean.content.startswith(b"ID3")
    assert plays_through(clean.content, tmp_path)
    return info


@pytest.mark.parametrize(("name", "seconds"), [("voice-note.opus", 15.8), ("voice-note.amr", 16.4)])
def test_a_real_voice_note_becomes_a_plain_mono_mp3(name, seconds, tmp_path):
    clean = sanitise_media(data=sample(name), kind_hint="voice", declared_type="audio/ogg", filename=name)
    assert_clean_mp3(clean, tmp_path, seconds=seconds)


def test_a_tagged_mp3_with_a_cover_picture_loses_tags_and_picture(tmp_path):
    cover = generate(tmp_path, "cover.png", "-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-frames:v", "1")
    (tmp_path / "cover.png").write_bytes(cover)
    tagged = generate(tmp_path, "song.mp3", "-f", "lavfi", "-i", "sine=f=440:d=4", "-i", str(tmp_path / "cover.png"),
                      "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v",
                      "attached_pic", "-id3v2_version", "3", *PHONE_TAGS, "-metadata", "comment=grabado en la marcha")
    before = ffprobe(tagged, tmp_path)
    assert before["format"]["tags"]["artist"] == "Juana Pérez" and len(before["streams"]) == 2
    clean = sanitise_media(data=tagged, filename="song.mp3")
    assert_clean_mp3(clean, tmp_path, seconds=4)
    assert b"Juana" not in clean.content and b"Tegucigalpa" not in clean.content


@pytest.mark.parametrize(("name", "args"), [
    ("note.m4a", ("-c:a", "aac", "-f", "ipod")),
    ("note.wav", ("-c:a", "pcm_s16le", "-f", "wav")),
    ("note.3gp", ("-c:a", "aac", "-ar", "16000", "-f", "3gp")),
    ("note.ogg", ("-c:a", "libopus", "-f", "ogg")),
])
def test_each_phone_audio_format_becomes_an_mp3_without_tags(name, args, tmp_path):
    data = generate(tmp_path, name, "-f", "lavfi", "-i", "sine=f=300:d=3:sample_rate=48000", *PHONE_TAGS, *args)
    assert b"Juana" in data or "Juana".encode("utf-16-le") in data or b"Tegucigalpa" in data
    clean = sanitise_media(data=data, filename=name)
    assert_clean_mp3(clean, tmp_path, seconds=3)


def assert_clean_mp4(clean, tmp_path, *, size: tuple[int, int], audio: bool = True) -> dict:
    assert (clean.kind, clean.content_type, clean.extension) == ("video", "video/mp4", ".mp4")
    assert clean.metadata_removed
    info = ffprobe(clean.content, tmp_path)
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    assert [s["codec_name"] for s in video] == ["h264"] and video[0]["pix_fmt"] == "yuv420p"
    assert (video[0]["width"], video[0]["height"]) == size == (clean.width, clean.height)
    sound = [s for s in info["streams"] if s["codec_type"] == "audio"]
    if audio:
        assert [s["codec_name"] for s in sound] == ["aac"] and int(sound[0]["bit_rate"]) <= 100_000
    else:
        assert sound == []
    assert leftover_tags(info) == {}
    # faststart: the index comes before the media data, so playback starts before the download ends
    assert clean.content.index(b"moov") < clean.content.index(b"mdat")
    assert b"x264 - core" not in clean.content  # the encoder's settings string is dropped too
    assert plays_through(clean.content, tmp_path)
    return info


@pytest.mark.parametrize(("name", "size", "seconds"), [
    ("phone.3gp", (384, 288), 5.5),  # H.263 + AMR, as old phones record: 352×288 of 12:11 pixels
    ("clip.webm", (560, 320), 5.6),  # VP8 + Vorbis
    ("big-buck-bunny-tagged.mp4", (640, 360), 0.23),  # title, artist, composer, comment, encoder tags
])
def test_a_real_video_becomes_an_h264_mp4_without_tags(name, size, seconds, tmp_path):
    before = ffprobe(sample(name), tmp_path)
    clean = sanitise_media(data=sample(name), kind_hint="video", filename=name)
    assert_clean_mp4(clean, tmp_path, size=size, audio=name != "big-buck-bunny-tagged.mp4")
    assert clean.duration_s == pytest.approx(seconds, abs=0.3)
    if "tags" in before["format"] and "artist" in before["format"]["tags"]:
        assert b"Blender Foundation" not in clean.content


def test_a_phone_video_loses_place_date_and_device_and_is_shown_upright(tmp_path):
    generate(tmp_path, "raw.mp4", "-f", "lavfi", "-i", "testsrc=s=320x240:d=2:r=15", "-f", "lavfi", "-i", "sine=d=2",
             "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-ac", "2")
    # A portrait phone video: stored 320×240 with a 90° display matrix, and QuickTime-style tags.
    phone = generate(tmp_path, "phone.mp4", "-i", str(tmp_path / "raw.mp4"), "-c", "copy", *PHONE_TAGS,
                     "-metadata:s:v", "rotate=90", "-movflags", "use_metadata_tags")
    before = ffprobe(phone, tmp_path)
    assert before["format"]["tags"]["location"] == "+14.0723-087.1921/"
    assert before["streams"][0]["side_data_list"][0]["rotation"] in (90, -90)
    clean = sanitise_media(data=phone, declared_type="video/mp4", filename="VID_20261101.mp4")
    info = assert_clean_mp4(clean, tmp_path, size=(240, 320))
    assert audio_stream(info)["channels"] == 2
    for leak in (b"+14.0723", b"SM-A515F", b"samsung", b"2026-11-01", b"Tegucigalpa"):
        assert leak not in clean.content
    assert clean.duration_s == pytest.approx(2, abs=0.2)


def test_a_large_hevc_video_is_scaled_to_720p_h264(tmp_path):
    hevc = generate(tmp_path, "big.mp4", "-f", "lavfi", "-i", "testsrc2=s=1920x1080:d=1:r=10", "-f", "lavfi",
                    "-i", "sine=d=1", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                    "-tag:v", "hvc1", "-c:a", "aac", "-metadata", "creation_time=2026-11-01T10:00:00Z")
    assert ffprobe(hevc, tmp_path)["streams"][0]["codec_name"] == "hevc"
    clean = sanitise_media(data=hevc, filename="big.mov")
    assert_clean_mp4(clean, tmp_path, size=(1280, 720))


def test_a_video_without_sound_stays_without_sound(tmp_path):
    silent = generate(tmp_path, "silent.mkv", "-f", "lavfi", "-i", "testsrc=s=200x100:d=1:r=10", "-c:v", "libvpx",
                      "-metadata", "title=sin sonido")
    clean = sanitise_media(data=silent, filename="silent.mkv")
    assert_clean_mp4(clean, tmp_path, size=(200, 100), audio=False)


def test_what_the_sender_declares_does_not_decide_the_kind(tmp_path):
    """A video declared as a voice note is still treated as the video it is, and the reverse."""
    clean = sanitise_media(data=sample("phone.3gp"), kind_hint="voice", declared_type="audio/ogg", filename="a.ogg")
    assert clean.kind == "video" and clean.extension == ".mp4"
    clean = sanitise_media(data=sample("voice-note.opus"), kind_hint="video", declared_type="video/mp4",
                           filename="b.mp4")
    assert clean.kind == "audio" and clean.extension == ".mp3"
    assert clean.sha256 == hashlib.sha256(sample("voice-note.opus")).hexdigest()
