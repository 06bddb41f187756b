"""What a received file IS, decided from its bytes, and a copy of it without metadata.

People send photos, voice notes, videos and documents through the channels. The name and the
content type a phone or a gateway declares are hints an attacker controls, so the bytes decide:
- photos: Pillow (media.sanitise_image) decodes and re-encodes them;
- audio and video: `ffprobe` must recognise one of an allowlisted set of containers with an audio
  or video stream; `ffmpeg` then transcodes to MP3 (audio) or MP4 H.264/AAC (video), dropping every
  tag, chapter and cover, and cutting at MEDIA_MAX_AUDIO_SECONDS / MEDIA_MAX_VIDEO_SECONDS;
- documents, by magic: PDF, OOXML and ODF are cleaned by `mat2` (PDF in its lightweight mode, so the
  text stays selectable); legacy Office (OLE2) and plain text are kept as sent, flagged
  `metadata_removed=False`, since no tool here can clean them;
- anything else (programs, scripts, HTML, archives, playlists) is refused with a translated message.

The tools run on a private copy (a 0700 directory, a 0600 file, both deleted afterwards), with
no stdin, `-protocol_whitelist file` and a demuxer allowlist (no network, no playlists, no concat:
a crafted file cannot make ffmpeg read anything but itself), two threads and a wall-clock timeout.
A missing tool raises ToolMissing, so the worker keeps the media pending instead of losing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from testigo.reports.media import ALLOWED_IMAGES, SanitisedFile, sanitise_image

# Defaults for the settings of the same name (testigo/settings.py, TESTIGO_* environment).
# Longer recordings are cut, not refused: the first half hour of a voice note is still evidence.
MAX_AUDIO_SECONDS = 1800
MAX_VIDEO_SECONDS = 900
# Wall-clock limit for one ffmpeg or mat2 run. A 15-minute 720p video transcodes in ~5 minutes
# on two cores (bench/bench_media_processing.py); a file that takes longer is refused.
TOOL_TIMEOUT_SECONDS = 600
THREADS = "2"

# Demuxers ffmpeg may use, by name. Everything else is refused, notably hls, concat, the image
# sequence and device demuxers, which read other files or the network.
DEMUXERS = ("mov", "mp4", "m4a", "3gp", "3g2", "matroska", "webm", "ogg", "mp3", "wav", "amr", "aac", "flac", "avi")
PROBE_FORMATS = {  # ffprobe's format_name -> the demuxer ffmpeg is then forced to use
    "mov,mp4,m4a,3gp,3g2,mj2": "mov",
    "matroska,webm": "matroska",
    "ogg": "ogg",
    "mp3": "mp3",
    "wav": "wav",
    "amr": "amr",
    "aac": "aac",
    "flac": "flac",
    "avi": "avi",
}
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100)
VIDEO_MAX_SIDE = 1280

# Zip-based documents are inflated by mat2: bounded before it opens them.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_UNCOMPRESSED = 250 * 1024 * 1024
NAME_MAX = 100
TEXT_SNIFF = 64 * 1024


class ToolMissing(RuntimeError):
    """ffmpeg, ffprobe or mat2 is not installed: the media stays pending until it is."""


@dataclass(frozen=True)
class DocumentType:
    extension: str
    content_type: str
    label: str  # for messages


PDF = DocumentType(".pdf", "application/pdf", "PDF")
OOXML = {
    "word/": DocumentType(".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xl/": DocumentType(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "ppt/": DocumentType(".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                         "PowerPoint"),
}
ODF = {
    "application/vnd.oasis.opendocument.text": DocumentType(".odt", "application/vnd.oasis.opendocument.text",
                                                            "OpenDocument"),
    "application/vnd.oasis.opendocument.spreadsheet": DocumentType(
        ".ods", "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument"),
    "application/vnd.oasis.opendocument.presentation": DocumentType(
        ".odp", "application/vnd.oasis.opendocument.presentation", "OpenDocument"),
}
# Legacy Office files are OLE2 containers; the stream names (UTF-16LE in the directory) say which.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2 = (
    ("WordDocument".encode("utf-16-le"), DocumentType(".doc", "application/msword", "Word")),
    ("Workbook".encode("utf-16-le"), DocumentType(".xls", "application/vnd.ms-excel", "Excel")),
    ("PowerPoint Document".encode("utf-16-le"), DocumentType(".ppt", "application/vnd.ms-powerpoint", "PowerPoint")),
)
TEXT = DocumentType(".txt", "text/plain; charset=utf-8", "text")

# Containers of sound and video (Matroska/WebM, Ogg, ID3-tagged MP3, WAV, AMR; MP4/3GP/MOV have
# "ftyp" at offset 4): a file that starts like one but ffprobe cannot read is called damaged.
AV_MAGIC = (b"\x1a\x45\xdf\xa3", b"OggS", b"ID3", b"RIFF", b"#!AMR", b"fLaC")
IMAGE_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"GIF87a", ".gif"), (b"GIF89a", ".gif"))
# ISO-BMFF still-image brands (iPhone HEIC, AVIF): the same box format as MP4, but ffmpeg 5 cannot
# decode them and Pillow has no plugin here.
STILL_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")
PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\x00asm", b"dex\n")
ARCHIVE_MAGIC = (b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF")
# Text that a browser or a player would act on: markup, scripts, playlists. Other XML (a GPX or
# KML route) is kept: it is stored and served as plain text.
ACTIVE_TEXT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!doctype|<html|<head|<body|<\?php|<!--|#!|#extm3u|ffconcat|\[playlist\])"
    rb"|<script|<iframe|<svg|<html|<!doctype\s+html|<object|<embed",
    re.IGNORECASE,
)


def sanitise_media(*, data: bytes, kind_hint: str = "", declared_type: str = "", filename: str = "") -> SanitisedFile:
    """A metadata-free copy of a received file, of the kind its bytes say it is.

    `kind_hint`, `declared_type` and `filename` never decide anything: the filename only gives
    documents their cleaned `name` and messages their wording. Raises a translated
    ValidationError for a file that is refused, ToolMissing when ffmpeg/mat2 is not installed."""
    display = _display_name(filename)
    if not data:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": display})
    for magic, extension in IMAGE_MAGIC:
        if data.startswith(magic):
            return _image(data, extension, filename)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _image(data, ".webp", filename)
    if data.startswith(b"%PDF-"):
        return _document(data, PDF, filename)
    if data.startswith(b"PK\x03\x04"):
        return _document(data, _zip_document(data, display), filename)
    if data.startswith(OLE2_MAGIC):
        return _kept_document(data, _ole2_document(data, display), filename)
    if data[4:8] == b"ftyp" and data[8:12] in STILL_IMAGE_BRANDS:
        raise ValidationError(_("“%(name)s” is a HEIC or AVIF photo, which is not accepted yet; please send it as "
                                "JPEG (most phones do so when sharing).") % {"name": display})
    if data.startswith(PROGRAM_MAGIC):
        raise ValidationError(_("“%(name)s” is a program; programs are not accepted.") % {"name": display})
    if data.startswith(ARCHIVE_MAGIC):
        raise ValidationError(_("“%(name)s” is a compressed archive; please send the files in it one by one.")
                              % {"name": display})
    if _is_text(data):
        if ACTIVE_TEXT.search(data[:TEXT_SNIFF]):
            raise ValidationError(_("“%(name)s” is a web page, a script or a playlist; these are not accepted.")
                                  % {"name": display})
        return _kept_document(_utf8(data), TEXT, filename, original=data)
    return _transcode(data, display)


# --- Names -------------------------------------------------------------------------------------


def _display_name(filename: str) -> str:
    return clean_name(filename) or _("the attachment")


def clean_name(filename: str, extension: str = "") -> str:
    """A file name safe to show and to offer for download: the last path component, without
    control characters, at most NAME_MAX characters, ending in `extension` when one is given."""
    base = re.split(r"[/\\]", filename or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if not unicodedata.category(c).startswith("C"))
    base = base.strip().strip(".").strip()
    if extension:
        stem = base.rsplit(".", 1)[0] if "." in base else base
        stem = stem.strip().strip(".").strip() or "document"
        return stem[: NAME_MAX - len(extension)] + extension
    return base[:NAME_MAX]


# --- Photos ------------------------------------------------------------------------------------


def _image(data: bytes, extension: str, filename: str) -> SanitisedFile:
    assert extension in ALLOWED_IMAGES
    stem = clean_name(filename, extension)[: -len(extension)] if filename else "photo"
    # The bytes were capped by whoever fetched them (a channel's TESTIGO_CHANNEL_MEDIA_MAX_MB may
    # exceed the web form's upload limit): only the pixel budget applies here.
    return sanitise_image(name=stem + extension, data=data, max_mb=max(settings.MAX_UPLOAD_MB,
                                                                       settings.CHANNEL_MEDIA_MAX_BYTES / 1024 / 1024))


# --- Documents ---------------------------------------------------------------------------------


def _zip_document(data: bytes, display: str) -> DocumentType:
    """Which OOXML or ODF document this zip is; refuses other archives and zip bombs."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError(_("“%(name)s” is damaged and cannot be read.") % {"name": display}) from None
    # The declared sizes bound what Python's zipfile (and so mat2) will inflate.
    if len(entries) > ZIP_MAX_ENTRIES or sum(e.file_size for e in entries) > ZIP_MAX_UNCOMPRESSED:
        raise ValidationError(_("“%(name)s” expands to too much data to be a document; it is refused.")
                              % {"name": display})
    names = {e.filename for e in entries}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ValidationError(_("“%(name)s” contains macros; please save it without macros and send it again.")
                              % {"name": display})
    if "[Content_Types].xml" in names:
        for prefix, doc_type in OOXML.items():
            if any(n.startswith(prefix) for n in names):
                return doc_type
    if "mimetype" in names:
        try:
            declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            declared = ""
        if declared in ODF:
            return ODF[declared]
    raise ValidationError(_("“%(name)s” is a compressed archive; please send the files in it one by one.")
                          % {"name": display})


