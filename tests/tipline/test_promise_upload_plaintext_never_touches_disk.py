"""Promise: a tip's plaintext never touches the disk unencrypted, however large the upload.

With FILE_UPLOAD_MAX_MEMORY_SIZE = 5 MB, Django spooled every file of a larger request to
`tmpXXXX.upload.<ext>` in the system's temporary directory: the tipster's file in clear, with
its extension in the name, unlinked afterwards but never overwritten. The tip pages now keep
uploads in memory (testigo/core/uploads.py) and the service seals them before writing.
"""

from __future__ import annotations

import os
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.tipline import selectors
from testigo.tipline.models import Tip, TipFile
from tests.public.conftest import SpoolSpy, bytes_found

SIX_MB = 6 * 1024 * 1024  # over FILE_UPLOAD_MAX_MEMORY_SIZE


def _token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_promise_upload_over_5_mb_to_the_tip_line_leaves_no_plaintext_on_disk(client, tip_admin, org_key, monkeypatch,
                                                                              settings, tmp_path):
    document = os.urandom(SIX_MB)
    needle = document[SIX_MB // 2: SIX_MB // 2 + 64]
    spool = SpoolSpy(monkeypatch, settings, tmp_path)
    page = client.get("/tip/")
    response = client.post("/tip/", {"token": _token(page), "body": "Contracts attached",
                                     "files": [SimpleUploadedFile("contratos.pdf", document, "application/pdf")]})
    assert response.status_code == 302
    opened = selectors.conversation_for_staff(tip_admin, org_private=org_key, tip=Tip.objects.get())[0].files[0]
    assert opened.size == SIX_MB  # it was received and sealed whole
    assert spool.created == [] and spool.leftovers() == []
    roots = [spool.system, spool.upload, settings.DATA_DIR, settings.TIP_STORAGE_DIR, settings.MEDIA_ROOT,
             os.environ.get("TESTIGO_DATA_DIR", settings.DATA_DIR)]
    assert bytes_found(roots, needle) == []


def test_a_returning_source_uploading_over_5_mb_spools_nothing(client, tip_admin, monkeypatch, settings, tmp_path):
    page = client.get("/tip/")
    client.post("/tip/", {"token": _token(page), "body": "First message"})
    spool = SpoolSpy(monkeypatch, settings, tmp_path)
    page = client.get("/tip/conversation/")
    document = os.urandom(SIX_MB)
    response = client.post("/tip/conversation/", {
        "token": _token(page), "body": "", "files": [SimpleUploadedFile("más.pdf", document, "application/pdf")]})
    assert response.status_code == 302
    assert spool.created == [] and spool.leftovers() == []
    assert bytes_found([settings.DATA_DIR], document[:64]) == []


def test_a_tip_upload_larger_than_the_limits_is_refused_before_it_is_read(client, tip_admin, monkeypatch,
                                                                         settings, tmp_path):
    settings.TIP_MAX_FILE_MB, settings.TIP_MAX_FILES = 1, 1
    page = client.get("/tip/")
    big = b"0" * (1024 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    spool = SpoolSpy(monkeypatch, settings, tmp_path)
    response = client.post("/tip/", {"token": _token(page), "body": "x",
                                     "files": [SimpleUploadedFile("big.pdf", big, "application/pdf")]})
    assert response.status_code == 400
    assert spool.created == [] and not TipFile.objects.exists()
