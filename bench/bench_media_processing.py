"""How fast the worker checks and cleans what people send (testigo/reports/avmedia.py).

Three figures, each the wall time of `sanitise_media` (ffmpeg and mat2 are child processes, so
the parent's CPU time would miss them): photos per second (a noisy 12-Mpx JPEG: Pillow decodes
and re-encodes it), seconds of voice note processed per second (a 60 s mono Ogg/Opus note, to
MP3), seconds of video processed per second (a 30 s 1280×720 30 fps H.264 clip with stereo AAC,
to H.264 crf 28 veryfast). ffmpeg runs with two threads, as in production. The audio and video
figures are also given as worker seconds per minute of media (the video's including its still
frame, reports/recordings.py), and the still frame alone.

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: a 3-Mpx photo, a
10 s note and a 4 s clip, well under 20 s in all.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

PHOTO_SIZE = (2000, 1500) if _seed.QUICK else (4000, 3000)
AUDIO_SECONDS = 10 if _seed.QUICK else 60
VIDEO_SECONDS = 4 if _seed.QUICK else 30
REPEAT = 2 if _seed.QUICK else 3
TARGET_PHOTOS_PER_S = 2.0
TARGET_AUDIO_X = 20.0  # seconds of audio per second
TARGET_VIDEO_X = 1.0  # seconds of video per second
TARGET_POSTER_S = 1.0  # one still frame of a clean video


def setup() -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="testigo-bench-media-"))
    (data_dir / "static").mkdir()
    os.environ["TESTIGO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
    import django

    django.setup()
    return data_dir


def photo() -> bytes:
    """Photographic noise over a gradient, saved as a camera would (quality 92)."""
    from PIL import Image

    width, height = PHOTO_SIZE
    noise = Image.frombytes("RGB", PHOTO_SIZE, os.urandom(width * height * 3))
    smooth = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, smooth, 0.8).save(out, "JPEG", quality=92)
    return out.getvalue()


def ffmpeg(directory: Path, name: str, *args: str) -> bytes:
    target = directory / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)], check=True)
    return target.read_bytes()


def voice_note(directory: Path) -> bytes:
    """Speech-like: a tone under pink noise, mono Opus at 32 kbit/s as WhatsApp records."""
    return ffmpeg(directory, "note.ogg", "-f", "lavfi", "-i", f"sine=f=220:d={AUDIO_SECONDS}:sample_rate=48000",
                  "-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.1:d={AUDIO_SECONDS}:r=48000",
                  "-filter_complex", "amix=inputs=2", "-ac", "1", "-c:a", "libopus", "-b:a", "32k")


def video_clip(directory: Path) -> bytes:
    """A moving test pattern at phone bitrate (~8 Mbit/s), 720p30 with stereo AAC."""
    return ffmpeg(directory, "clip.mp4", "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={VIDEO_SECONDS}",
                  "-f", "lavfi", "-i", f"sine=d={VIDEO_SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
                  "-b:v", "8M", "-c:a", "aac", "-ac", "2", "-metadata", "location=+14.0723-087.1921/")


def best_wall(call, repeat: int) -> float:
    """The fastest of `repeat` runs: on a shared machine the slower ones measure the neighbours."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        sys.exit("bench_media_processing: ffmpeg/ffprobe not installed")
    data_dir = setup()
    try:
        from testigo.reports.avmedia import sanitise_media, still_frame

        jpeg = photo()
        seconds = best_wall(lambda: sanitise_media(data=jpeg, filename="IMG.jpg"), REPEAT)
        _seed.emit("media_photo_12mpx" if not _seed.QUICK else "media_photo_3mpx", round(1 / seconds, 2),
                   "photos/s", TARGET_PHOTOS_PER_S, REPEAT, megapixels=PHOTO_SIZE[0] * PHOTO_SIZE[1] / 1e6)

        note = voice_note(data_dir)
        seconds = best_wall(lambda: sanitise_media(data=note, filename="note.ogg"), REPEAT)
        _seed.emit("media_voice_note_to_mp3", round(AUDIO_SECONDS / seconds, 1), "audio s/s", TARGET_AUDIO_X,
                   REPEAT, note_seconds=AUDIO_SECONDS)
        # The same figure as the worker's time per minute of recording (what an operator sizes by).
        _seed.emit("media_audio_seconds_per_minute", round(seconds / AUDIO_SECONDS * 60, 2), "s per minute",
                   round(60 / TARGET_AUDIO_X, 2), REPEAT, note_seconds=AUDIO_SECONDS)

        clip = video_clip(data_dir)
        runs = 1 if _seed.QUICK else 2
        seconds = best_wall(lambda: sanitise_media(data=clip, filename="clip.mp4"), runs)
        _seed.emit("media_video_720p_to_h264", round(VIDEO_SECONDS / seconds, 2), "video s/s", TARGET_VIDEO_X,
                   runs, clip_seconds=VIDEO_SECONDS, input_mb=round(len(clip) / 1e6, 1))
        # A video attached on the web also gets a still frame (reports/recordings.py): per minute of
        # video, transcoding plus poster.
        clean = sanitise_media(data=clip, filename="clip.mp4")
        poster = best_wall(lambda: still_frame(video=clean.content, duration_s=clean.duration_s), REPEAT)
        _seed.emit("media_video_poster", round(poster, 3), "s", TARGET_POSTER_S, REPEAT)
        _seed.emit("media_video_seconds_per_minute", round((seconds + poster) / VIDEO_SECONDS * 60, 1),
                   "s per minute", round(60 / TARGET_VIDEO_X, 1), runs, clip_seconds=VIDEO_SECONDS)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