def _ole2_document(data: bytes, display: str) -> DocumentType:
    for stream_name, doc_type in OLE2:
        if stream_name in data:
            return doc_type
    raise ValidationError(_("“%(name)s” is not a document type we accept.") % {"name": display})


def _is_text(data: bytes) -> bool:
    """UTF-8 or Windows-1252/Latin-1 text: no NUL, no control characters but tab, newlines, form feed."""
    if re.search(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]", data):
        return False
    try:
        data.decode("utf-8")
        return bool(data.strip())
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return bool(data.strip())


def _utf8(data: bytes) -> bytes:
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return data.decode("cp1252").encode("utf-8")


def _kept_document(content: bytes, doc_type: DocumentType, filename: str, *, original: bytes | None = None
                   ) -> SanitisedFile:
    """A document no tool here can clean: kept as sent (text re-encoded to UTF-8), flagged."""
    return SanitisedFile(
        content=content, extension=doc_type.extension, content_type=doc_type.content_type,
        sha256=hashlib.sha256(original if original is not None else content).hexdigest(), width=None, height=None,
        kind="document", name=clean_name(filename, doc_type.extension), metadata_removed=False,
    )


def _document(data: bytes, doc_type: DocumentType, filename: str) -> SanitisedFile:
    """A PDF, OOXML or ODF document cleaned by mat2 (PDF: lightweight mode, the text stays)."""
    mat2 = shutil.which("mat2")
    if not mat2:
        raise ToolMissing("mat2 is not installed")
    display = _display_name(filename)
    with private_file(data, suffix=doc_type.extension) as path:
        command = [mat2, *(["--lightweight"] if doc_type is PDF else []), "--", str(path)]
        run_tool(command, display)
        cleaned = path.with_name(path.stem + ".cleaned" + doc_type.extension)
        if not cleaned.exists():
            raise ValidationError(_("“%(name)s” could not be read as a %(type)s document.")
                                  % {"name": display, "type": doc_type.label})
        content = cleaned.read_bytes()
    return SanitisedFile(
        content=content, extension=doc_type.extension, content_type=doc_type.content_type,
        sha256=hashlib.sha256(data).hexdigest(), width=None, height=None, kind="document",
        name=clean_name(filename, doc_type.extension), metadata_removed=True,
    )


