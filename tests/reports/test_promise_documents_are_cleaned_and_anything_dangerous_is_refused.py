"""What a file IS is decided from its bytes, never from its name or declared type. Documents keep
their text but lose their author, dates and software (mat2); formats no tool can clean are kept
as sent and say so; programs, web pages, scripts, playlists, archives and zip bombs are refused
with a message that says why."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from testigo.reports.avmedia import sanitise_media
from tests.reports.conftest import pdf_with_author, sample, word_document

pytestmark = pytest.mark.usefixtures("english")


def refused(data: bytes, **hints) -> str:
    with pytest.raises(ValidationError) as caught:
        sanitise_media(data=data, **hints)
    return caught.value.messages[0]


def mat2_metadata(content: bytes, extension: str, tmp_path) -> str:
    path = tmp_path / f"check{extension}"
    path.write_bytes(content)
    shown = subprocess.run(["mat2", "--show", str(path)], capture_output=True, text=True).stdout
    return "\n".join(shown.splitlines()[1:])  # without the header line, which names the file


# --- Documents -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("mat2_tool")
def test_a_pdf_loses_author_title_and_software_but_keeps_its_text(tmp_path):
    clean = sanitise_media(data=pdf_with_author(), kind_hint="document", filename="denuncia.pdf")
    assert (clean.kind, clean.content_type, clean.extension, clean.name) == (
        "document", "application/pdf", ".pdf", "denuncia.pdf")
    assert clean.metadata_removed
    assert clean.content.startswith(b"%PDF-")
    for leak in (b"Juana", b"Phone Scanner", b"20261101"):
        assert leak not in clean.content
    assert b"/Font" in clean.content  # lightweight mode: text stays text, the page is not rasterised
    shown = mat2_metadata(clean.content, ".pdf", tmp_path)
    assert "author" not in shown and "creator" not in shown and "title" not in shown


@pytest.mark.usefixtures("mat2_tool")
def test_a_real_pdf_from_wkhtmltopdf_loses_its_title_and_producer(tmp_path):
    assert "wkhtmltopdf" in mat2_metadata(sample("wkhtmltopdf-with-title.pdf"), ".pdf", tmp_path)
    clean = sanitise_media(data=sample("wkhtmltopdf-with-title.pdf"), filename="Agent Quote.pdf")
    shown = mat2_metadata(clean.content, ".pdf", tmp_path)
    assert "wkhtmltopdf" not in shown and "Agent Quote" not in shown and "Qt 4.8.7" not in shown
    assert clean.sha256 == hashlib.sha256(sample("wkhtmltopdf-with-title.pdf")).hexdigest()


@pytest.mark.usefixtures("mat2_tool")
def test_a_word_document_loses_its_author_and_keeps_its_words():
    clean = sanitise_media(data=word_document(), declared_type="application/octet-stream", filename="informe")
    assert clean.extension == ".docx" and clean.name == "informe.docx" and clean.metadata_removed
    assert clean.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    with zipfile.ZipFile(io.BytesIO(clean.content)) as archive:
        assert "el puente de la colonia" in archive.read("word/document.xml").decode()
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Juana" not in everything and b"2026-11-01" not in everything


@pytest.mark.usefixtures("mat2_tool")
def test_a_real_libreoffice_document_loses_its_generator_and_dates(tmp_path):
    assert "LibreOffice" in mat2_metadata(sample("libreoffice.odt"), ".odt", tmp_path)
    clean = sanitise_media(data=sample("libreoffice.odt"), filename="acta.odt")
    assert (clean.content_type, clean.extension) == ("application/vnd.oasis.opendocument.text", ".odt")
    assert mat2_metadata(clean.content, ".odt", tmp_path) == ""  # "No metadata found"
    with zipfile.ZipFile(io.BytesIO(clean.content)) as archive:
        assert "content.xml" in archive.namelist()
        assert not any(b"LibreOffice" in archive.read(name) for name in archive.namelist())


def test_a_legacy_word_file_is_kept_as_sent_and_says_it_was_not_cleaned():
    clean = sanitise_media(data=sample("legacy.doc"), filename="viejo.doc")
    assert (clean.kind, clean.content_type, clean.extension) == ("document", "application/msword", ".doc")
    assert clean.content == sample("legacy.doc") and clean.metadata_removed is False


def test_a_gps_route_in_xml_is_kept_as_text():
    gpx = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="14.07" lon="-87.19"/></trkseg></trk></gpx>'
    clean = sanitise_media(data=gpx, filename="ruta.gpx")
    assert (clean.content, clean.extension, clean.name) == (gpx, ".txt", "ruta.txt")


def test_plain_text_is_kept_and_stored_as_utf8():
    latin = "Acta de la reunión del 3 de noviembre: se denunció la tala.\r\n".encode("cp1252")
    clean = sanitise_media(data=latin, filename="acta.txt")
    assert clean.content.decode("utf-8").startswith("Acta de la reunión")
    assert clean.content_type == "text/plain; charset=utf-8" and clean.metadata_removed is False
    assert clean.sha256 == hashlib.sha256(latin).hexdigest()  # the evidence is the bytes as received


@pytest.mark.usefixtures("mat2_tool")
def test_a_document_name_is_cleaned_and_matches_what_the_file_is():
    clean = sanitise_media(data=pdf_with_author(), filename="../../etc/Informe\r\nfinal\u202e" + "x" * 300 + ".exe")
    assert clean.name.startswith("Informefinalx") and clean.name.endswith(".pdf")
    assert len(clean.name) <= 100 and "/" not in clean.name and "\u202e" not in clean.name


def test_a_photo_sent_as_a_document_is_re_encoded_as_a_photo_without_its_gps():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (14.0, 4.0, 20.0)}  # GPSInfo
    exif[0x010F] = "samsung"  # Make
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG", exif=exif)
    clean = sanitise_media(data=out.getvalue(), kind_hint="document", declared_type="application/pdf",
                           filename="scan.pdf")
    assert (clean.kind, clean.content_type, clean.extension) == ("image", "image/jpeg", ".jpg")
    assert not Image.open(io.BytesIO(clean.content)).getexif() and b"samsung" not in clean.content


def test_a_pixel_bomb_is_refused_from_its_header():
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 Mpx in a few kilobytes
    assert "too many pixels" in refused(out.getvalue(), filename="mapa.png")


# --- Refused -------------------------------------------------------------------------------------


def test_a_program_renamed_as_a_photo_is_refused():
    message = refused(sample("program.exe"), kind_hint="image", declared_type="image/jpeg", filename="foto.jpg")
    assert message == "“foto.jpg” is a program; programs are not accepted."


@pytest.mark.parametrize("data", [
    sample("page.html"),
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"#!/bin/sh\nrm -rf ~\n",
    b"Hola, mira esto <script>fetch('/console')</script>",
])
def test_web_pages_and_scripts_are_refused(data):
    assert "web page, a script or a playlist" in refused(data, declared_type="text/plain", filename="nota.txt")


def test_an_iphone_heic_photo_is_refused_with_a_way_out():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    assert "send it as JPEG" in refused(heic, kind_hint="image", filename="IMG_0001.HEIC")


def test_an_ordinary_zip_archive_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fotos/1.jpg", b"\xff\xd8\xff")
    assert "compressed archive" in refused(archive.getvalue(), filename="fotos.zip")


def test_a_document_that_inflates_to_hundreds_of_megabytes_is_refused():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as inner:
            zeros = b"\0" * (1 << 20)
            for _ in range(260):
                inner.write(zeros)
    assert len(bomb.getvalue()) < 2_000_000
    assert "expands to too much data" in refused(bomb.getvalue(), filename="informe.docx")


def test_a_document_with_thousands_of_entries_is_refused():
    bomb = word_document(**{f"word/media/{n}.xml": "" for n in range(5001)})
    assert "expands to too much data" in refused(bomb, filename="informe.docx")


def test_a_document_with_macros_is_refused():
    macro = word_document(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert "contains macros" in refused(macro, filename="informe.docm")


@pytest.mark.usefixtures("ffmpeg_tools")
def test_unknown_binary_data_is_refused():
    assert "not a photo, sound, video or document" in refused(bytes(range(256)) * 64, filename="datos.bin")


def test_an_empty_file_is_refused():
    assert refused(b"", filename="vacío.ogg") == "“vacío.ogg” is empty."
