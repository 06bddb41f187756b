"""Fixtures for media checking and cleaning (testigo/reports/avmedia.py): real ffmpeg, ffprobe
and mat2, real public samples (media_samples/SOURCES.md) and samples generated with ffmpeg that
carry the metadata a phone writes."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "media_samples"
# Tags a cleaned file may still carry: container and stream bookkeeping written by our own
# muxer, identical for every file (no date, place, device, person or version).
NEUTRAL_FORMAT_TAGS = {"major_brand", "minor_version", "compatible_brands"}
NEUTRAL_STREAM_TAGS = {"language": "und", "handler_name": ("VideoHandler", "SoundHandler"),
                       "vendor_id": "[0][0][0][0]", "encoder": "Lavc libx264"}


def require_tools(*names: str) -> None:
    """Skip when a tool is missing, unless CI demands it (TESTIGO_REQUIRE_SERVICES=1)."""
    missing = [name for name in names if not shutil.which(name)]
    if not missing:
        return
    why = f"{', '.join(missing)} not installed (apt-get install ffmpeg mat2)"
    if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {why}")
    pytest.skip(why)


@pytest.fixture
def english():
    """Messages are asserted in English, whatever the project's default language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def ffmpeg_tools():
    require_tools("ffmpeg", "ffprobe")


@pytest.fixture
def mat2_tool():
    require_tools("mat2")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def ffprobe(content: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "probe-me"
    path.write_bytes(content)
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


def plays_through(content: bytes, tmp_path: Path) -> bool:
    """Every frame decodes without an error: what a browser's player needs."""
    path = tmp_path / "play-me"
    path.write_bytes(content)
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
                         capture_output=True)
    return out.returncode == 0 and not out.stderr.strip()


def leftover_tags(info: dict) -> dict:
    """Every tag that is not neutral bookkeeping, format and streams together."""
    found = {f"format:{k}": v for k, v in info["format"].get("tags", {}).items() if k not in NEUTRAL_FORMAT_TAGS}
    for stream in info["streams"]:
        for key, value in stream.get("tags", {}).items():
            neutral = NEUTRAL_STREAM_TAGS.get(key)
            if neutral is None or (value not in neutral if isinstance(neutral, tuple) else value != neutral):
                found[f"stream{stream['index']}:{key}"] = value
        if stream.get("side_data_list"):
            found[f"stream{stream['index']}:side_data"] = stream["side_data_list"]
    return found


def generate(tmp_path: Path, name: str, *args: str) -> bytes:
    """A sample made by ffmpeg from lavfi sources; `args` are its options after `-y`."""
    target = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)], check=True)
    return target.read_bytes()


PHONE_TAGS = ("-metadata", "location=+14.0723-087.1921/", "-metadata", "location-eng=+14.0723-087.1921/",
              "-metadata", "creation_time=2026-11-01T10:00:00Z", "-metadata", "make=samsung",
              "-metadata", "model=SM-A515F", "-metadata", "title=Marcha en Tegucigalpa",
              "-metadata", "artist=Juana Pérez")


def ooxml(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    '<w:p><w:r><w:t>Denuncia: el puente de la colonia está caído.</w:t></w:r></w:p></w:body></w:document>'
)
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>Juana Pérez</dc:creator><cp:lastModifiedBy>Juana Pérez</cp:lastModifiedBy>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-11-01T10:00:00Z</dcterms:created></cp:coreProperties>'
)


def word_document(**extra: bytes | str) -> bytes:
    """A minimal .docx whose core properties name its author."""
    return ooxml({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "word/document.xml": DOCUMENT,
                  "docProps/core.xml": CORE, **extra})


def pdf_with_author() -> bytes:
    """A one-page PDF with text and an /Info dictionary naming its author (offsets computed)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Author (Juana Perez) /Creator (Phone Scanner 3.1) /Title (Denuncia) "
        b"/CreationDate (D:20261101100000Z) >>",
    ]
    stream = b"BT /F1 18 Tf 20 100 Td (Puente caido) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