# --- Running the tools -------------------------------------------------------------------------


class private_file:
    """`data` in a 0600 file inside a 0700 directory, both removed on exit (the worker's data
    directory for uploads, never a world-readable place)."""

    def __init__(self, data: bytes, suffix: str = ""):
        self.data, self.suffix = data, suffix

    def __enter__(self) -> Path:
        parent = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
        self.directory = tempfile.mkdtemp(prefix="testigo-media-", dir=parent if parent and os.path.isdir(parent)
                                          else None)
        fd, name = tempfile.mkstemp(suffix=self.suffix, dir=self.directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.data)
        return Path(name)

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def tool_timeout() -> float:
    return float(getattr(settings, "MEDIA_TOOL_TIMEOUT_SECONDS", TOOL_TIMEOUT_SECONDS))


def run_tool(command: list[str], display: str) -> subprocess.CompletedProcess:
    """Run ffmpeg/ffprobe/mat2 with no stdin and the timeout; a timeout refuses the file."""
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=tool_timeout(),
                              check=False)
    except subprocess.TimeoutExpired:  # run() has killed it
        raise ValidationError(
            _("“%(name)s” took longer than %(seconds)s seconds to process and was stopped.")
            % {"name": display, "seconds": f"{tool_timeout():g}"}
        ) from None
    except FileNotFoundError:
        raise ToolMissing(f"{command[0]} is not installed") from None


