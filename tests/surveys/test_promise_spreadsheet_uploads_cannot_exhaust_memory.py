"""A small .xlsx that inflates to gigabytes (a "zip bomb") is refused from its zip directory,
before openpyxl or pyxform inflate anything, on the XLSForm upload and the import upload alike;
the staff member sees why and the page does not crash."""

from __future__ import annotations

import io
import os
import struct
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.core import archives
from testigo.surveys.models import Import, Survey
from tests.surveys.conftest import write_xlsx

pytestmark = pytest.mark.usefixtures("english")

CENTRAL_ENTRY = b"PK\x01\x02"
DECLARED_SIZE_OFFSET = 24  # "uncompressed size" in a central directory entry


def _xlsform() -> bytes:
    return write_xlsx({"survey": [["type", "name", "label"], ["text", "a", "A"]]})


def _with_member(xlsx: bytes, name: str, content: bytes) -> bytes:
    """The spreadsheet with one more (deflated) member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(name, content)
    return out.getvalue()


def _declaring(archive: bytes, size: int) -> bytes:
    """The archive with every member's declared uncompressed size rewritten to `size`: a bomb
    whose data is small here but that promises gigabytes to any reader that trusts it."""
    data, start = bytearray(archive), 0
    while (start := data.find(CENTRAL_ENTRY, start)) != -1:
        struct.pack_into("<I", data, start + DECLARED_SIZE_OFFSET, size)
        start += 4
    return bytes(data)


def ratio_bomb() -> bytes:
    # 8 MB of zeros deflates to ~8 KB (1000:1): real data, really inflatable.
    return _with_member(_xlsform(), "xl/media/zeros.bin", bytes(8 * archives.MB))


def declared_bomb() -> bytes:
    return _declaring(_xlsform(), 4_000_000_000)  # 4 GB per member


def test_promise_a_declared_four_gigabyte_member_is_refused_without_allocating_it():
    bomb = declared_bomb()
    assert len(bomb) < 20_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(archives.UnsafeArchive, match="more than 256 MB"):
        archives.check_zip(bomb)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 2 * archives.MB


def test_promise_a_highly_compressed_member_is_refused():
    with pytest.raises(archives.UnsafeArchive, match="zip bomb"):
        archives.check_zip(ratio_bomb())


def test_promise_the_total_uncompressed_size_is_limited(tmp_path):
    members = {f"part{i}.xml": os.urandom(64) for i in range(3)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    # Each member alone is under the per-member limit, the three together are not.
    bomb = _declaring(out.getvalue(), archives.MAX_MEMBER_BYTES)
    path = tmp_path / "total.xlsx"
    path.write_bytes(bomb)
    with pytest.raises(archives.UnsafeArchive, match="more than 512 MB once uncompressed"):
        archives.check_zip(path)


def test_promise_the_number_of_members_is_limited():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(archives.MAX_MEMBERS + 1):
            archive.writestr(f"m{i}", b"")
    with pytest.raises(archives.UnsafeArchive, match="more than 2000 files"):
        archives.check_zip(out.getvalue())


def test_a_real_spreadsheet_and_a_csv_pass():
    archives.check_zip(_xlsform())
    archives.check_zip(b"title,date\nRobo,2026-01-01\n")  # not a zip: its own reader decides


@pytest.mark.django_db
@pytest.mark.parametrize("make_bomb", [ratio_bomb, declared_bomb])
def test_promise_xlsform_upload_refuses_a_zip_bomb_with_a_clear_message(admin_client, make_bomb):
    response = admin_client.post("/console/surveys/upload/", {"file": SimpleUploadedFile("f.xlsx", make_bomb())})
    assert response.status_code == 400 and b"This file is refused" in response.content
    assert not Survey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("make_bomb", [ratio_bomb, declared_bomb])
def test_promise_import_upload_refuses_a_zip_bomb_with_a_clear_message(admin_client, settings, make_bomb):
    response = admin_client.post("/console/surveys/imports/", {"file": SimpleUploadedFile("d.xlsx", make_bomb())})
    assert response.status_code == 200 and b"This file is refused" in response.content
    assert not Import.objects.exists()
    imports_dir = settings.MEDIA_ROOT / "imports"
    assert not any(p.is_file() for p in imports_dir.rglob("*"))  # the refused file is not kept