def probe(path: Path, display: str) -> dict:
    """ffprobe's JSON for a file, reading only that file with an allowlisted demuxer."""
    ffprobe = shutil.which("ffprobe")
    if not ffprobe:
        raise ToolMissing("ffprobe is not installed")
    result = run_tool([ffprobe, "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", ",".join(DEMUXERS),
                       "-print_format", "json", "-show_format", "-show_streams", "--", str(path)], display)
    try:
        return json.loads(result.stdout or b"{}") if result.returncode == 0 else {}
    except ValueError:
        return {}


# --- Audio and video ---------------------------------------------------------------------------


def max_seconds(kind: str) -> float:
    if kind == "video":
        return float(getattr(settings, "MEDIA_MAX_VIDEO_SECONDS", MAX_VIDEO_SECONDS))
    return float(getattr(settings, "MEDIA_MAX_AUDIO_SECONDS", MAX_AUDIO_SECONDS))


def _not_accepted(display: str) -> ValidationError:
    return ValidationError(_("“%(name)s” is not a photo, sound, video or document of a type we accept.")
                           % {"name": display})


def _damaged(display: str) -> ValidationError:
    return ValidationError(_("“%(name)s” looks like a sound or video file but is damaged; it could not be read.")
                           % {"name": display})


def _transcode(data: bytes, display: str) -> SanitisedFile:
    """Audio → MP3 mono; video → MP4 H.264/AAC; no tag survives, long inputs are cut."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise ToolMissing("ffmpeg is not installed")
    with private_file(data) as source:
        info = probe(source, display)
        demuxer, video, audio = _streams(info, data, display)
        kind = "video" if video else "audio"
        limit = max_seconds(kind)
        target = source.with_name("clean" + (".mp4" if video else ".mp3"))
        head = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", THREADS,
                "-protocol_whitelist", "file", "-format_whitelist", ",".join(DEMUXERS), "-f", demuxer,
                "-i", str(source), "-t", f"{limit:g}", "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
                "-threads", THREADS, "-fflags", "+bitexact"]
        tail = _video_options(video[0], audio) if video else _audio_options(audio[0])
        result = run_tool([*head, *tail, "-y", str(target)], display)
        if result.returncode != 0 or not target.exists() or not target.stat().st_size:
            raise _damaged(display)
        out = probe(target, display)
        content = target.read_bytes()
    if not out.get("streams"):
        raise _damaged(display)
    duration = _seconds(out["format"].get("duration"))
    picture = next((s for s in out["streams"] if s.get("codec_type") == "video"), {})
    source_duration = _seconds(info["format"].get("duration"))
    return SanitisedFile(
        content=content, extension=".mp4" if video else ".mp3", content_type="video/mp4" if video else "audio/mpeg",
        sha256=hashlib.sha256(data).hexdigest(), width=picture.get("width"), height=picture.get("height"),
        kind=kind, duration_s=duration, metadata_removed=True,
        truncated=(source_duration or 0) > limit or (source_duration is None and (duration or 0) >= limit - 0.5),
    )


def _streams(info: dict, data: bytes, display: str) -> tuple[str, list[dict], list[dict]]:
    """(demuxer, video streams, audio streams) of a probed file; refuses what is neither."""
    demuxer = PROBE_FORMATS.get(info.get("format", {}).get("format_name", ""))
    # Below 50 ffprobe is guessing from a few bytes that happen to look like an MP3 or AAC frame.
    if not demuxer or int(info["format"].get("probe_score", 0)) < 50:
        raise _damaged(display) if data.startswith(AV_MAGIC) or data[4:8] == b"ftyp" else _not_accepted(display)
    streams = info.get("streams", [])
    # A cover picture inside an audio file is a "video" stream with the attached_pic disposition.
    video = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not video and not audio:
        raise ValidationError(_("“%(name)s” has neither sound nor picture.") % {"name": display})
    return demuxer, video, audio


def _seconds(value) -> float | None:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None


def _audio_options(stream: dict) -> list[str]:
    rate = int(stream.get("sample_rate") or 44100)
    rate = next((r for r in MP3_RATES if r >= rate), MP3_RATES[-1])
    return ["-map", f"0:{stream['index']}", "-vn", "-ac", "1", "-ar", str(rate), "-c:a", "libmp3lame", "-b:a", "64k",
            "-flags:a", "+bitexact", "-id3v2_version", "0", "-write_xing", "0", "-f", "mp3"]


def display_size(stream: dict) -> tuple[int, int]:
    """The picture's size as shown (pixels squared; a phone's portrait video is stored sideways and rotated),
    scaled to VIDEO_MAX_SIDE on the long side, both sides even (H.264 4:2:0 needs it)."""
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    sar = re.fullmatch(r"(\d+):(\d+)", stream.get("sample_aspect_ratio") or "")
    if sar and int(sar[1]) and int(sar[2]):  # non-square pixels (DV, some cameras): square them
        width = width * int(sar[1]) // int(sar[2])
    rotation = stream.get("tags", {}).get("rotate") or next(
        (d.get("rotation") for d in stream.get("side_data_list", []) if "rotation" in d), 0)
    if int(float(rotation or 0)) % 180:
        width, height = height, width
    if not width or not height:
        return -2, -2
    scale = min(1.0, VIDEO_MAX_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _video_options(stream: dict, audio: list[dict]) -> list[str]:
    width, height = display_size(stream)
    options = ["-map", f"0:{stream['index']}", "-vf", f"scale={width}:{height},setsar=1,format=yuv420p",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-flags:v", "+bitexact",
               # SEI units carry x264's version and settings string: dropped with the rest.
               "-bsf:v", "filter_units=remove_types=6"]
    if audio:
        channels = min(2, int(audio[0].get("channels") or 1))
        rate = min(48000, int(audio[0].get("sample_rate") or 44100))
        options += ["-map", f"0:{audio[0]['index']}", "-c:a", "aac", "-b:a", "96k" if channels == 2 else "64k",
                    "-ac", str(channels), "-ar", str(rate), "-flags:a", "+bitexact"]
    return options + ["-movflags", "+faststart", "-f", "mp4"]


# --- Recordings attached on the web (reports/recordings.py) -------------------------------------

POSTER_AT_SECONDS = 1.0  # a still from one second in (the first frame is often black), or the middle
POSTER_MAX_SIDE = 640


def looks_like_recording(head: bytes) -> bool:
    """Whether a file's first bytes are those of a sound or video container: the only check a web
    request makes (the worker's ffprobe decides). MP3 and ADTS AAC without a tag start with a
    frame sync (eleven set bits); MP4/3GP/MOV with an `ftyp` box that is not a still image's."""
    if head.startswith(AV_MAGIC):
        return not (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    if head[4:8] == b"ftyp":
        return head[8:12] not in STILL_IMAGE_BRANDS
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0


def still_frame(*, video: bytes, duration_s: float | None) -> bytes:
    """A JPEG still of a clean video (sanitise_media's MP4), with no metadata: the poster shown
    before the video plays. Raises ValidationError when no frame can be decoded."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise ToolMissing("ffmpeg is not installed")
    at = min(POSTER_AT_SECONDS, (duration_s or 0) / 2)
    display = _("the video")
    with private_file(video, suffix=".mp4") as source:
        target = source.with_name("poster.jpg")
        result = run_tool([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", THREADS,
                           "-protocol_whitelist", "file", "-format_whitelist", "mov", "-f", "mov",
                           "-ss", f"{at:.3f}", "-i", str(source), "-frames:v", "1", "-an", "-sn", "-dn",
                           "-map_metadata", "-1", "-vf",
                           f"scale='min({POSTER_MAX_SIDE},iw)':'min({POSTER_MAX_SIDE},ih)':"
                           "force_original_aspect_ratio=decrease",
                           "-c:v", "mjpeg", "-q:v", "4", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                           "-f", "image2", "-y", str(target)], display)
        if result.returncode != 0 or not target.exists() or not target.stat().st_size:
            raise _damaged(display)
        return target.read_bytes()
